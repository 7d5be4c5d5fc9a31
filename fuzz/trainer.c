/* Fuzz target: the offline trainer (trainer.c), several streams through
 * one model a window at a time.
 *
 * The first bytes choose a small model (cell type, hidden size 1..24,
 * layers 1..3, window 1..12, a vocabulary of 1..40 tokens, optimizer,
 * learning rate, clipping, seed), streams 1..12 and threads 1..2.  Three
 * models are made alike from the same seed, and a trainer for each: as
 * rnn_trainer_new chooses, minibatches, and stream by stream (the
 * reference the minibatches are checked against).  The rest of the bytes
 * are windows of tokens for the three (-1 skipped, a token out of range
 * now and then, sequence starts anywhere), and between windows changes to
 * the models that a caller may make: a token added to the vocabulary,
 * and the readout grown to it; memory reserved for more tokens; a new
 * window length; new weights.
 *
 * Checked after every window: a window with a token beyond the
 * vocabulary the trainer was made for, or given to a model reshaped since
 * (readout, inputs or window), is refused with an error and changes no
 * weight; any other window is accepted and leaves every weight finite, or
 * says RNN_ERR_NONFINITE; the three trainers give the same status, the
 * same number of scored targets and the same bits within a relative 1e-3
 * (they compute the same sums in different orders).  Everything is
 * freed: the leak checker sees the rest. */

#include "fuzz.h"
#include "../pd-rnn/core/internal.h"

#define MAX_WINDOWS 12
#define MAX_TENSORS (4 * RNN_MAX_LAYERS + 2)
#define TOLERANCE 1e-3

/* The three ways of making a trainer. */
enum { CHOSEN, BATCHED, REFERENCE, WAYS };

typedef struct setup {
    rnn_cell_type type;
    int hidden, layers, window, vocab, streams, threads;
    rnn_optim_kind optim;
    double lr, clip;
    uint64_t seed;
} setup;

/* What a model looks like since its trainer was made: refused windows
 * follow from it. */
typedef struct shape {
    int vocab;    /* tokens the trainer was made for */
    int window;   /* the window it was made for */
    int grown;    /* the readout grown since */
    int reshaped; /* grown, or another window now */
    int moved;    /* memory reserved since: its tensors may have moved */
} shape;

static setup setup_of(fuzz_stream *s)
{
    static const double lrs[] = {RNN_DEFAULT_LR, 0.001, 0.1, 1, 10, 0};
    static const double clips[] = {RNN_DEFAULT_CLIP, 0, 1e-3, 1e6};
    setup set;
    set.type = (rnn_cell_type)(fuzz_u8(s) % 3);
    set.hidden = 1 + fuzz_u8(s) % 24;
    set.layers = 1 + fuzz_u8(s) % 3;
    set.window = 1 + fuzz_u8(s) % 12;
    set.vocab = 1 + fuzz_u8(s) % 40;
    set.streams = 1 + fuzz_u8(s) % 12;
    set.threads = 1 + fuzz_u8(s) % 2;
    set.optim = (rnn_optim_kind)(fuzz_u8(s) % 3);
    set.lr = lrs[fuzz_u8(s) % 6];
    set.clip = clips[fuzz_u8(s) % 4];
    set.seed = fuzz_u8(s);
    return set;
}

static rnn_model *model_of(const setup *set)
{
    rnn_model *model = rnn_model_new(set->seed);
    FUZZ_CHECK(model != NULL, "a model");
    FUZZ_CHECK(rnn_model_set_window(model, set->window) == RNN_OK
                   && rnn_model_set_optim(model, set->optim) == RNN_OK
                   && rnn_model_set_lr(model, set->lr) == RNN_OK
                   && rnn_model_set_clip(model, set->clip) == RNN_OK
                   && rnn_model_set_cell(model, set->type, set->hidden,
                                         set->layers)
                          == RNN_OK,
                   "a model of %d layer(s) of %d", set->layers, set->hidden);
    for (int i = 0; i < set->vocab; i++) {
        rnn_token token = {RNN_TOKEN_FLOAT, (float)i, NULL};
        int index = -1;
        FUZZ_CHECK(rnn_vocab_add(rnn_model_vocab(model), &token, &index)
                           == RNN_OK
                       && index == i,
                   "token %d", i);
    }
    return model;
}

/* ------------------------------------------------------------ weights */

/* Every weight of a model, copied into *copy (grown as needed). */
static size_t weights_of(rnn_model *model, rnn_real **copy,
                         size_t *allocated)
{
    rnn_tensor tensors[MAX_TENSORS];
    int n = rnn_model_tensors(model, tensors, MAX_TENSORS);
    size_t total = 0;
    for (int t = 0; t < n; t++)
        total += tensors[t].count;
    if (total > *allocated) {
        free(*copy);
        *copy = malloc(total * sizeof **copy);
        FUZZ_CHECK(*copy != NULL, "memory for %zu weights", total);
        *allocated = total;
    }
    size_t at = 0;
    for (int t = 0; t < n; t++) {
        memcpy(*copy + at, tensors[t].value,
               tensors[t].count * sizeof **copy);
        at += tensors[t].count;
    }
    return total;
}

