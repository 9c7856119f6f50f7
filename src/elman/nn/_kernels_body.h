/* The kernels of _kernels.c for one floating type, included once per type with `real`,
 * NAME(x) (x with the type's suffix) and GEMM defined. */

/* W (k, n), ready for C (rows, n) = beta C + X (rows, k) W at every step */
typedef struct {
    const real *W;
    int rows, n, k;
    void *packed;
} NAME(matrix);

static NAME(matrix) NAME(prepare)(int rows, int n, int k, const real *W) {
    NAME(matrix) m = {W, rows, n, k, NULL};
    if (sizeof(real) == sizeof(float) && pack_ptr && pack_size_ptr && compute_ptr) {
        m.packed = malloc(pack_size_ptr(B_MATRIX, rows, n, k));
        if (m.packed) pack_ptr(ROW_MAJOR, B_MATRIX, NO_TRANS, rows, n, k, 1.0f, W, n, m.packed);
    }
    return m;
}

static void NAME(xw)(const NAME(matrix) *m, const real *X, real beta, real *C) {
    if (m->packed) {
        compute_ptr(ROW_MAJOR, NO_TRANS, PACKED, m->rows, m->n, m->k, X, m->k, m->packed, m->n,
                    (float)beta, C, m->n);
        return;
    }
    const real one = 1;
    GEMM("N", "N", &m->n, &m->rows, &m->k, &one, m->W, &m->n, X, &m->k, &beta, C, &m->n);
}

static inline real NAME(sigmoid)(real x) {
    return (real)0.5 * NAME(tanh)((real)0.5 * x) + (real)0.5;
}

static inline void NAME(activate)(int act, int n, real *x) {
    if (act == TANH)
        for (int i = 0; i < n; i++) x[i] = NAME(tanh)(x[i]);
    else if (act == SIGMOID)
        for (int i = 0; i < n; i++) x[i] = NAME(sigmoid)(x[i]);
    else if (act == RELU)
        for (int i = 0; i < n; i++) x[i] = x[i] > 0 ? x[i] : 0;
}

/* f'(z) written through a = f(z) */
static inline real NAME(derivative)(int act, real a) {
    if (act == TANH) return 1 - a * a;
    if (act == SIGMOID) return a * (1 - a);
    if (act == RELU) return a > 0;
    return 1;
}

/* rows b with mask[b] == 0 keep the old state */
static void NAME(keep)(int B, int H, const uint8_t *m, const real *old, real *now) {
    if (!m) return;
    for (int b = 0; b < B; b++)
        if (!m[b]) memcpy(now + (size_t)b * H, old + (size_t)b * H, sizeof(real) * H);
}

/* S holds xz on entry and the states on return: S[t] = f(xz[t] + S[t-1] W_R^T) */
CLONES void NAME(elman_forward)(int T, int B, int H, int act, real *S, const real *h0,
                         const real *WT, const uint8_t *mask) {
    const size_t step = (size_t)B * H;
    NAME(matrix) w = NAME(prepare)(B, H, H, WT);
    const real *h = h0;
    for (int t = 0; t < T; t++) {
        real *s = S + t * step;
        NAME(xw)(&w, h, 1, s);
        NAME(activate)(act, (int)step, s);
        NAME(keep)(B, H, mask ? mask + (size_t)t * B : NULL, h, s);
        h = s;
    }
    free(w.packed);
}

/* dz holds dL/dS on entry and dL/dz (pre-activation) on return; dh0 (B, H) is written */
CLONES void NAME(elman_backward)(int T, int B, int H, int act, const real *S, const real *W_R,
                          const uint8_t *mask, real *dz, real *dh0) {
    const size_t step = (size_t)B * H;
    NAME(matrix) w = NAME(prepare)(B, H, H, W_R);
    memset(dh0, 0, sizeof(real) * step);
    for (int t = T - 1; t >= 0; t--) {
        real *d = dz + t * step, *below = t > 0 ? d - step : dh0;
        const real *s = S + t * step;
        const uint8_t *m = mask ? mask + (size_t)t * B : NULL;
        for (int b = 0; b < B; b++) {
            real *db = d + (size_t)b * H, *bb = below + (size_t)b * H;
            const real *sb = s + (size_t)b * H;
            if (m && !m[b]) {
                #pragma GCC ivdep
                for (int j = 0; j < H; j++) { bb[j] += db[j]; db[j] = 0; }
            } else {
                #pragma GCC ivdep
                for (int j = 0; j < H; j++) db[j] *= NAME(derivative)(act, sb[j]);
            }
        }
        NAME(xw)(&w, d, 1, below);
    }
    free(w.packed);
}

