/* The hot vector kernels.  Each is written so that the compiler vectorises
 * it without -ffast-math (an OpenMP simd reduction lets it reorder the sum
 * and nothing else), and is compiled several times for different
 * instruction sets, the best of which is picked when the library loads. */

#include <math.h>

#include "internal.h"

RNN_HOT rnn_real rnn_dot(const rnn_real *a, const rnn_real *b, int n)
{
    rnn_real sum = 0;
#pragma omp simd reduction(+ : sum)
    for (int i = 0; i < n; i++)
        sum += a[i] * b[i];
    return sum;
}

RNN_HOT void rnn_axpy(rnn_real *y, rnn_real alpha, const rnn_real *x, int n)
{
#pragma omp simd
    for (int i = 0; i < n; i++)
        y[i] += alpha * x[i];
}

/* Eight rows at a time: each load of x serves eight rows, and the
 * horizontal sums at the end of a row cost an eighth as much. */
RNN_HOT void rnn_matvec_add(rnn_real *out, const rnn_real *matrix,
                            const rnn_real *x, int rows, int cols)
{
    int r = 0;
    for (; r + 8 <= rows; r += 8) {
        const rnn_real *m = matrix + (size_t)r * cols;
        rnn_real s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0,
                 s7 = 0;
#pragma omp simd reduction(+ : s0, s1, s2, s3, s4, s5, s6, s7)
        for (int c = 0; c < cols; c++) {
            rnn_real v = x[c];
            s0 += m[c] * v;
            s1 += m[cols + c] * v;
            s2 += m[2 * cols + c] * v;
            s3 += m[3 * cols + c] * v;
            s4 += m[4 * cols + c] * v;
            s5 += m[5 * cols + c] * v;
            s6 += m[6 * cols + c] * v;
            s7 += m[7 * cols + c] * v;
        }
        out[r] += s0;
        out[r + 1] += s1;
        out[r + 2] += s2;
        out[r + 3] += s3;
        out[r + 4] += s4;
        out[r + 5] += s5;
        out[r + 6] += s6;
        out[r + 7] += s7;
    }
    for (; r < rows; r++) {
        const rnn_real *row = matrix + (size_t)r * cols;
        rnn_real sum = 0;
#pragma omp simd reduction(+ : sum)
        for (int c = 0; c < cols; c++)
            sum += row[c] * x[c];
        out[r] += sum;
    }
}

RNN_HOT void rnn_matvec_t_add(rnn_real *out, const rnn_real *matrix,
                              const rnn_real *v, int rows, int cols)
{
    for (int r = 0; r < rows; r++) {
        const rnn_real *row = matrix + (size_t)r * cols;
        rnn_real scale = v[r];
#pragma omp simd
        for (int c = 0; c < cols; c++)
            out[c] += scale * row[c];
    }
}

RNN_HOT void rnn_outer_add(rnn_real *matrix, const rnn_real *a,
                           const rnn_real *b, int rows, int cols)
{
    for (int r = 0; r < rows; r++) {
        rnn_real *row = matrix + (size_t)r * cols;
        rnn_real scale = a[r];
#pragma omp simd
        for (int c = 0; c < cols; c++)
            row[c] += scale * b[c];
    }
}

/* C += op(A) B: C is (m x n), B (k x n), op(A) (m x k), each row-major
 * with its own row stride; op(A) is A, or the transpose of a (k x m) A
 * when a_transposed.  The minibatch kernel of the offline trainer: a tile
 * of six rows by sixteen columns of C stays in registers while k runs, so
 * each value of B loaded serves six rows and each of A sixteen columns. */
#define GEMM_ROWS 6
#define GEMM_COLS 16
#define GEMM_DEPTH 256

/* One tile of `rows` (a constant once inlined) by GEMM_COLS, of which the
 * first `cols` are stored. */
static inline __attribute__((always_inline)) void
gemm_tile(int rows, int cols, int k, const rnn_real *a, size_t a_row,
          size_t a_col, const rnn_real *b, size_t ldb, rnn_real *c,
          size_t ldc)
{
    rnn_real t[GEMM_ROWS][GEMM_COLS];
    for (int r = 0; r < rows; r++)
#pragma omp simd
        for (int q = 0; q < GEMM_COLS; q++)
            t[r][q] = 0;
    for (int p = 0; p < k; p++) {
        const rnn_real *bp = b + (size_t)p * ldb;
        const rnn_real *ap = a + (size_t)p * a_col;
        rnn_real x[GEMM_ROWS];
        for (int r = 0; r < rows; r++)
            x[r] = ap[r * a_row];
#pragma omp simd
        for (int q = 0; q < GEMM_COLS; q++) {
            rnn_real v = bp[q];
            for (int r = 0; r < rows; r++)
                t[r][q] += x[r] * v;
        }
    }
    for (int r = 0; r < rows; r++)
        for (int q = 0; q < cols; q++)
            c[r * ldc + q] += t[r][q];
}

