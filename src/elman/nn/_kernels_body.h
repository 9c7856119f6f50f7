/* The kernels of _kernels.c for one floating type, included once per type with `real`,
 * NAME(x) (x with the type's suffix) and GEMM defined.
 *
 * Each kernel is a rows function (in _kernels_rows.h, compiled once per instruction set),
 * which runs all T steps for the batch rows b0 .. b0+nb-1 (rows are independent), and an
 * exported wrapper that fills a job and hands the CPU's variant of it to run_rows.
 * AT(p, t, w) is row b0 at step t of a (T, B, w) array; a chunk's nb rows of one step are
 * contiguous, so a step is one (nb, k) x (k, n) product. */

#define AT(p, t, w) ((p) + ((size_t)(t) * j->B + b0) * (size_t)(w))
#define AT0(p, w) ((p) + (size_t)b0 * (w))

typedef struct {
    int T, B, H, act;
    int parallel;  /* spread each step's elementwise work over torch's OpenMP threads */
    const uint8_t *mask;
    real *S, *gates, *Hs, *Cs, *Tc, *rzn, *hn, *hr, *dz, *dh, *dc, *dx, *dhr;
    const real *xz, *h0, *c0, *W, *b, *b_Rn, *dS;
} NAME(job);

/* op(W) (k, n), ready for C (rows, n) = beta C + X (rows, k) op(W) at every step, where W is
 * (k, n), or (n, k) with trans (op(W) = W^T): packed for MKL where it can be (packing reads
 * either layout), else W itself or, with trans, a contiguous copy of W^T (a transposed operand
 * measured up to 1.6x slower) */
typedef struct {
    const real *W;
    int rows, n, k, trans;
    void *packed;
    real *owned;
} NAME(matrix);

static NAME(matrix) NAME(prepare)(int rows, int n, int k, const real *W, int trans) {
    NAME(matrix) m = {W, rows, n, k, trans, NULL, NULL};
    if (sizeof(real) == sizeof(float) && pack_ptr && pack_size_ptr && compute_ptr) {
        m.packed = malloc(pack_size_ptr(B_MATRIX, rows, n, k));
        if (m.packed) {
            pack_ptr(ROW_MAJOR, B_MATRIX, trans ? TRANS : NO_TRANS, rows, n, k, 1.0f, W,
                     trans ? k : n, m.packed);
            return m;
        }
    }
    if (trans && (m.owned = malloc(sizeof(real) * (size_t)n * k))) {
        for (int i = 0; i < n; i++)
            for (int c = 0; c < k; c++) m.owned[(size_t)c * n + i] = W[(size_t)i * k + c];
        m.W = m.owned;
        m.trans = 0;
    }
    return m;
}

static void NAME(release)(NAME(matrix) *m) {
    free(m->packed);
    free(m->owned);
}

static void NAME(xw)(const NAME(matrix) *m, const real *X, real beta, real *C) {
    if (m->packed) {
        compute_ptr(ROW_MAJOR, NO_TRANS, PACKED, m->rows, m->n, m->k, X, m->k, m->packed, m->n,
                    (float)beta, C, m->n);
        return;
    }
    /* column-major BLAS: C^T (n, rows) = op(W)^T X^T */
    const real one = 1;
    GEMM(m->trans ? "T" : "N", "N", &m->n, &m->rows, &m->k, &one, m->W,
         m->trans ? &m->k : &m->n, X, &m->k, &beta, C, &m->n);
}

/* The loops, compiled once per instruction set (see ISA_LEVEL in _kernels.c) */
#if X86_GCC
#pragma GCC push_options
#pragma GCC target("avx512f,avx512dq,avx512vl,avx2,fma")
#define ISA avx512
#include "_kernels_rows.h"
#undef ISA
#pragma GCC pop_options
#pragma GCC push_options
#pragma GCC target("avx2,fma")
#define ISA avx2
#include "_kernels_rows.h"
#undef ISA
#pragma GCC pop_options
#endif
#define ISA base
#include "_kernels_rows.h"
#undef ISA

