/* Seed corpus of the model-file fuzz targets: small real model files of
 * every cell type, made by the core itself.  "make fuzz-seeds" writes them
 * into fuzz/corpus/model_file/ (and a copy for model_file_crc); they are
 * committed, so this runs only when the format changes. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../pd-rnn/core/rnn.h"

static int add_symbol(rnn_model *model, const char *text)
{
    rnn_token token = {RNN_TOKEN_SYMBOL, 0, text};
    int index = -1;
    rnn_vocab_add(rnn_model_vocab(model), &token, &index);
    return index;
}

static int add_float(rnn_model *model, float value)
{
    rnn_token token = {RNN_TOKEN_FLOAT, value, NULL};
    int index = -1;
    rnn_vocab_add(rnn_model_vocab(model), &token, &index);
    return index;
}

/* One event as the three objects wire it: target, gradient, step,
 * prediction. */
static void feed(rnn_model *model, int index)
{
    const rnn_real *grad, *hidden;
    int scored, trained;
    rnn_score score;
    rnn_model_score(model, index, &grad, &scored, &score);
    if (grad)
        rnn_model_cell_gradient(model, grad, rnn_model_hidden(model),
                                &trained);
    if (rnn_model_step_index(model, index, &hidden) == RNN_OK)
        rnn_model_predict(model, hidden, rnn_model_hidden(model));
}

static int save(rnn_model *model, const char *folder, const char *name)
{
    char path[1024], why[256];
    snprintf(path, sizeof path, "%s/%s", folder, name);
    if (rnn_model_save(model, path, why, sizeof why)) {
        fprintf(stderr, "make_seeds: %s: %s\n", path, why);
        return 1;
    }
    rnn_model_free(model);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: make_seeds FOLDER\n");
        return 2;
    }
    const char *folder = argv[1];
    int failed = 0;

    /* no cell, no readout: a vocabulary only */
    rnn_model *model = rnn_model_new(1);
    add_symbol(model, "a");
    add_float(model, 60);
    failed |= save(model, folder, "vocab_only.rnn");

    /* each cell type, trained a little, a prediction pending and steps in
     * the window not yet trained on */
    const rnn_cell_type types[] = {RNN_CELL_ELMAN, RNN_CELL_GRU,
                                   RNN_CELL_LSTM};
    const char *names[] = {"elman.rnn", "gru2.rnn", "lstm.rnn"};
    for (int t = 0; t < 3; t++) {
        model = rnn_model_new(5 + t);
        rnn_model_set_cell(model, types[t], 3 + t, t == 1 ? 2 : 1);
        rnn_model_set_window(model, 4);
        rnn_model_set_every(model, 2);
        int a = add_symbol(model, "a"), b = add_symbol(model, "\xc3\xa9");
        int c = add_float(model, -1.5f);
        for (int r = 0; r < 5; r++) {
            feed(model, a);
            feed(model, b);
            feed(model, c);
        }
        feed(model, a);
        failed |= save(model, folder, names[t]);
    }

    /* a dense step in the window, Adam, learning off, a temperature */
    model = rnn_model_new(9);
    rnn_model_set_cell(model, RNN_CELL_ELMAN, 2, 1);
    rnn_model_set_optim(model, RNN_OPTIM_ADAM);
    add_symbol(model, "x");
    add_symbol(model, "y");
    const rnn_real dense[2] = {0.5f, -0.25f};
    const rnn_real *hidden;
    rnn_model_step(model, dense, 2, &hidden);
    rnn_model_predict(model, hidden, 2);
    rnn_model_set_temperature(model, 0.7);
    rnn_model_set_learn(model, 0);
    failed |= save(model, folder, "dense_adam.rnn");
    return failed;
}