/* Sixteen columns of C (or the last `cols` of them, with B's read from
 * a panel padded with zeros), all rows. */
static inline __attribute__((always_inline)) void
gemm_columns(int cols, int m, int k, const rnn_real *a, size_t a_row,
             size_t a_col, const rnn_real *b, size_t ldb, rnn_real *c,
             size_t ldc)
{
    /* tiles of six rows, the last twelve or fewer in one or two tiles as
     * even as can be: a tile of few rows has too few sums in flight to
     * keep the multipliers busy */
    for (int i = 0; i < m;) {
        int left = m - i;
        int rows = left > 2 * GEMM_ROWS ? GEMM_ROWS
                   : left > GEMM_ROWS   ? (left + 1) / 2
                                        : left;
        const rnn_real *ai = a + i * a_row;
        rnn_real *ci = c + i * ldc;
        switch (rows) {
        case 6:
            gemm_tile(6, cols, k, ai, a_row, a_col, b, ldb, ci, ldc);
            break;
        case 5:
            gemm_tile(5, cols, k, ai, a_row, a_col, b, ldb, ci, ldc);
            break;
        case 4:
            gemm_tile(4, cols, k, ai, a_row, a_col, b, ldb, ci, ldc);
            break;
        case 3:
            gemm_tile(3, cols, k, ai, a_row, a_col, b, ldb, ci, ldc);
            break;
        case 2:
            gemm_tile(2, cols, k, ai, a_row, a_col, b, ldb, ci, ldc);
            break;
        default:
            gemm_tile(1, cols, k, ai, a_row, a_col, b, ldb, ci, ldc);
            break;
        }
        i += rows;
    }
}

RNN_HOT void rnn_gemm(int a_transposed, int m, int n, int k,
                      const rnn_real *a, int lda, const rnn_real *b, int ldb,
                      rnn_real *c, int ldc)
{
    size_t a_col = a_transposed ? (size_t)lda : 1;
    size_t a_row = a_transposed ? 1 : (size_t)lda;
    rnn_real panel[GEMM_DEPTH * GEMM_COLS];
    /* k in slices, so that a slice of sixteen columns of B stays in the
     * first-level cache while the rows of A pass */
    for (int p = 0; p < k; p += GEMM_DEPTH) {
        int depth = k - p < GEMM_DEPTH ? k - p : GEMM_DEPTH;
        const rnn_real *ap = a + (size_t)p * a_col;
        const rnn_real *bp = b + (size_t)p * ldb;
        int j = 0;
        for (; j + GEMM_COLS <= n; j += GEMM_COLS)
            gemm_columns(GEMM_COLS, m, depth, ap, a_row, a_col, bp + j,
                         (size_t)ldb, c + j, (size_t)ldc);
        if (j < n) {
            int cols = n - j;
            for (int r = 0; r < depth; r++)
                for (int q = 0; q < GEMM_COLS; q++)
                    panel[r * GEMM_COLS + q] =
                        q < cols ? bp[(size_t)r * ldb + j + q] : 0;
            gemm_columns(cols, m, depth, ap, a_row, a_col, panel, GEMM_COLS,
                         c + j, (size_t)ldc);
        }
    }
}

RNN_HOT rnn_real rnn_sum_squares(const rnn_real *values, size_t n)
{
    rnn_real sum = 0;
#pragma omp simd reduction(+ : sum)
    for (size_t i = 0; i < n; i++)
        sum += values[i] * values[i];
    return sum;
}

/* The gradient is zeroed as it is read: one pass over memory less. */
RNN_HOT void rnn_adam_update(const rnn_real *value, rnn_real *out,
                             rnn_real *grad, rnn_real *mean, rnn_real *var,
                             size_t n, const rnn_adam_step *step)
{
    rnn_real beta1 = step->beta1, beta2 = step->beta2;
    rnn_real rate = step->rate, epsilon = step->epsilon;
    rnn_real scale = step->grad_scale;
#pragma omp simd
    for (size_t i = 0; i < n; i++) {
        rnn_real g = scale * grad[i];
        grad[i] = 0;
        mean[i] = beta1 * mean[i] + (1 - beta1) * g;
        var[i] = beta2 * var[i] + (1 - beta2) * g * g;
        out[i] = value[i] - rate * mean[i] / (RNN_SQRT(var[i]) + epsilon);
    }
}