static int all_finite(const rnn_real *values, size_t count)
{
    for (size_t i = 0; i < count; i++)
        if (!isfinite(values[i]))
            return 0;
    return 1;
}

/* ------------------------------------------------------------ windows */

/* A window's tokens and starts: each from one byte, its high bit the
 * start; now and then one token out of range, or negative. */
static int window_of(fuzz_stream *s, int vocab, int *tokens,
                     unsigned char *starts, int count)
{
    static const int wild[] = {0, 1, 2, 40, 1 << 20, INT_MAX,
                               -2, INT_MIN};
    int mode = fuzz_u8(s);
    for (int i = 0; i < count; i++) {
        int byte = fuzz_u8(s);
        int code = byte & 0x7f;
        tokens[i] = code < 12 ? -1 : (code - 12) % vocab;
        starts[i] = (unsigned char)(byte >> 7);
    }
    if (mode >= 224) { /* one token out of range, or negative */
        int at = fuzz_u8(s) % count;
        int pick = mode % 8;
        tokens[at] = pick < 3 ? vocab + wild[pick] : wild[pick];
    }
    if (mode % 32 == 31) /* a start that is not 0 or 1 */
        starts[fuzz_u8(s) % count] = (unsigned char)(2 + fuzz_u8(s) % 254);
    int beyond = 0;
    for (int i = 0; i < count; i++)
        beyond |= tokens[i] >= vocab;
    return beyond;
}

/* One window for the three trainers, checked. */
static void train(rnn_model **models, rnn_trainer **trainers,
                  const shape *sh, const int *tokens,
                  const unsigned char *starts, int beyond,
                  rnn_real **before, rnn_real **after, size_t *allocated)
{
    rnn_status status[WAYS];
    double bits[WAYS];
    long scored[WAYS];
    for (int w = 0; w < WAYS; w++) {
        size_t count = weights_of(models[w], before, allocated);
        bits[w] = -1;
        scored[w] = -1;
        status[w] = rnn_trainer_window(trainers[w], tokens, starts,
                                       &bits[w], &scored[w]);
        size_t now = weights_of(models[w], after, allocated + 1);
        FUZZ_CHECK(now == count, "%zu weights became %zu", count, now);
        if (beyond || sh->reshaped
            || (sh->moved && status[w] == RNN_ERR_STATE)) {
            FUZZ_CHECK(status[w] == RNN_ERR_ARG
                           || status[w] == RNN_ERR_STATE,
                       "trainer %d: a window to refuse (token beyond %d, "
                       "reshaped %d): status %d",
                       w, sh->vocab, sh->reshaped, status[w]);
            FUZZ_CHECK(!memcmp(*before, *after, count * sizeof **after),
                       "trainer %d: a refused window changed weights", w);
            continue;
        }
        FUZZ_CHECK(status[w] == RNN_OK || status[w] == RNN_ERR_NONFINITE,
                   "trainer %d: status %d", w, status[w]);
        FUZZ_CHECK(status[w] == RNN_ERR_NONFINITE
                       || all_finite(*after, count),
                   "trainer %d: a weight is not finite", w);
        FUZZ_CHECK(scored[w] >= 0 && isfinite(bits[w]) && bits[w] >= 0,
                   "trainer %d: %ld scored, %g bits", w, scored[w],
                   bits[w]);
    }
    if (beyond || sh->reshaped || status[0] == RNN_ERR_STATE) {
        for (int w = 1; w < WAYS; w++)
            FUZZ_CHECK(status[w] == status[0], "trainer %d: status %d, "
                       "trainer 0: %d", w, status[w], status[0]);
        return;
    }
    for (int w = 1; w < WAYS; w++) {
        FUZZ_CHECK(status[w] == status[0] && scored[w] == scored[0],
                   "trainer %d: status %d, %ld scored; trainer 0: status "
                   "%d, %ld scored",
                   w, status[w], scored[w], status[0], scored[0]);
        double largest = fabs(bits[0]) > fabs(bits[w]) ? fabs(bits[0])
                                                       : fabs(bits[w]);
        FUZZ_CHECK(fabs(bits[w] - bits[0]) <= TOLERANCE * largest + 1e-6,
                   "trainer %d: %.9g bits, trainer 0: %.9g", w, bits[w],
                   bits[0]);
    }
}

/* ------------------------------------------------------------ changes */

