/* The hot vector kernels.  Each is written so that the compiler vectorises
 * it without -ffast-math (an OpenMP simd reduction lets it reorder the sum
 * and nothing else), and is compiled several times for different
 * instruction sets, the best of which is picked when the library loads. */

#include <math.h>

#include "rnn.h"

#if defined(__x86_64__) && defined(__GNUC__) && !defined(RNN_NO_CLONES) \
    && !defined(__clang__)
#define RNN_HOT                                                   \
    __attribute__((target_clones("arch=skylake-avx512",           \
                                 "arch=haswell", "default")))
#else
#define RNN_HOT
#endif

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

RNN_HOT void rnn_matvec_add(rnn_real *out, const rnn_real *matrix,
                            const rnn_real *x, int rows, int cols)
{
    for (int r = 0; r < rows; r++) {
        const rnn_real *row = matrix + (size_t)r * cols;
        rnn_real sum = 0;
#pragma omp simd reduction(+ : sum)
        for (int c = 0; c < cols; c++)
            sum += row[c] * x[c];
        out[r] += sum;
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
 * is below 2e-8, so float rounding dominates (a few ulp).  2^k is built in
 * the exponent bits, which vectorises where ldexpf does not. */
static inline float exp_approx(float x)
{
    const float ln2_hi = 0.693145751953125f;
    const float ln2_lo = 1.428606765330187e-06f;
    x = x < -87.0f ? -87.0f : x;
    x = x > 88.0f ? 88.0f : x;
    float scaled = x * 1.44269504088896341f;
    int k_int = (int)(scaled + (scaled < 0 ? -0.5f : 0.5f));
    float k = (float)k_int;
    float r = (x - k * ln2_hi) - k * ln2_lo;
    float p = 1.0f / 5040.0f;
    p = p * r + 1.0f / 720.0f;
    p = p * r + 1.0f / 120.0f;
    p = p * r + 1.0f / 24.0f;
    p = p * r + 1.0f / 6.0f;
    p = p * r + 0.5f;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    union {
        int i;
        float f;
    } scale;
    scale.i = (k_int + 127) << 23;
    return p * scale.f;
}

/* tanh(x) = (e - 1) / (e + 1) with e = exp(2x), which loses relative
 * precision near 0, so there an odd polynomial takes over (its truncation
 * error below 0.25 is under 1e-7).  Beyond |x| = 9, tanh is 1 in float. */
void rnn_tanh_inplace(rnn_real *y, int n)
{
#pragma omp simd
    for (int i = 0; i < n; i++) {
        float x = y[i];
        float clamped = x > 9.0f ? 9.0f : (x < -9.0f ? -9.0f : x);
        float e = exp_approx(2.0f * clamped);
        float wide = (e - 1.0f) / (e + 1.0f);
        float x2 = x * x;
        float narrow =
            x * (1.0f
                 + x2 * (-1.0f / 3.0f
                         + x2 * (2.0f / 15.0f + x2 * (-17.0f / 315.0f))));
        y[i] = (x2 < 0.0625f) ? narrow : wide;
    }
}

void rnn_exp_inplace(rnn_real *y, int n)
{
#pragma omp simd
    for (int i = 0; i < n; i++)
        y[i] = exp_approx(y[i]);
}

#endif