/* gates (T, B, 4H) holds xz on entry and the activated i, f, g, o on return; Hs, Cs, Tc
 * (T, B, H) get h_t, c_t and tanh(c_t) */
CLONES void NAME(lstm_forward)(int T, int B, int H, real *gates, real *Hs, real *Cs, real *Tc,
                        const real *h0, const real *c0, const real *WT,
                        const uint8_t *mask) {
    const size_t step = (size_t)B * H, gstep = 4 * step;
    NAME(matrix) w = NAME(prepare)(B, 4 * H, H, WT);
    const real *h = h0, *c = c0;
    for (int t = 0; t < T; t++) {
        real *z = gates + t * gstep, *ht = Hs + t * step, *ct = Cs + t * step;
        real *tc = Tc + t * step;
        NAME(xw)(&w, h, 1, z);
        for (int b = 0; b < B; b++) {
            real *zb = z + (size_t)b * 4 * H, *i = zb, *f = zb + H, *g = zb + 2 * H;
            real *o = zb + 3 * H, *cb = ct + (size_t)b * H, *tb = tc + (size_t)b * H;
            real *hb = ht + (size_t)b * H;
            const real *cp = c + (size_t)b * H;
            #pragma GCC ivdep
            for (int j = 0; j < H; j++) {
                i[j] = NAME(sigmoid)(i[j]);
                f[j] = NAME(sigmoid)(f[j]);
                g[j] = NAME(tanh)(g[j]);
                o[j] = NAME(sigmoid)(o[j]);
                cb[j] = f[j] * cp[j] + i[j] * g[j];
                tb[j] = NAME(tanh)(cb[j]);
                hb[j] = o[j] * tb[j];
            }
        }
        NAME(keep)(B, H, mask ? mask + (size_t)t * B : NULL, c, ct);
        NAME(keep)(B, H, mask ? mask + (size_t)t * B : NULL, h, ht);
        h = ht;
        c = ct;
    }
    free(w.packed);
}

/* dH (T, B, H): dL/dh_t from above; dh, dc (B, H): dL/d of the final state on entry, of the
 * initial state on return; dz (T, B, 4H) gets dL/d(pre-activation gates) */
CLONES void NAME(lstm_backward)(int T, int B, int H, const real *gates, const real *Cs,
                         const real *Tc, const real *c0, const real *W_R,
                         const uint8_t *mask, const real *dH, real *dh, real *dc, real *dz) {
    const size_t step = (size_t)B * H, gstep = 4 * step;
    NAME(matrix) w = NAME(prepare)(B, H, 4 * H, W_R);
    for (int t = T - 1; t >= 0; t--) {
        const real *z = gates + t * gstep, *tc = Tc + t * step;
        const real *cp = t > 0 ? Cs + (t - 1) * step : c0;
        const uint8_t *m = mask ? mask + (size_t)t * B : NULL;
        real *d = dz + t * gstep;
        for (int b = 0; b < B; b++) {
            const real *zb = z + (size_t)b * 4 * H, *i = zb, *f = zb + H, *g = zb + 2 * H;
            const real *o = zb + 3 * H, *tb = tc + (size_t)b * H, *cpb = cp + (size_t)b * H;
            const real *dHb = dH + t * step + (size_t)b * H;
            real *dhb = dh + (size_t)b * H, *dcb = dc + (size_t)b * H;
            real *db = d + (size_t)b * 4 * H;
            if (m && !m[b]) {
                #pragma GCC ivdep
                for (int j = 0; j < 4 * H; j++) db[j] = 0;
                #pragma GCC ivdep
                for (int j = 0; j < H; j++) dhb[j] += dHb[j];
                continue;
            }
            #pragma GCC ivdep
            for (int j = 0; j < H; j++) {
                real gh = dhb[j] + dHb[j];
                real c = dcb[j] + gh * o[j] * (1 - tb[j] * tb[j]);
                db[j] = c * g[j] * i[j] * (1 - i[j]);
                db[H + j] = c * cpb[j] * f[j] * (1 - f[j]);
                db[2 * H + j] = c * i[j] * (1 - g[j] * g[j]);
                db[3 * H + j] = gh * tb[j] * o[j] * (1 - o[j]);
                dcb[j] = c * f[j];
            }
        }
        /* dh = dz_t W_R, plus the carried gradient in the padded rows */
        if (m) {
            for (int b = 0; b < B; b++)
                if (m[b]) memset(dh + (size_t)b * H, 0, sizeof(real) * H);
            NAME(xw)(&w, d, 1, dh);
        } else {
            NAME(xw)(&w, d, 0, dh);
        }
    }
    free(w.packed);
}

