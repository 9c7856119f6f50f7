/* The loops of _kernels_body.h for one instruction set, included once per set with ISA
 * defined (and a `#pragma GCC target` around the include): FN(x) is x with the type's and
 * the set's suffixes. The target pragma, unlike target_clones, also reaches the functions
 * GCC outlines for `omp parallel`, so the elementwise passes use the wide vectors too. */

#define FN(x) CAT(NAME(x), ISA)

static inline real FN(sigmoid)(real x) {
    return (real)0.5 * NAME(tanh)((real)0.5 * x) + (real)0.5;
}

/* x (rows, H) = f(x + bias), with one loop per activation so that each vectorises */
static inline void FN(activate)(int act, int rows, int H, real *x, const real *bias,
                                int parallel) {
    #pragma omp parallel for if (parallel) schedule(static)
    for (int r = 0; r < rows; r++) {
        real *xr = x + (size_t)r * H;
        if (act == TANH) {
            #pragma GCC ivdep
            for (int k = 0; k < H; k++) xr[k] = NAME(tanh)(xr[k] + bias[k]);
        } else if (act == SIGMOID) {
            #pragma GCC ivdep
            for (int k = 0; k < H; k++) xr[k] = FN(sigmoid)(xr[k] + bias[k]);
        } else if (act == RELU) {
            #pragma GCC ivdep
            for (int k = 0; k < H; k++) xr[k] = xr[k] + bias[k] > 0 ? xr[k] + bias[k] : 0;
        } else {
            #pragma GCC ivdep
            for (int k = 0; k < H; k++) xr[k] += bias[k];
        }
    }
}

/* f'(z) written through a = f(z) */
static inline real FN(derivative)(int act, real a) {
    if (act == TANH) return 1 - a * a;
    if (act == SIGMOID) return a * (1 - a);
    if (act == RELU) return a > 0;
    return 1;
}

/* rows b with m[b] == 0 keep the old state; m NULL: none */
static void FN(keep)(int nb, int H, const uint8_t *m, const real *old, real *now) {
    if (!m) return;
    for (int b = 0; b < nb; b++)
        if (!m[b]) memcpy(now + (size_t)b * H, old + (size_t)b * H, sizeof(real) * H);
}

#define MASK(t) (j->mask ? j->mask + (size_t)(t) * j->B + b0 : NULL)

/* S holds xz on entry and the states on return: S[t] = f(xz[t] + S[t-1] W_R^T + b); W = W_R */
static void FN(elman_forward_rows)(const void *job, int b0, int nb) {
    const NAME(job) *j = job;
    const int H = j->H;
    NAME(matrix) w = NAME(prepare)(nb, H, H, j->W, 1);
    const real *h = AT0(j->h0, H);
    for (int t = 0; t < j->T; t++) {
        real *s = AT(j->S, t, H);
        NAME(xw)(&w, h, 1, s);
        FN(activate)(j->act, nb, H, s, j->b, j->parallel);
        FN(keep)(nb, H, MASK(t), h, s);
        h = s;
    }
    NAME(release)(&w);
}

/* dS (T, B, H): dL/dS from above; dz gets dL/dz (pre-activation), holding until step t the
 * gradient carried back from step t+1; dh (B, H) gets dL/dh0; W = W_R */
static void FN(elman_backward_rows)(const void *job, int b0, int nb) {
    const NAME(job) *j = job;
    const int H = j->H;
    NAME(matrix) w = NAME(prepare)(nb, H, H, j->W, 0);
    memset(AT(j->dz, j->T - 1, H), 0, sizeof(real) * nb * H);
    for (int t = j->T - 1; t >= 0; t--) {
        real *d = AT(j->dz, t, H), *below = t > 0 ? AT(j->dz, t - 1, H) : AT0(j->dh, H);
        const real *s = AT(j->S, t, H), *up = AT(j->dS, t, H);
        const uint8_t *m = MASK(t);
        #pragma omp parallel for if (j->parallel) schedule(static)
        for (int b = 0; b < nb; b++) {
            real *db = d + (size_t)b * H, *bb = below + (size_t)b * H;
            const real *sb = s + (size_t)b * H, *ub = up + (size_t)b * H;
            if (m && !m[b]) {
                #pragma GCC ivdep
                for (int i = 0; i < H; i++) { bb[i] = ub[i] + db[i]; db[i] = 0; }
            } else {
                #pragma GCC ivdep
                for (int i = 0; i < H; i++)
                    db[i] = (ub[i] + db[i]) * FN(derivative)(j->act, sb[i]);
                if (m) memset(bb, 0, sizeof(real) * H);
            }
        }
        /* unpadded, the product is all of `below`; padded rows add their carried gradient */
        NAME(xw)(&w, d, m ? 1 : 0, below);
    }
    NAME(release)(&w);
}