/* The exported kernels: `chunks` threads each take a slice of the batch (see run_rows); with
 * one chunk, `parallel` spreads each step's elementwise work over OpenMP threads. */

void NAME(elman_forward)(int chunks, int parallel, int T, int B, int H, int act, real *S,
                         const real *h0, const real *W_R, const real *b, const uint8_t *mask) {
    NAME(job) j = {.parallel = parallel && chunks <= 1, .T = T, .B = B, .H = H, .act = act,
                   .mask = mask, .S = S, .h0 = h0, .W = W_R, .b = b};
    run_rows(PICK(elman_forward_rows), &j, B, chunks);
}

void NAME(elman_backward)(int chunks, int parallel, int T, int B, int H, int act, const real *S,
                          const real *W_R, const uint8_t *mask, const real *dS, real *dz,
                          real *dh0) {
    NAME(job) j = {.parallel = parallel && chunks <= 1,
                   .T = T, .B = B, .H = H, .act = act, .mask = mask, .S = (real *)S, .W = W_R,
                   .dS = dS, .dz = dz, .dh = dh0};
    run_rows(PICK(elman_backward_rows), &j, B, chunks);
}

void NAME(lstm_forward)(int chunks, int parallel, int T, int B, int H, real *gates, real *Hs,
                        real *Cs, real *Tc, const real *h0, const real *c0, const real *W_R,
                        const real *b, const uint8_t *mask) {
    NAME(job) j = {.parallel = parallel && chunks <= 1,
                   .T = T, .B = B, .H = H, .mask = mask, .gates = gates, .Hs = Hs, .Cs = Cs,
                   .Tc = Tc, .h0 = h0, .c0 = c0, .W = W_R, .b = b};
    run_rows(PICK(lstm_forward_rows), &j, B, chunks);
}

void NAME(lstm_backward)(int chunks, int parallel, int T, int B, int H, const real *gates,
                         const real *Cs, const real *Tc, const real *c0, const real *W_R,
                         const uint8_t *mask, const real *dH, real *dh, real *dc, real *dz) {
    NAME(job) j = {.parallel = parallel && chunks <= 1,
                   .T = T, .B = B, .H = H, .mask = mask, .gates = (real *)gates,
                   .Cs = (real *)Cs, .Tc = (real *)Tc, .c0 = c0, .W = W_R, .dS = dH, .dh = dh,
                   .dc = dc, .dz = dz};
    run_rows(PICK(lstm_backward_rows), &j, B, chunks);
}

void NAME(gru_forward)(int chunks, int parallel, int T, int B, int H, const real *xz,
                       real *rzn, real *hn, real *S, const real *h0, const real *W_R,
                       const real *b, const real *b_Rn, const uint8_t *mask, real *hr) {
    NAME(job) j = {.parallel = parallel && chunks <= 1,
                   .T = T, .B = B, .H = H, .mask = mask, .xz = xz, .rzn = rzn, .hn = hn, .S = S,
                   .h0 = h0, .W = W_R, .b = b, .b_Rn = b_Rn, .hr = hr};
    run_rows(PICK(gru_forward_rows), &j, B, chunks);
}

void NAME(gru_backward)(int chunks, int parallel, int T, int B, int H, const real *rzn,
                        const real *hn, const real *S, const real *h0, const real *W_R,
                        const uint8_t *mask, const real *dS, real *dh, real *dx, real *dhr) {
    NAME(job) j = {.parallel = parallel && chunks <= 1,
                   .T = T, .B = B, .H = H, .mask = mask, .rzn = (real *)rzn, .hn = (real *)hn,
                   .S = (real *)S, .h0 = h0, .W = W_R, .dS = dS, .dh = dh, .dx = dx,
                   .dhr = dhr};
    run_rows(PICK(gru_backward_rows), &j, B, chunks);
}

#undef AT
#undef AT0
#undef MASK
