/* The offline trainer's minibatches against its reference, which runs
 * each stream on its own through the cell, token by token as in Pd: the
 * same losses and, after several windows and optimizer steps, the same
 * weights, for every cell type, one and two layers, one and two threads,
 * sizes that fill no vector evenly, sequence starts in mid-window and
 * streams that end before the window does.  Built in double precision
 * too, where the two must agree to rounding. */

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../pd-rnn/core/internal.h"
#include "check.h"

#ifdef RNN_REAL_DOUBLE
#define TOLERANCE 1e-9
#else
#define TOLERANCE 2e-4
#endif

enum { VOCAB = 23, STREAMS = 5, WINDOW = 7, WINDOWS = 6 };

static rnn_model *make_model(rnn_cell_type type, int hidden, int layers)
{
    rnn_model *model = rnn_model_new(11);
    if (!model || rnn_model_set_window(model, WINDOW)
        || rnn_model_set_every(model, 0)
        || rnn_model_set_cell(model, type, hidden, layers))
        return NULL;
    for (int i = 0; i < VOCAB; i++) {
        rnn_token token = {RNN_TOKEN_FLOAT, (float)i, NULL};
        int index;
        if (rnn_vocab_add(rnn_model_vocab(model), &token, &index))
            return NULL;
    }
    rnn_model_set_learn(model, 1);
    return model;
}

/* The largest difference between the two models' weights, relative to
 * the largest weight. */
static double weights_apart(rnn_model *a, rnn_model *b)
{
    rnn_param *pa[4 * RNN_MAX_LAYERS + 2], *pb[4 * RNN_MAX_LAYERS + 2];
    int n = rnn_recurrent_params(&a->cell, pa, 4 * RNN_MAX_LAYERS);
    rnn_recurrent_params(&b->cell, pb, 4 * RNN_MAX_LAYERS);
    pa[n] = &a->readout.weight, pb[n++] = &b->readout.weight;
    pa[n] = &a->readout.bias, pb[n++] = &b->readout.bias;
    double worst = 0, largest = 1e-30;
    for (int p = 0; p < n; p++) {
        if (pa[p]->count != pb[p]->count)
            return INFINITY;
        for (size_t i = 0; i < pa[p]->count; i++) {
            double d = fabs((double)pa[p]->value[i] - pb[p]->value[i]);
            worst = d > worst ? d : worst;
            double v = fabs((double)pa[p]->value[i]);
            largest = v > largest ? v : largest;
        }
    }
    return worst / largest;
}

/* Windows of random tokens: a sequence starts now and then, and the last
 * window's streams end early, one after another.  Those begin a sequence
 * with that window: the reference would otherwise carry the errors of its
 * last steps back through steps of the window before, which its ring
 * still holds, where the minibatch stops at the window's start. */
static void make_windows(int *tokens, unsigned char *starts, unsigned seed)
{
    for (int w = 0; w < WINDOWS; w++)
        for (int s = 0; s < STREAMS; s++)
            for (int t = 0; t < WINDOW; t++) {
                size_t i = ((size_t)w * STREAMS + s) * WINDOW + t;
                seed = seed * 1103515245u + 12345u;
                tokens[i] = (int)((seed >> 16) % VOCAB);
                starts[i] = (t == 0 && (w == 0 || w == WINDOWS - 1))
                            || (seed >> 8) % 11 == 0;
                if (w == WINDOWS - 1 && t >= WINDOW - s) {
                    tokens[i] = -1;
                    starts[i] = 0;
                }
            }
}