/* gates (T, B, 4H) holds xz on entry and the activated i, f, g, o of xz + h W_R^T + b on
 * return; Hs, Cs, Tc (T, B, H) get h_t, c_t and tanh(c_t); W = W_R */
static void FN(lstm_forward_rows)(const void *job, int b0, int nb) {
    const NAME(job) *j = job;
    const int H = j->H;
    NAME(matrix) w = NAME(prepare)(nb, 4 * H, H, j->W, 1);
    const real *h = AT0(j->h0, H), *c = AT0(j->c0, H);
    for (int t = 0; t < j->T; t++) {
        real *z = AT(j->gates, t, 4 * H), *ht = AT(j->Hs, t, H), *ct = AT(j->Cs, t, H);
        real *tc = AT(j->Tc, t, H);
        NAME(xw)(&w, h, 1, z);
        #pragma omp parallel for if (j->parallel) schedule(static)
        for (int b = 0; b < nb; b++) {
            real *zb = z + (size_t)b * 4 * H, *i = zb, *f = zb + H, *g = zb + 2 * H;
            real *o = zb + 3 * H, *cb = ct + (size_t)b * H, *tb = tc + (size_t)b * H;
            real *hb = ht + (size_t)b * H;
            const real *cp = c + (size_t)b * H;
            #pragma GCC ivdep
            for (int k = 0; k < H; k++) {
                i[k] = FN(sigmoid)(i[k] + j->b[k]);
                f[k] = FN(sigmoid)(f[k] + j->b[H + k]);
                g[k] = NAME(tanh)(g[k] + j->b[2 * H + k]);
                o[k] = FN(sigmoid)(o[k] + j->b[3 * H + k]);
                cb[k] = f[k] * cp[k] + i[k] * g[k];
                tb[k] = NAME(tanh)(cb[k]);
                hb[k] = o[k] * tb[k];
            }
        }
        FN(keep)(nb, H, MASK(t), c, ct);
        FN(keep)(nb, H, MASK(t), h, ht);
        h = ht;
        c = ct;
    }
    NAME(release)(&w);
}

/* dS (T, B, H): dL/dh_t from above; dh, dc (B, H): dL/d of the final state on entry, of the
 * initial state on return; dz (T, B, 4H) gets dL/d(pre-activation gates); W = W_R */
static void FN(lstm_backward_rows)(const void *job, int b0, int nb) {
    const NAME(job) *j = job;
    const int H = j->H;
    NAME(matrix) w = NAME(prepare)(nb, H, 4 * H, j->W, 0);
    real *dh = AT0(j->dh, H), *dc = AT0(j->dc, H);
    for (int t = j->T - 1; t >= 0; t--) {
        const real *z = AT(j->gates, t, 4 * H), *tc = AT(j->Tc, t, H);
        const real *cp = t > 0 ? AT(j->Cs, t - 1, H) : AT0(j->c0, H), *dS = AT(j->dS, t, H);
        const uint8_t *m = MASK(t);
        real *d = AT(j->dz, t, 4 * H);
        #pragma omp parallel for if (j->parallel) schedule(static)
        for (int b = 0; b < nb; b++) {
            const real *zb = z + (size_t)b * 4 * H, *i = zb, *f = zb + H, *g = zb + 2 * H;
            const real *o = zb + 3 * H, *tb = tc + (size_t)b * H, *cpb = cp + (size_t)b * H;
            const real *dSb = dS + (size_t)b * H;
            real *dhb = dh + (size_t)b * H, *dcb = dc + (size_t)b * H;
            real *db = d + (size_t)b * 4 * H;
            if (m && !m[b]) {
                #pragma GCC ivdep
                for (int k = 0; k < 4 * H; k++) db[k] = 0;
                #pragma GCC ivdep
                for (int k = 0; k < H; k++) dhb[k] += dSb[k];
                continue;
            }
            #pragma GCC ivdep
            for (int k = 0; k < H; k++) {
                real gh = dhb[k] + dSb[k];
                real c = dcb[k] + gh * o[k] * (1 - tb[k] * tb[k]);
                db[k] = c * g[k] * i[k] * (1 - i[k]);
                db[H + k] = c * cpb[k] * f[k] * (1 - f[k]);
                db[2 * H + k] = c * i[k] * (1 - g[k] * g[k]);
                db[3 * H + k] = gh * tb[k] * o[k] * (1 - o[k]);
                dcb[k] = c * f[k];
            }
        }
        /* dh = dz_t W_R, plus the carried gradient in the padded rows */
        if (m) {
            for (int b = 0; b < nb; b++)
                if (m[b]) memset(dh + (size_t)b * H, 0, sizeof(real) * H);
            NAME(xw)(&w, d, 1, dh);
        } else {
            NAME(xw)(&w, d, 0, dh);
        }
    }
    NAME(release)(&w);
}

