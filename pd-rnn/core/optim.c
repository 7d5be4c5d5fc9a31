/* Parameter tensors and the optimizers that update them. */

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static void fill_uniform(rnn_real *values, size_t count, double scale,
                         rnn_rng *rng)
{
    for (size_t i = 0; i < count; i++)
        values[i] = (rnn_real)((2 * rnn_rng_uniform(rng) - 1) * scale);
}

/* Move one buffer into a larger allocation; the old one is freed by the
 * caller only once every buffer has moved. */
static rnn_real *grown_copy(const rnn_real *old, size_t used, size_t count)
{
    rnn_real *fresh = malloc(count * sizeof *fresh);
    if (fresh && used)
        memcpy(fresh, old, used * sizeof *fresh);
    return fresh;
}

/* The buffers of a tensor; next only while a worker thread trains it. */
static int buffers_of(rnn_param *param, rnn_real ***buffers)
{
    buffers[0] = &param->value;
    buffers[1] = &param->grad;
    buffers[2] = &param->moment1;
    buffers[3] = &param->moment2;
    buffers[4] = &param->next;
    return param->next ? 5 : 4;
}

/* Memory for count values, without changing the tensor: later growth up
 * to there allocates nothing. */
rnn_status rnn_param_reserve(rnn_param *param, size_t count)
{
    if (count <= param->allocated)
        return RNN_OK;
    rnn_real **buffers[5];
    int n = buffers_of(param, buffers);
    rnn_real *fresh[5];
    for (int b = 0; b < n; b++) {
        fresh[b] = grown_copy(*buffers[b], param->count, count);
        if (!fresh[b]) {
            while (b-- > 0)
                free(fresh[b]);
            return RNN_ERR_NOMEM;
        }
    }
    for (int b = 0; b < n; b++) {
        free(*buffers[b]);
        *buffers[b] = fresh[b];
    }
    param->allocated = count;
    return RNN_OK;
}

int rnn_param_fits(const rnn_param *param, size_t count)
{
    return count <= param->allocated;
}

rnn_status rnn_param_grow(rnn_param *param, size_t count, double scale,
                          rnn_rng *rng)
{
    if (count <= param->count)
        return RNN_OK;

    /* room, doubling, so that growing one token at a time stays cheap */
    if (count > param->allocated) {
        size_t allocated = param->allocated ? param->allocated : 16;
        while (allocated < count)
            allocated *= 2;
        if (rnn_param_reserve(param, allocated))
            return RNN_ERR_NOMEM;
    }

    /* new values at the end: random weights, zero gradient and moments;
     * the next weights start as the same values */
    size_t added = count - param->count;
    fill_uniform(param->value + param->count, added, scale, rng);
    memset(param->grad + param->count, 0, added * sizeof(rnn_real));
    memset(param->moment1 + param->count, 0, added * sizeof(rnn_real));
    memset(param->moment2 + param->count, 0, added * sizeof(rnn_real));
    if (param->next)
        memcpy(param->next + param->count, param->value + param->count,
               added * sizeof(rnn_real));
    param->count = count;
    return RNN_OK;
}

rnn_status rnn_param_enable_next(rnn_param *param)
{
    if (param->next)
        return RNN_OK;
    param->next = malloc((param->allocated ? param->allocated : 1)
                         * sizeof(rnn_real));
    if (!param->next)
        return RNN_ERR_NOMEM;
    if (param->count)
        memcpy(param->next, param->value, param->count * sizeof(rnn_real));
    return RNN_OK;
}

void rnn_param_drop_next(rnn_param *param)
{
    free(param->next);
    param->next = NULL;
}

void rnn_param_swap_next(rnn_param *param)
{
    rnn_real *swap = param->value;
    param->value = param->next;
    param->next = swap;
}

void rnn_param_init(rnn_param *param, double scale, rnn_rng *rng)
{
    if (param->count == 0)
        return;
    fill_uniform(param->value, param->count, scale, rng);
    memset(param->grad, 0, param->count * sizeof(rnn_real));
    memset(param->moment1, 0, param->count * sizeof(rnn_real));
    memset(param->moment2, 0, param->count * sizeof(rnn_real));
}

void rnn_param_free(rnn_param *param)
{
    free(param->next);
    free(param->value);
    free(param->grad);
    free(param->moment1);
    free(param->moment2);
    memset(param, 0, sizeof *param);
}

static void sgd_step(const rnn_optim *optim, rnn_param *param, double scale,
                     rnn_real *out)
{
    rnn_real lr = (rnn_real)optim->lr, momentum = (rnn_real)optim->beta1;
    rnn_real gscale = (rnn_real)scale;
    rnn_real *value = param->value, *grad = param->grad;
    rnn_real *velocity = param->moment1;
#pragma omp simd
    for (size_t i = 0; i < param->count; i++) {
        velocity[i] = momentum * velocity[i] + gscale * grad[i];
        grad[i] = 0;
        out[i] = value[i] - lr * velocity[i];
    }
}

static void adam_step(const rnn_optim *optim, rnn_param *param, double scale,
                      long step, rnn_real *out)
{
    double correction1 = 1 - pow(optim->beta1, (double)step);
    double correction2 = 1 - pow(optim->beta2, (double)step);
    rnn_adam_step adam = {
        (rnn_real)optim->beta1,
        (rnn_real)optim->beta2,
        (rnn_real)(optim->lr * sqrt(correction2) / correction1),
        (rnn_real)(optim->epsilon * sqrt(correction2)),
        (rnn_real)scale,
    };
    rnn_adam_update(param->value, out, param->grad, param->moment1,
                    param->moment2, param->count, &adam);
}

rnn_status rnn_optim_apply(const rnn_optim *optim, rnn_param **params,
                           int count, long *step, int into_next)
{
    /* the norm of the whole group's gradient, and the clipping scale */
    double norm2 = 0;
    for (int p = 0; p < count; p++)
        norm2 += rnn_sum_squares(params[p]->grad, params[p]->count);
    if (!isfinite(norm2)) {
        for (int p = 0; p < count; p++)
            if (params[p]->count)
                memset(params[p]->grad, 0,
                       params[p]->count * sizeof(rnn_real));
        return RNN_ERR_NONFINITE;
    }
    {
        double scale = 1;
        double norm = sqrt(norm2);
        if (optim->clip > 0 && norm > optim->clip)
            scale = optim->clip / norm;

        /* the update */
        ++*step;
        for (int p = 0; p < count; p++) {
            rnn_param *param = params[p];
            rnn_real *out = into_next ? param->next : param->value;
            if (optim->kind == RNN_OPTIM_ADAM)
                adam_step(optim, param, scale, *step, out);
            else if (optim->kind == RNN_OPTIM_ADAGRAD)
                rnn_adagrad_update(param->value, out, param->grad,
                                   param->moment2, param->count,
                                   (rnn_real)optim->lr, (rnn_real)1e-10,
                                   (rnn_real)scale);
            else
                sgd_step(optim, param, scale, out);
        }
    }
    return RNN_OK;
}