static void compare(rnn_cell_type type, int hidden, int layers, int threads)
{
    static int tokens[WINDOWS * STREAMS * WINDOW];
    static unsigned char starts[WINDOWS * STREAMS * WINDOW];
    make_windows(tokens, starts, (unsigned)(type * 7 + layers + threads));
    rnn_model *a = make_model(type, hidden, layers);
    rnn_model *b = make_model(type, hidden, layers);
    rnn_status sa, sb;
    rnn_trainer *batched =
        a ? rnn_trainer_kind_new(a, STREAMS, threads, 1, &sa) : NULL;
    rnn_trainer *reference =
        b ? rnn_trainer_kind_new(b, STREAMS, threads, 0, &sb) : NULL;
    const char *name = rnn_cell_type_name(type);
    if (!batched || !reference) {
        CHECK(0, "%s %d layer(s), %d thread(s): trainers made", name,
              layers, threads);
        goto done;
    }
    double bits_a = 0, bits_b = 0;
    long scored_a = 0, scored_b = 0;
    int same_status = 1;
    for (int w = 0; w < WINDOWS; w++) {
        size_t at = (size_t)w * STREAMS * WINDOW;
        double ba, bb;
        long ka, kb;
        rnn_status ra = rnn_trainer_window(batched, tokens + at, starts + at,
                                           &ba, &ka);
        rnn_status rb = rnn_trainer_window(reference, tokens + at,
                                           starts + at, &bb, &kb);
        same_status &= ra == rb;
        bits_a += ba, bits_b += bb;
        scored_a += ka, scored_b += kb;
    }
    double apart = weights_apart(a, b);
    CHECK(same_status && scored_a == scored_b && scored_a > 0
              && fabs(bits_a - bits_b) <= TOLERANCE * bits_b,
          "%s, %d layer(s), %d thread(s): the same %ld targets scored, "
          "%.9g bits (reference %.9g)",
          name, layers, threads, scored_a, bits_a, bits_b);
    CHECK(apart <= TOLERANCE,
          "%s, %d layer(s), %d thread(s): the same weights after %d "
          "windows (%.2g apart)",
          name, layers, threads, WINDOWS, apart);
done:
    rnn_trainer_free(batched);
    rnn_trainer_free(reference);
    rnn_model_free(a);
    rnn_model_free(b);
}

/* A token beyond the vocabulary, or a model grown since the trainer was
 * made, is refused before anything changes. */
static void refusals(void)
{
    rnn_model *model = make_model(RNN_CELL_GRU, 20, 1);
    rnn_status status;
    rnn_trainer *trainer =
        model ? rnn_trainer_kind_new(model, STREAMS, 1, 1, &status) : NULL;
    if (!trainer) {
        CHECK(0, "a trainer made for the refusals");
        rnn_model_free(model);
        return;
    }
    int tokens[STREAMS * WINDOW] = {0};
    unsigned char starts[STREAMS * WINDOW] = {0};
    double bits;
    long scored;
    rnn_real before = model->cell.layer[0].w_rec.value[0];
    tokens[3] = VOCAB;
    CHECK(rnn_trainer_window(trainer, tokens, starts, &bits, &scored)
                  == RNN_ERR_ARG
              && model->cell.layer[0].w_rec.value[0] == before,
          "a token beyond the vocabulary is refused, nothing learned");
    tokens[3] = 1;
    rnn_token token = {RNN_TOKEN_FLOAT, 1000, NULL};
    int index;
    rnn_vocab_add(rnn_model_vocab(model), &token, &index);
    rnn_model_predict(model, rnn_recurrent_output(&model->cell),
                      model->cell.hidden);
    CHECK(rnn_trainer_window(trainer, tokens, starts, &bits, &scored)
              == RNN_ERR_STATE,
          "a model grown since the trainer was made is refused");
    rnn_trainer_free(trainer);
    rnn_model_free(model);
}

int main(void)
{
    refusals();
    rnn_cell_type types[] = {RNN_CELL_ELMAN, RNN_CELL_GRU, RNN_CELL_LSTM};
    for (int i = 0; i < 3; i++)
        for (int layers = 1; layers <= 2; layers++)
            for (int threads = 1; threads <= 2; threads++)
                compare(types[i], 20, layers, threads);
    return check_failures != 0;
}