/* rzn (T, B, 3H) gets r, z, n activated, of xz + b and the recurrent part (rzn may be xz:
 * each element is read, then written at the same place); hn (T, B, H) gets W_Rn h_{t-1} +
 * b_Rn; S (T, B, H) the states; hr (B, 3H) is scratch; W = W_R */
static void FN(gru_forward_rows)(const void *job, int b0, int nb) {
    const NAME(job) *j = job;
    const int H = j->H;
    NAME(matrix) w = NAME(prepare)(nb, 3 * H, H, j->W, 1);
    real *hr = AT0(j->hr, 3 * H);
    const real *h = AT0(j->h0, H);
    for (int t = 0; t < j->T; t++) {
        real *a = AT(j->rzn, t, 3 * H), *hnt = AT(j->hn, t, H), *s = AT(j->S, t, H);
        const real *x = AT(j->xz, t, 3 * H);
        NAME(xw)(&w, h, 0, hr);
        #pragma omp parallel for if (j->parallel) schedule(static)
        for (int b = 0; b < nb; b++) {
            real *ab = a + (size_t)b * 3 * H, *hrb = hr + (size_t)b * 3 * H;
            const real *xb = x + (size_t)b * 3 * H;
            #pragma GCC ivdep
            for (int k = 0; k < 2 * H; k++) ab[k] = FN(sigmoid)(xb[k] + j->b[k] + hrb[k]);
            real *hnb = hnt + (size_t)b * H, *n = ab + 2 * H, *sb = s + (size_t)b * H;
            const real *z = ab + H, *hb = h + (size_t)b * H, *bn = j->b + 2 * H;
            #pragma GCC ivdep
            for (int k = 0; k < H; k++) {
                hnb[k] = hrb[2 * H + k] + j->b_Rn[k];
                n[k] = NAME(tanh)(xb[2 * H + k] + bn[k] + ab[k] * hnb[k]);
                sb[k] = n[k] + z[k] * (hb[k] - n[k]);
            }
        }
        FN(keep)(nb, H, MASK(t), h, s);
        h = s;
    }
    NAME(release)(&w);
}

/* dS (T, B, H): dL/dh_t from above; dh (B, H): dL/d final state on entry, initial on return;
 * dx (T, B, 3H) gets dL/dxz, dhr (T, B, 3H) dL/d(h W_R^T + [0, 0, b_Rn]); W = W_R */
static void FN(gru_backward_rows)(const void *job, int b0, int nb) {
    const NAME(job) *j = job;
    const int H = j->H;
    NAME(matrix) w = NAME(prepare)(nb, H, 3 * H, j->W, 0);
    real *dh = AT0(j->dh, H);
    for (int t = j->T - 1; t >= 0; t--) {
        const real *a = AT(j->rzn, t, 3 * H), *hnt = AT(j->hn, t, H), *dS = AT(j->dS, t, H);
        const real *hp = t > 0 ? AT(j->S, t - 1, H) : AT0(j->h0, H);
        const uint8_t *m = MASK(t);
        real *dxt = AT(j->dx, t, 3 * H), *dht = AT(j->dhr, t, 3 * H);
        #pragma omp parallel for if (j->parallel) schedule(static)
        for (int b = 0; b < nb; b++) {
            const real *r = a + (size_t)b * 3 * H, *z = r + H, *n = r + 2 * H;
            const real *hnb = hnt + (size_t)b * H, *hpb = hp + (size_t)b * H;
            const real *dSb = dS + (size_t)b * H;
            real *dhb = dh + (size_t)b * H, *dxb = dxt + (size_t)b * 3 * H;
            real *drb = dht + (size_t)b * 3 * H;
            if (m && !m[b]) {
                #pragma GCC ivdep
                for (int k = 0; k < 3 * H; k++) dxb[k] = drb[k] = 0;
                #pragma GCC ivdep
                for (int k = 0; k < H; k++) dhb[k] += dSb[k];
                continue;
            }
            #pragma GCC ivdep
            for (int k = 0; k < H; k++) {
                real g = dhb[k] + dSb[k];
                real dn = g * (1 - z[k]) * (1 - n[k] * n[k]);
                dxb[2 * H + k] = dn;
                dxb[k] = drb[k] = dn * hnb[k] * r[k] * (1 - r[k]);
                dxb[H + k] = drb[H + k] = g * (hpb[k] - n[k]) * z[k] * (1 - z[k]);
                drb[2 * H + k] = dn * r[k];
                dhb[k] = g * z[k];
            }
        }
        NAME(xw)(&w, dht, 1, dh);
    }
    NAME(release)(&w);
}

#undef FN
