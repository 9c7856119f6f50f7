/* The sequential part of the fast path, one layer direction, in C: the loop over time with
 * no interpreter and no dispatcher between steps (see kernels.py, which loads this file).
 *
 * The matrix products call the BLAS that torch itself runs (MKL in torch's x86 build) through
 * pointers handed over by elman_init; nothing is linked at build time. In float, the recurrent
 * matrix is packed once per call for MKL's packed GEMM (cblas_sgemm_pack/compute) where torch
 * exports it, transposed on the way for the forward's W_R^T. Per step: one matrix product and
 * one pass over the step's elements. All arrays are row-major and contiguous, time-major where
 * they have a time axis: xz, S (T, B, G*H); h0 (B, H); W_R (G*H, H); mask (T, B) bytes or NULL.
 * Each kernel exists for float (suffix _f32) and double (_f64).
 */
#include <Python.h>
#include <math.h>
#include <omp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef void (*gemm_fn)(const char *, const char *, const int *, const int *, const int *,
                        const void *, const void *, const int *, const void *, const int *,
                        const void *, void *, const int *);

typedef size_t (*pack_size_fn)(int, int, int, int);
typedef void (*pack_fn)(int, int, int, int, int, int, float, const void *, int, void *);
typedef void (*compute_fn)(int, int, int, int, int, int, const void *, int, const void *, int,
                           float, void *, int);
enum { ROW_MAJOR = 101, NO_TRANS = 111, TRANS = 112, PACKED = 151, B_MATRIX = 162 };

typedef int (*threads_fn)(const int *);  /* torch exports MKL's Fortran-style entry */

static gemm_fn sgemm_ptr, dgemm_ptr;
static pack_size_fn pack_size_ptr;
static pack_fn pack_ptr;
static compute_fn compute_ptr;
static threads_fn local_threads_ptr;

/* The loops are compiled for AVX-512, AVX2 and the baseline (_kernels_rows.h, included by
 * _kernels_body.h once per set); PICK(f) is the variant for this CPU, chosen in elman_init. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define X86_GCC 1
#else
#define X86_GCC 0
#endif
static int isa_level, isa_best;  /* 2: AVX-512, 1: AVX2 with FMA, 0: baseline */

static void detect_isa(void) {
#if X86_GCC
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq")
        && __builtin_cpu_supports("avx512vl"))
        isa_best = 2;
    else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        isa_best = 1;
#endif
    isa_level = isa_best;
}

/* Run the variant `level` (capped by what the CPU has; -1: the best) and return the one
 * that runs: tests cover each variant this way. */
int elman_isa(int level) {
    isa_level = level < 0 || level > isa_best ? isa_best : level;
    return isa_level;
}

#if X86_GCC
#define PICK(f) (isa_level == 2 ? CAT(NAME(f), avx512) \
                 : isa_level == 1 ? CAT(NAME(f), avx2) : CAT(NAME(f), base))
#else
#define PICK(f) CAT(NAME(f), base)
#endif

/* sgemm_ and dgemm_ are required; the cblas_sgemm_pack* trio and mkl_set_num_threads_local
 * may be NULL (then no packing, and no batch split) */
void elman_init(void *sgemm, void *dgemm, void *pack_size, void *pack, void *compute,
                void *local_threads) {
    sgemm_ptr = (gemm_fn)sgemm;
    dgemm_ptr = (gemm_fn)dgemm;
    pack_size_ptr = (pack_size_fn)pack_size;
    pack_ptr = (pack_fn)pack;
    compute_ptr = (compute_fn)compute;
    local_threads_ptr = (threads_fn)local_threads;
    detect_isa();
}

/* Batch rows are independent, so `chunks` OpenMP threads can each run all T steps on a slice
 * of the batch with single-threaded matrix products: no barrier per step, where a threaded
 * BLAS call has one at every step, and each core keeps its slice of the states in its own
 * cache. (Threads of OpenMP's team, not new ones, so none waits on one of the team still
 * spinning after torch's last parallel region.) */
typedef void (*rows_fn)(const void *job, int b0, int nb);

static void run_rows(rows_fn fn, const void *job, int B, int chunks) {
    if (chunks > B) chunks = B;
    if (chunks <= 1 || !local_threads_ptr) {
        fn(job, 0, B);
        return;
    }
    #pragma omp parallel num_threads(chunks)
    {
        const int n = omp_get_num_threads(), i = omp_get_thread_num(), one = 1;
        const int b0 = (int)((long)B * i / n), nb = (int)((long)B * (i + 1) / n) - b0;
        const int previous = local_threads_ptr(&one);
        if (nb > 0) fn(job, b0, nb);
        local_threads_ptr(&previous);
    }
}

/* tanh in float as a rational function (Eigen's fast tanh), which the compiler vectorises;
 * its error is below 4e-7. A vector library call (MKL's vsTanh) costs ~2 us per call, more
 * than the whole step at small sizes. */
static inline float tanh_f32(float x) {
    const float bound = 7.90531110763549805f;
    x = x > bound ? bound : (x < -bound ? -bound : x);
    const float x2 = x * x;
    float p = -2.76076847742355e-16f;
    p = p * x2 + 2.00018790482477e-13f;
    p = p * x2 - 8.60467152213735e-11f;
    p = p * x2 + 5.12229709037114e-08f;
    p = p * x2 + 1.48572235717979e-05f;
    p = p * x2 + 6.37261928875436e-04f;
    p = p * x2 + 4.89352455891786e-03f;
    float q = 1.19825839466702e-06f;
    q = q * x2 + 1.18534705686654e-04f;
    q = q * x2 + 2.26843463243900e-03f;
    q = q * x2 + 4.89352518554385e-03f;
    return x * p / q;
}

static inline double tanh_f64(double x) { return tanh(x); }

enum { TANH = 0, SIGMOID = 1, RELU = 2, IDENTITY = 3 };

#define CAT_(a, b) a##_##b
#define CAT(a, b) CAT_(a, b)
#define NAME(x) CAT(x, SUF)

#define real float
#define SUF f32
#define GEMM sgemm_ptr
#include "_kernels_body.h"
#undef real
#undef SUF
#undef GEMM

#define real double
#define SUF f64
#define GEMM dgemm_ptr
#include "_kernels_body.h"

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_kernels", NULL, -1, NULL};

PyMODINIT_FUNC PyInit__kernels(void) { return PyModule_Create(&module); }
