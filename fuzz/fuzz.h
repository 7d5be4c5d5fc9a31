/* What pd-rnn's fuzz targets share: reading the fuzzer's bytes as a stream
 * of choices, values a hostile caller would pick, and a check that stops
 * the run (abort, which both libFuzzer and the replay main report with the
 * input that caused it). */

#ifndef PD_RNN_FUZZ_H
#define PD_RNN_FUZZ_H

#include <float.h>
#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A broken promise of the core: say which, then abort. */
#define FUZZ_CHECK(cond, ...)                                             \
    do {                                                                  \
        if (!(cond)) {                                                    \
            fprintf(stderr, "fuzz check failed at %s:%d: %s: ", __FILE__, \
                    __LINE__, #cond);                                     \
            fprintf(stderr, __VA_ARGS__);                                 \
            fprintf(stderr, "\n");                                        \
            abort();                                                      \
        }                                                                 \
    } while (0)

/* The fuzzer's bytes, read front to back; past the end every read is 0. */
typedef struct fuzz_stream {
    const uint8_t *data;
    size_t size;
    size_t at;
} fuzz_stream;

static inline int fuzz_more(const fuzz_stream *s)
{
    return s->at < s->size;
}

static inline uint8_t fuzz_u8(fuzz_stream *s)
{
    return s->at < s->size ? s->data[s->at++] : 0;
}

static inline uint32_t fuzz_u32(fuzz_stream *s)
{
    uint32_t value = 0;
    for (int i = 0; i < 4; i++)
        value |= (uint32_t)fuzz_u8(s) << (8 * i);
    return value;
}

/* A float a hostile patch could send: mostly from a table of edge cases
 * (zeros, denormals, huge, NaN, infinities), sometimes any 32 bits. */
static inline float fuzz_float(fuzz_stream *s)
{
    static const float table[] = {
        0.0f,     -0.0f,   1.0f,    -1.0f,    0.5f,     -0.25f,
        2.0f,     3.0f,    60.0f,   1e-45f,   -1e-45f,  1e-38f,
        1e-10f,   1e3f,    -1e3f,   1e10f,    1e20f,    -1e30f,
        3e38f,    -3e38f,  FLT_MAX, -FLT_MAX, 16777217.0f, 0.1f};
    uint8_t pick = fuzz_u8(s);
    if (pick < 64)
        return table[pick % (sizeof table / sizeof table[0])];
    if (pick < 72)
        return NAN;
    if (pick < 76)
        return INFINITY;
    if (pick < 80)
        return -INFINITY;
    if (pick < 96) {
        uint32_t bits = fuzz_u32(s);
        float value;
        memcpy(&value, &bits, sizeof value);
        return value;
    }
    /* small ordinary numbers, the common case */
    return (float)((int)(pick - 176)) / 16.0f;
}

static inline double fuzz_double(fuzz_stream *s)
{
    uint8_t pick = fuzz_u8(s);
    static const double table[] = {0,    -0.0, 1e-300, 1e-9, 0.001, 0.01,
                                   0.03, 0.5,  1,      5,    9.99,  10,
                                   10.5, 1e3,  1e6,    1e6 + 1, 1e300,
                                   -1,   -1e-9, DBL_MAX};
    if (pick < 8)
        return NAN;
    if (pick < 12)
        return pick & 1 ? INFINITY : -INFINITY;
    if (pick < 200)
        return table[pick % (sizeof table / sizeof table[0])];
    return fuzz_float(s);
}

/* An int a hostile caller could pass as a size, index or setting. */
static inline int fuzz_int(fuzz_stream *s, int typical)
{
    static const int table[] = {-1,       0,        1,     2,     3,
                                7,        8,        15,    16,    17,
                                255,      256,      4095,  4096,  4097,
                                65535,    65536,    65537, 1 << 20,
                                (1 << 20) + 1,      INT_MAX,
                                INT_MIN,  -4096};
    uint8_t pick = fuzz_u8(s);
    if (pick < 64)
        return table[pick % (sizeof table / sizeof table[0])];
    if (pick < 72)
        return (int)fuzz_u32(s);
    /* near the value that makes sense here */
    return typical + (int)(pick % 8) - 3;
}

#endif
