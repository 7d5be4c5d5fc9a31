/* The core's speed and learning on real text, trained online one character
 * at a time exactly as the Pd objects drive it.
 *
 *   bench speed TEXT TYPE HIDDEN [EVENTS]
 *       online training (window 25, Adam, one update per window, as the
 *       references do) and prediction alone: train_events_per_s,
 *       predict_us
 *   bench valid TEXT TYPE HIDDEN WINDOW OPTIM LR [EVENTS]
 *       train on the first 90% of TEXT (or its first EVENTS characters),
 *       then score the last 10% with learning off: valid_bits,
 *       train_bits (the last 1000 training targets), train_events_per_s */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../pd-rnn/core/rnn.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

/* One event through the chain: score, gradient to the cell, step,
 * prediction and choice.  *score gets the running means. */
static int feed(rnn_model *model, int index, rnn_score *score)
{
    const rnn_real *grad, *hidden;
    int scored, trained, h = rnn_model_hidden(model);
    rnn_model_score(model, index, &grad, &scored, score);
    if (grad)
        rnn_model_cell_gradient(model, grad, h, &trained);
    rnn_model_step_index(model, index, &hidden);
    rnn_model_predict(model, hidden, h);
    return rnn_model_choose(model);
}

/* The text as vocabulary indices, the vocabulary built from all of it
 * first, as a model trained offline would have it. */
static int *read_text(rnn_model *model, const char *path, long *length)
{
    FILE *file = fopen(path, "rb");
    if (!file) {
        fprintf(stderr, "bench: cannot open %s\n", path);
        return NULL;
    }
    size_t allocated = 1 << 16, size = 0;
    unsigned char *text = malloc(allocated);
    size_t got;
    while (text && (got = fread(text + size, 1, allocated - size, file))) {
        size += got;
        if (size == allocated)
            text = realloc(text, allocated *= 2);
    }
    fclose(file);
    int *indices = text ? malloc(size * sizeof *indices) : NULL;
    for (size_t i = 0; indices && i < size; i++) {
        char character[2] = {(char)text[i], 0};
        rnn_token token = {RNN_TOKEN_SYMBOL, 0, character};
        rnn_vocab_add(rnn_model_vocab(model), &token, &indices[i]);
    }
    free(text);
    *length = (long)size;
    if (!indices || size < 1000) {
        fprintf(stderr, "bench: %s is too short or out of memory\n", path);
        free(indices);
        return NULL;
    }
    return indices;
}

static int parse_type(const char *name, rnn_cell_type *type)
{
    for (int t = RNN_CELL_ELMAN; t <= RNN_CELL_LSTM; t++)
        if (!strcmp(name, rnn_cell_type_name((rnn_cell_type)t))) {
            *type = (rnn_cell_type)t;
            return 1;
        }
    return 0;
}

static int speed(const char *path, rnn_cell_type type, int hidden,
                 long events)
{
    rnn_model *model = rnn_model_new(1);
    long length;

    /* the same work as the references: Adam, one update per window */
    rnn_model_set_window(model, 25);
    rnn_model_set_every(model, 0);
    rnn_model_set_optim(model, RNN_OPTIM_ADAM);
    rnn_model_set_lr(model, 0.002);
    rnn_model_set_cell(model, type, hidden, 1);
    int *indices = read_text(model, path, &length);
    if (!indices)
        return 1;

    /* online training: every event through the whole chain */
    rnn_score score;
    for (int i = 0; i < 2000; i++)
        feed(model, indices[i % length], &score);
    double start = now();
    for (long i = 0; i < events; i++)
        feed(model, indices[i % length], &score);
    double train = now() - start;

    /* prediction alone: a step, the readout and a choice */
    rnn_model_set_learn(model, 0);
    start = now();
    for (long i = 0; i < events; i++) {
        const rnn_real *h;
        rnn_model_step_index(model, indices[i % length], &h);
        rnn_model_predict(model, h, hidden);
        rnn_model_choose(model);
    }
    double predict = now() - start;

    printf("train_events_per_s %.0f\n", events / train);
    printf("predict_us %.3f\n", predict / events * 1e6);
    free(indices);
    rnn_model_free(model);
    return 0;
}

static int valid(const char *path, rnn_cell_type type, int hidden,
                 int window, const char *optim, double lr, long events)
{
    rnn_model *model = rnn_model_new(1);
    long length;
    rnn_model_set_window(model, window);
    rnn_model_set_every(model, 0);
    rnn_model_set_optim(model, !strcmp(optim, "adam")      ? RNN_OPTIM_ADAM
                               : !strcmp(optim, "sgd")     ? RNN_OPTIM_SGD
                                                           : RNN_OPTIM_ADAGRAD);
    rnn_model_set_lr(model, lr);
    rnn_model_set_cell(model, type, hidden, 1);
    int *indices = read_text(model, path, &length);
    if (!indices)
        return 1;
    long split = length * 9 / 10;
    long train_events = events > 0 && events < split ? events : split;

    /* train online on the first 90% */
    rnn_score score = {0};
    double start = now();
    for (long i = 0; i < train_events; i++) {
        feed(model, indices[i], &score);
        if (i % 100000 == 99999)
            fprintf(stderr, "bench: %ld events, %.3f bits\n", i + 1,
                    score.mean_loss);
    }
    double seconds = now() - start;
    double train_bits = score.mean_loss;

    /* score the last 10%, the state carried on from training */
    rnn_model_set_learn(model, 0);
    double bits = 0;
    long scored = 0;
    for (long i = split; i < length; i++) {
        const rnn_real *grad;
        int was_scored;
        rnn_model_score(model, indices[i], &grad, &was_scored, &score);
        if (was_scored) {
            bits += score.loss;
            scored++;
        }
        const rnn_real *h;
        rnn_model_step_index(model, indices[i], &h);
        rnn_model_predict(model, h, hidden);
    }
    printf("train_events %ld\n", train_events);
    printf("train_bits %.4f\n", train_bits);
    printf("valid_bits %.4f\n", bits / scored);
    printf("train_events_per_s %.0f\n", train_events / seconds);
    free(indices);
    rnn_model_free(model);
    return 0;
}

int main(int argc, char **argv)
{
    rnn_cell_type type;
    if (argc >= 5 && !strcmp(argv[1], "speed") && parse_type(argv[3], &type))
        return speed(argv[2], type, atoi(argv[4]),
                     argc > 5 ? atol(argv[5]) : 200000);
    if (argc >= 8 && !strcmp(argv[1], "valid") && parse_type(argv[3], &type))
        return valid(argv[2], type, atoi(argv[4]), atoi(argv[5]), argv[6],
                     atof(argv[7]), argc > 8 ? atol(argv[8]) : 0);
    fprintf(stderr, "usage: bench speed TEXT TYPE HIDDEN [EVENTS]\n"
                    "       bench valid TEXT TYPE HIDDEN WINDOW OPTIM LR "
                    "[EVENTS]\n");
    return 2;
}