/* rzn (T, B, 3H) gets r, z, n activated; hn (T, B, H) gets W_Rn h_{t-1} + b_Rn; S (T, B, H)
 * the states; hr (B, 3H) is scratch */
CLONES void NAME(gru_forward)(int T, int B, int H, const real *xz, real *rzn, real *hn, real *S,
                       const real *h0, const real *WT, const real *b_Rn,
                       const uint8_t *mask, real *hr) {
    const size_t step = (size_t)B * H, gstep = 3 * step;
    NAME(matrix) w = NAME(prepare)(B, 3 * H, H, WT);
    const real *h = h0;
    for (int t = 0; t < T; t++) {
        real *a = rzn + t * gstep, *hnt = hn + t * step, *s = S + t * step;
        const real *x = xz + t * gstep;
        NAME(xw)(&w, h, 0, hr);
        for (int b = 0; b < B; b++) {
            real *ab = a + (size_t)b * 3 * H, *hrb = hr + (size_t)b * 3 * H;
            const real *xb = x + (size_t)b * 3 * H;
            #pragma GCC ivdep
            for (int j = 0; j < 2 * H; j++) ab[j] = NAME(sigmoid)(xb[j] + hrb[j]);
            real *hnb = hnt + (size_t)b * H, *n = ab + 2 * H, *sb = s + (size_t)b * H;
            const real *z = ab + H, *hb = h + (size_t)b * H;
            #pragma GCC ivdep
            for (int j = 0; j < H; j++) {
                hnb[j] = hrb[2 * H + j] + b_Rn[j];
                n[j] = NAME(tanh)(xb[2 * H + j] + ab[j] * hnb[j]);
                sb[j] = n[j] + z[j] * (hb[j] - n[j]);
            }
        }
        NAME(keep)(B, H, mask ? mask + (size_t)t * B : NULL, h, s);
        h = s;
    }
    free(w.packed);
}

/* dS (T, B, H): dL/dh_t from above; dh (B, H): dL/d final state on entry, initial on return;
 * dx (T, B, 3H) gets dL/dxz, dhr (T, B, 3H) dL/d(h W_R^T + [0, 0, b_Rn]) */
CLONES void NAME(gru_backward)(int T, int B, int H, const real *rzn, const real *hn, const real *S,
                        const real *h0, const real *W_R, const uint8_t *mask, const real *dS,
                        real *dh, real *dx, real *dhr) {
    const size_t step = (size_t)B * H, gstep = 3 * step;
    NAME(matrix) w = NAME(prepare)(B, H, 3 * H, W_R);
    for (int t = T - 1; t >= 0; t--) {
        const real *a = rzn + t * gstep, *hnt = hn + t * step;
        const real *hp = t > 0 ? S + (t - 1) * step : h0;
        const uint8_t *m = mask ? mask + (size_t)t * B : NULL;
        real *dxt = dx + t * gstep, *dht = dhr + t * gstep;
        for (int b = 0; b < B; b++) {
            const real *r = a + (size_t)b * 3 * H, *z = r + H, *n = r + 2 * H;
            const real *hnb = hnt + (size_t)b * H, *hpb = hp + (size_t)b * H;
            const real *dSb = dS + t * step + (size_t)b * H;
            real *dhb = dh + (size_t)b * H, *dxb = dxt + (size_t)b * 3 * H;
            real *drb = dht + (size_t)b * 3 * H;
            if (m && !m[b]) {
                #pragma GCC ivdep
                for (int j = 0; j < 3 * H; j++) dxb[j] = drb[j] = 0;
                #pragma GCC ivdep
                for (int j = 0; j < H; j++) dhb[j] += dSb[j];
                continue;
            }
            #pragma GCC ivdep
            for (int j = 0; j < H; j++) {
                real g = dhb[j] + dSb[j];
                real dn = g * (1 - z[j]) * (1 - n[j] * n[j]);
                dxb[2 * H + j] = dn;
                dxb[j] = drb[j] = dn * hnb[j] * r[j] * (1 - r[j]);
                dxb[H + j] = drb[H + j] = g * (hpb[j] - n[j]) * z[j] * (1 - z[j]);
                drb[2 * H + j] = dn * r[j];
                dhb[j] = g * z[j];
            }
        }
        NAME(xw)(&w, dht, 1, dh);
    }
    free(w.packed);
}
