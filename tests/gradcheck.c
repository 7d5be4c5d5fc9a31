/* Numerical gradient check of the cell and the readout over one whole
 * window of truncated BPTT: every parameter's analytic gradient against a
 * central difference.  Built with RNN_REAL_DOUBLE, so that the
 * differences measure the calculus and not float rounding. */

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../pd-rnn/core/rnn.h"
#include "check.h"

#define HIDDEN 7
#define VOCAB 6
#define STEPS 6

static void add_tokens(rnn_model *model, int count)
{
    char text[8];
    for (int i = 0; i < count; i++) {
        snprintf(text, sizeof text, "t%d", i);
        rnn_token token = {RNN_TOKEN_SYMBOL, 0, text};
        int index;
        rnn_vocab_add(rnn_model_vocab(model), &token, &index);
    }
}

/* worst relative error over every parameter of every tensor */
static void check_model(const char *label, rnn_model *model,
                        const rnn_real *inputs, int input_size,
                        const int *targets)
{
    rnn_tensor tensors[32];
    double loss;

    /* the analytic gradient */
    rnn_model_window_loss(model, inputs, input_size, targets, STEPS, 0,
                          &loss);
    int count = rnn_model_tensors(model, tensors, 32);
    for (int t = 0; t < count; t++)
        memset(tensors[t].grad, 0, tensors[t].count * sizeof(rnn_real));
    rnn_status status = rnn_model_window_loss(model, inputs, input_size,
                                              targets, STEPS, 1, &loss);
    CHECK(status == RNN_OK && loss > 0, "%s: window loss %.4f", label, loss);

    /* against central differences, parameter by parameter */
    for (int t = 0; t < count; t++) {
        double worst = 0;
        size_t checked = 0;
        for (size_t i = 0; i < tensors[t].count; i++) {
            double keep = tensors[t].value[i], eps = 1e-5, up, down;
            tensors[t].value[i] = keep + eps;
            rnn_model_window_loss(model, inputs, input_size, targets, STEPS,
                                  0, &up);
            tensors[t].value[i] = keep - eps;
            rnn_model_window_loss(model, inputs, input_size, targets, STEPS,
                                  0, &down);
            tensors[t].value[i] = keep;
            double numeric = (up - down) / (2 * eps);
            double analytic = tensors[t].grad[i];
            double scale = fmax(fabs(numeric), fabs(analytic));
            if (scale < 1e-9)
                continue; /* a parameter this window does not touch */
            double error = fabs(numeric - analytic) / scale;
            if (error > worst)
                worst = error;
            checked++;
        }
        CHECK(worst < 1e-3 && checked > 0,
              "%s: %s, %zu parameters, worst relative error %.2e", label,
              tensors[t].name, checked, worst);
    }
}

static rnn_model *model_of(rnn_cell_type type, int layers, uint64_t seed)
{
    rnn_model *model = rnn_model_new(seed);
    rnn_model_set_window(model, STEPS);
    rnn_model_set_cell(model, type, HIDDEN, layers);
    add_tokens(model, VOCAB);
    return model;
}

int main(void)
{
    rnn_rng rng;
    rnn_rng_seed(&rng, 42);
    int targets[STEPS];
    for (int t = 0; t < STEPS; t++)
        targets[t] = (int)(rnn_rng_next(&rng) % VOCAB);
    rnn_real inputs[STEPS * 5];
    for (int i = 0; i < STEPS * 5; i++)
        inputs[i] = (rnn_real)(2 * rnn_rng_uniform(&rng) - 1);
    rnn_real hot[STEPS * VOCAB] = {0};
    for (int t = 0; t < STEPS; t++)
        hot[t * VOCAB + (t * 5) % VOCAB] = 1;

    /* every cell type, one and two layers, dense and one-hot input */
    static const rnn_cell_type types[] = {RNN_CELL_ELMAN, RNN_CELL_GRU,
                                          RNN_CELL_LSTM};
    char label[64];
    for (int t = 0; t < 3; t++) {
        for (int layers = 1; layers <= 2; layers++) {
            const char *type = rnn_cell_type_name(types[t]);
            rnn_model *dense = model_of(types[t], layers, 3 + t);
            snprintf(label, sizeof label, "%s x%d, dense input", type,
                     layers);
            check_model(label, dense, inputs, 5, targets);
            rnn_model_free(dense);
            rnn_model *onehot = model_of(types[t], layers, 7 + t);
            snprintf(label, sizeof label, "%s x%d, one-hot input", type,
                     layers);
            check_model(label, onehot, hot, VOCAB, targets);
            rnn_model_free(onehot);
        }
    }
    return check_failures ? 1 : 0;
}