/* A change between windows, the same to the three models. */
static void change(fuzz_stream *s, int what, rnn_model **models,
                   shape *sh)
{
    int value = fuzz_u8(s);
    for (int w = 0; w < WAYS; w++) {
        rnn_model *m = models[w];
        if (what == 0) { /* a new token, and the readout grown to it */
            rnn_token token = {RNN_TOKEN_SYMBOL, 0, "new"};
            int index;
            FUZZ_CHECK(rnn_vocab_add(rnn_model_vocab(m), &token, &index)
                           == RNN_OK,
                       "a new token");
            if (value & 1) {
                FUZZ_CHECK(rnn_model_predict(m, rnn_recurrent_output(
                                                    &m->cell),
                                             rnn_model_hidden(m))
                               == RNN_OK,
                           "a prediction");
                sh->grown = 1;
            }
        } else if (what == 1) { /* memory for more tokens */
            int tokens = rnn_vocab_size(rnn_model_vocab(m)) + 1 + value % 64;
            /* the known bug of fuzz/regressions/trainer/reserve-*,
             * skipped with FUZZ_IGNORE_KNOWN */
            if (getenv("FUZZ_IGNORE_KNOWN"))
                continue;
            FUZZ_CHECK(rnn_model_reserve(m, tokens) == RNN_OK,
                       "reserving %d", tokens);
            sh->moved = 1;
        } else if (what == 2) { /* another window length */
            int window = 1 + value % 12;
            FUZZ_CHECK(rnn_model_set_window(m, window) == RNN_OK,
                       "a window of %d", window);
        } else { /* new weights */
            rnn_model_clear(m);
        }
    }
    sh->reshaped = sh->grown || rnn_model_window(models[0]) != sh->window;
}

/* A trainer is refused for a model without a cell or a vocabulary, and
 * for counts out of range. */
static void refusals(const setup *set)
{
    rnn_status status = RNN_OK;
    rnn_model *bare = rnn_model_new(1);
    FUZZ_CHECK(bare != NULL, "a model");
    FUZZ_CHECK(!rnn_trainer_new(bare, 1, 1, &status)
                   && status == RNN_ERR_ARG,
               "a trainer without a cell: status %d", status);
    FUZZ_CHECK(rnn_model_set_cell(bare, set->type, set->hidden, set->layers)
                   == RNN_OK,
               "a cell");
    status = RNN_OK;
    FUZZ_CHECK(!rnn_trainer_new(bare, 1, 1, &status) && status != RNN_OK,
               "a trainer without a vocabulary");
    rnn_model_free(bare);

    rnn_model *model = model_of(set);
    static const int streams[] = {0, -1, 4097, INT_MIN, 1, 1, 1};
    static const int threads[] = {1, 1, 1, 1, 0, 65, INT_MIN};
    for (int k = 0; k < 7; k++) {
        status = RNN_OK;
        FUZZ_CHECK(!rnn_trainer_kind_new(model, streams[k], threads[k],
                                         k & 1, &status)
                       && status == RNN_ERR_ARG,
                   "%d streams, %d threads: status %d", streams[k],
                   threads[k], status);
    }
    rnn_model_free(model);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_stream s = {data, size, 0};
    setup set = setup_of(&s);
    if (fuzz_u8(&s) == 0xff)
        refusals(&set);

    /* three models alike, a trainer each */
    rnn_model *models[WAYS];
    rnn_trainer *trainers[WAYS];
    for (int w = 0; w < WAYS; w++) {
        rnn_status status = RNN_ERR_STATE;
        models[w] = model_of(&set);
        trainers[w] = w == CHOSEN
                          ? rnn_trainer_new(models[w], set.streams,
                                            set.threads, &status)
                          : rnn_trainer_kind_new(models[w], set.streams,
                                                 set.threads, w == BATCHED,
                                                 &status);
        FUZZ_CHECK(trainers[w] && status == RNN_OK,
                   "trainer %d: status %d", w, status);
    }

    /* windows, and changes between them */
    int count = set.streams * set.window;
    int *tokens = malloc((size_t)count * sizeof *tokens);
    unsigned char *starts = malloc((size_t)count);
    rnn_real *weights[2] = {NULL, NULL};
    size_t allocated[2] = {0, 0};
    FUZZ_CHECK(tokens && starts, "memory for a window");
    shape sh = {set.vocab, set.window, 0, 0, 0};
    for (int windows = 0; windows < MAX_WINDOWS && fuzz_more(&s);) {
        int op = fuzz_u8(&s);
        if (op < 16) {
            change(&s, op % 4, models, &sh);
            continue;
        }
        int beyond = window_of(&s, set.vocab, tokens, starts, count);
        train(models, trainers, &sh, tokens, starts, beyond, &weights[0],
              &weights[1], allocated);
        windows++;
    }

    for (int w = 0; w < WAYS; w++) {
        rnn_trainer_free(trainers[w]);
        rnn_model_free(models[w]);
    }
    free(tokens);
    free(starts);
    free(weights[0]);
    free(weights[1]);
    return 0;
}