RNN_HOT void rnn_adagrad_update(const rnn_real *value, rnn_real *out,
                                rnn_real *grad, rnn_real *sum, size_t n,
                                rnn_real rate, rnn_real epsilon,
                                rnn_real scale)
{
#pragma omp simd
    for (size_t i = 0; i < n; i++) {
        rnn_real g = scale * grad[i];
        grad[i] = 0;
        sum[i] += g * g;
        out[i] = value[i] - rate * g / (RNN_SQRT(sum[i]) + epsilon);
    }
}

int rnn_all_finite(const rnn_real *values, int n)
{
    for (int i = 0; i < n; i++)
        if (!isfinite(values[i]))
            return 0;
    return 1;
}

#ifdef RNN_REAL_DOUBLE

/* The gradient-check build: the exact functions, so that finite
 * differences see a smooth function. */
void rnn_tanh_inplace(rnn_real *y, int n)
{
    for (int i = 0; i < n; i++)
        y[i] = tanh(y[i]);
}

void rnn_exp_inplace(rnn_real *y, int n)
{
    for (int i = 0; i < n; i++)
        y[i] = exp(y[i]);
}

#else

/* exp(x) = 2^k * exp(r) with k = round(x / ln 2) and |r| <= ln(2) / 2;
 * exp(r) by its Taylor polynomial to degree 7, whose truncation error there
 * is below 2e-8, so float rounding dominates (a few ulp).  k is rounded by
 * adding 1.5 * 2^23, which leaves it in the low bits of the sum, and 2^k is
 * built in the exponent bits: no conversion or call, so every instruction
 * set vectorises it.  A macro, not a function, so that each clone of its
 * callers inlines it. */
#define EXP_APPROX(result, input)                                        \
    do {                                                                 \
        float x_ = (input);                                              \
        x_ = x_ < -87.0f ? -87.0f : x_;                                  \
        x_ = x_ > 88.0f ? 88.0f : x_;                                    \
        union {                                                          \
            float f;                                                     \
            int i;                                                       \
        } shift_, scale_;                                                \
        shift_.f = x_ * 1.44269504088896341f + 12582912.0f;              \
        float k_ = shift_.f - 12582912.0f;                               \
        float r_ = (x_ - k_ * 0.693145751953125f)                        \
                   - k_ * 1.428606765330187e-06f;                        \
        float p_ = 1.0f / 5040.0f;                                       \
        p_ = p_ * r_ + 1.0f / 720.0f;                                    \
        p_ = p_ * r_ + 1.0f / 120.0f;                                    \
        p_ = p_ * r_ + 1.0f / 24.0f;                                     \
        p_ = p_ * r_ + 1.0f / 6.0f;                                      \
        p_ = p_ * r_ + 0.5f;                                             \
        p_ = p_ * r_ + 1.0f;                                             \
        p_ = p_ * r_ + 1.0f;                                             \
        scale_.i = (int)((unsigned)(shift_.i - 0x4B400000 + 127) << 23);  \
        (result) = p_ * scale_.f;                                        \
    } while (0)

/* tanh(x) = (e - 1) / (e + 1) with e = exp(2x), which loses relative
 * precision near 0, so there an odd polynomial takes over (its truncation
 * error below 0.25 is under 1e-7).  Beyond |x| = 9, tanh is 1 in float. */
RNN_HOT void rnn_tanh_inplace(rnn_real *y, int n)
{
#pragma omp simd
    for (int i = 0; i < n; i++) {
        float x = y[i];
        float clamped = x > 9.0f ? 9.0f : (x < -9.0f ? -9.0f : x);
        float e;
        EXP_APPROX(e, 2.0f * clamped);
        float wide = (e - 1.0f) / (e + 1.0f);
        float x2 = x * x;
        float narrow =
            x * (1.0f
                 + x2 * (-1.0f / 3.0f
                         + x2 * (2.0f / 15.0f + x2 * (-17.0f / 315.0f))));
        y[i] = (x2 < 0.0625f) ? narrow : wide;
    }
}

RNN_HOT void rnn_exp_inplace(rnn_real *y, int n)
{
#pragma omp simd
    for (int i = 0; i < n; i++)
        EXP_APPROX(y[i], y[i]);
}

#endif
