/* The softmax readout: from h(t) to the probabilities of the next token,
 * and from a target back to dLoss/dh. */

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static double init_scale(int hidden)
{
    return 1.0 / sqrt((double)hidden);
}

rnn_status rnn_readout_init(rnn_readout *readout, int hidden, rnn_rng *rng)
{
    (void)rng;
    memset(readout, 0, sizeof *readout);
    readout->hidden = hidden;
    readout->pending = calloc((size_t)hidden, sizeof(rnn_real));
    readout->grad_hidden = calloc((size_t)hidden, sizeof(rnn_real));
    if (!readout->pending || !readout->grad_hidden) {
        rnn_readout_free(readout);
        return RNN_ERR_NOMEM;
    }
    return RNN_OK;
}

void rnn_readout_free(rnn_readout *readout)
{
    rnn_param_free(&readout->weight);
    rnn_param_free(&readout->bias);
    free(readout->pending);
    free(readout->logits);
    free(readout->probs);
    free(readout->scratch);
    free(readout->grad_hidden);
    memset(readout, 0, sizeof *readout);
}

void rnn_readout_reinit(rnn_readout *readout, rnn_rng *rng)
{
    rnn_param_init(&readout->weight, init_scale(readout->hidden), rng);
    rnn_param_init(&readout->bias, 0, rng);
    readout->updates = 0;
    readout->since_update = 0;
    readout->has_pending = 0;
}

/* New rows start with small random weights and a zero bias, so a new
 * token starts near the mean of the logits: never an infinite loss. */
/* Room for the per-row buffers of `rows` outputs. */
rnn_status rnn_readout_reserve(rnn_readout *readout, int rows)
{
    if (rows <= readout->allocated_rows)
        return RNN_OK;
    int allocated = readout->allocated_rows ? readout->allocated_rows : 16;
    while (allocated < rows)
        allocated *= 2;
    size_t bytes = (size_t)allocated * sizeof(rnn_real);
    rnn_real *logits = malloc(bytes);
    rnn_real *probs = malloc(bytes);
    rnn_real *scratch = malloc(bytes);
    if (!logits || !probs || !scratch) {
        free(logits);
        free(probs);
        free(scratch);
        return RNN_ERR_NOMEM;
    }
    if (readout->rows) {
        memcpy(logits, readout->logits, readout->rows * sizeof *logits);
        memcpy(probs, readout->probs, readout->rows * sizeof *probs);
    }
    free(readout->logits);
    free(readout->probs);
    free(readout->scratch);
    readout->logits = logits;
    readout->probs = probs;
    readout->scratch = scratch;
    readout->allocated_rows = allocated;
    return RNN_OK;
}

/* New rows start with small random weights and a zero bias, so a new
 * token starts near the mean of the logits: never an infinite loss. */
rnn_status rnn_readout_grow(rnn_readout *readout, int rows, rnn_rng *rng)
{
    if (rows <= readout->rows)
        return RNN_OK;
    if (rnn_readout_reserve(readout, rows))
        return RNN_ERR_NOMEM;
    size_t h = (size_t)readout->hidden;
    if (rnn_param_grow(&readout->weight, (size_t)rows * h,
                       init_scale(readout->hidden), rng)
        || rnn_param_grow(&readout->bias, (size_t)rows, 0, rng))
        return RNN_ERR_NOMEM;
    readout->rows = rows;
    return RNN_OK;
}

void rnn_readout_forward(rnn_readout *readout)
{
    int rows = readout->rows, h = readout->hidden;
    rnn_real *logits = readout->logits, *probs = readout->probs;
    readout->scored_rows = rows;
    if (rows == 0)
        return;

    /* logits = W h + bias */
    memcpy(logits, readout->bias.value, (size_t)rows * sizeof *logits);
    rnn_matvec_add(logits, readout->weight.value, readout->pending, rows, h);
    rnn_softmax(logits, probs, rows);
}

void rnn_softmax(rnn_real *logits, rnn_real *probs, int rows)
{
    /* weights too large for float (read from a file, or driven there by a
     * learning rate far too high) give infinite or NaN logits: bounded
     * here, so that no NaN reaches a probability */
    for (int r = 0; r < rows; r++) {
        if (!(logits[r] > -3e38f))
            logits[r] = -3e38f;
        else if (logits[r] > 3e38f)
            logits[r] = 3e38f;
    }

    /* softmax, shifted by the largest logit */
    rnn_real top = logits[0];
#pragma omp simd reduction(max : top)
    for (int r = 1; r < rows; r++)
        top = logits[r] > top ? logits[r] : top;
    for (int r = 0; r < rows; r++)
        probs[r] = logits[r] - top;
    rnn_exp_inplace(probs, rows);
    double total = 0;
    for (int r = 0; r < rows; r++)
        total += probs[r];
    rnn_real scale = (rnn_real)(1 / total);
    for (int r = 0; r < rows; r++)
        probs[r] *= scale;
}

double rnn_readout_backward(rnn_readout *readout, int target)
{
    int rows = readout->rows, h = readout->hidden;
    const rnn_real *probs = readout->probs;
    double p = probs[target] > 1e-30 ? probs[target] : 1e-30;

    /* dLoss/dlogits = probs - onehot(target), into W, bias and h */
    rnn_real *grad_logits = readout->scratch; /* (rows) */
    for (int r = 0; r < rows; r++)
        grad_logits[r] = probs[r] - (r == target ? 1 : 0);
    rnn_axpy(readout->bias.grad, 1, grad_logits, rows);
    rnn_outer_add(readout->weight.grad, grad_logits, readout->pending, rows,
                  h);
    memset(readout->grad_hidden, 0, (size_t)h * sizeof(rnn_real));
    rnn_matvec_t_add(readout->grad_hidden, readout->weight.value,
                     grad_logits, rows, h);
    return -log(p);
}
