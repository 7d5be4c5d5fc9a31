/* The core's speed on the reference task: an Elman cell of 128 units, a
 * vocabulary of 65 characters, a window of 25, trained online on real
 * text one character at a time, exactly as the Pd objects drive it.
 *
 *   bench TEXT [EVENTS]
 *
 * prints machine-readable lines: train_events_per_s, predict_us. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../pd-rnn/core/rnn.h"

#define HIDDEN 128
#define WINDOW 25

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

/* One event through the chain: score, gradient to the cell, step,
 * prediction and choice. */
static int feed(rnn_model *model, int index)
{
    const rnn_real *grad, *hidden;
    int scored, trained;
    rnn_score score;
    rnn_model_score(model, index, &grad, &scored, &score);
    if (grad)
        rnn_model_cell_gradient(model, grad, HIDDEN, &trained);
    rnn_model_step_index(model, index, &hidden);
    rnn_model_predict(model, hidden, HIDDEN);
    return rnn_model_choose(model);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench TEXT [EVENTS]\n");
        return 2;
    }
    long events = argc > 2 ? atol(argv[2]) : 200000;
    FILE *file = fopen(argv[1], "rb");
    if (!file) {
        fprintf(stderr, "bench: cannot open %s\n", argv[1]);
        return 1;
    }
    static unsigned char text[1 << 22];
    size_t length = fread(text, 1, sizeof text, file);
    fclose(file);
    if (length < 1000) {
        fprintf(stderr, "bench: %s is too short\n", argv[1]);
        return 1;
    }

    /* the vocabulary of the whole text first, as a pretrained model has */
    rnn_model *model = rnn_model_new(1);
    /* the same work as the reference: Adam, one update per window */
    rnn_model_set_window(model, WINDOW);
    rnn_model_set_every(model, 0);
    rnn_model_set_optim(model, RNN_OPTIM_ADAM);
    rnn_model_set_lr(model, 0.002);
    rnn_model_set_cell(model, RNN_CELL_ELMAN, HIDDEN, 1);
    static int indices[1 << 22];
    for (size_t i = 0; i < length; i++) {
        char character[2] = {(char)text[i], 0};
        rnn_token token = {RNN_TOKEN_SYMBOL, 0, character};
        rnn_vocab_add(rnn_model_vocab(model), &token, &indices[i]);
    }
    fprintf(stderr, "bench: %zu characters, vocabulary %d\n", length,
            rnn_vocab_size(rnn_model_vocab(model)));

    /* online training: every event through the whole chain */
    for (int i = 0; i < 2000; i++)
        feed(model, indices[i % length]);
    double start = now();
    for (long i = 0; i < events; i++)
        feed(model, indices[i % length]);
    double train = now() - start;
    char summary[512];
    rnn_model_describe(model, summary, sizeof summary);
    fprintf(stderr, "bench: %s\n", summary);

    /* prediction alone: a step, the readout and a choice */
    rnn_model_set_learn(model, 0);
    long predictions = events;
    start = now();
    for (long i = 0; i < predictions; i++) {
        const rnn_real *hidden;
        rnn_model_step_index(model, indices[i % length], &hidden);
        rnn_model_predict(model, hidden, HIDDEN);
        rnn_model_choose(model);
    }
    double predict = now() - start;

    printf("train_events_per_s %.0f\n", events / train);
    printf("predict_us %.3f\n", predict / predictions * 1e6);
    rnn_model_free(model);
    return 0;
}
