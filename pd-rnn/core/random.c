/* The core's own random numbers and the choice of a token from a
 * prediction. */

#include <math.h>

#include "rnn.h"

/* A permuted congruential generator (O'Neill's PCG32, XSH-RR output):
 * small, fast, statistically sound and the same on every platform. */
void rnn_rng_seed(rnn_rng *rng, uint64_t seed)
{
    rng->state = 0;
    rng->inc = (seed << 1) | 1u;
    rnn_rng_next(rng);
    rng->state += 0x853c49e6748fea9bULL ^ seed;
    rnn_rng_next(rng);
}

uint32_t rnn_rng_next(rnn_rng *rng)
{
    uint64_t old = rng->state;
    rng->state = old * 6364136223846793005ULL + rng->inc;
    uint32_t shifted = (uint32_t)(((old >> 18) ^ old) >> 27);
    uint32_t rotation = (uint32_t)(old >> 59);
    return (shifted >> rotation) | (shifted << ((32 - rotation) & 31));
}

double rnn_rng_uniform(rnn_rng *rng)
{
    return rnn_rng_next(rng) * (1.0 / 4294967296.0);
}

int rnn_argmax(const rnn_real *values, int n)
{
    if (n < 1)
        return -1;
    int best = 0;
    for (int i = 1; i < n; i++)
        if (values[i] > values[best])
            best = i;
    return best;
}

/* The k-th largest value: the threshold of top-k sampling.  A partial
 * selection on a copy; n is small (a vocabulary), k smaller. */
static rnn_real kth_largest(const rnn_real *values, int n, int k,
                            rnn_real *scratch)
{
    for (int i = 0; i < n; i++)
        scratch[i] = values[i];
    for (int i = 0; i < k; i++) {
        int best = i;
        for (int j = i + 1; j < n; j++)
            if (scratch[j] > scratch[best])
                best = j;
        rnn_real swap = scratch[i];
        scratch[i] = scratch[best];
        scratch[best] = swap;
    }
    return scratch[k - 1];
}

int rnn_sample(const rnn_real *logits, int n, double temperature, int top_k,
               rnn_rng *rng, rnn_real *scratch)
{
    if (n < 1)
        return -1;
    if (!(temperature > 0))
        return rnn_argmax(logits, n);

    /* weights exp((logit - max) / T), zero outside the top k */
    int best = rnn_argmax(logits, n);
    rnn_real floor_value = -INFINITY;
    if (top_k > 0 && top_k < n)
        floor_value = kth_largest(logits, n, top_k, scratch);
    double total = 0;
    for (int i = 0; i < n; i++) {
        double w = 0;
        if (logits[i] >= floor_value)
            w = exp((logits[i] - logits[best]) / temperature);
        scratch[i] = (rnn_real)w;
        total += w;
    }

    /* walk the cumulative weights to a uniform draw */
    double target = rnn_rng_uniform(rng) * total;
    double running = 0;
    int last = best;
    for (int i = 0; i < n; i++) {
        if (scratch[i] <= 0)
            continue;
        running += scratch[i];
        last = i;
        if (target < running)
            return i;
    }
    return last;
}
