/* Fuzz target: the offline trainer (trainer.c), several streams through
 * one model a window at a time.
 *
 * The first bytes choose a small model (cell type, hidden size 1..24,
 * layers 1..3, window 1..12, a vocabulary of 1..40 tokens, optimizer,
 * learning rate, clipping, seed), streams 1..12 and threads 1..2, and
 * whether the refusals of rnn_trainer_new are tried.  Three models are
 * made alike from the same seed, and a trainer for each: minibatches,
 * stream by stream (the reference the minibatches are checked against),
 * and as rnn_trainer_new chooses.  The rest of the bytes are up to 8
 * windows of tokens (-1 skipped, sequence starts anywhere, now and then
 * a token out of range or below -1, or a start that is not 1), and
 * between windows changes that a caller may make to the models: a token
 * added to the vocabulary, and the readout grown to it; memory reserved
 * for more tokens; another window length; new weights.
 *
 * Checked at every window: one with a token beyond the vocabulary the
 * trainer was made for, or given to a model reshaped since (readout,
 * inputs or window), is refused with an error and changes no weight; any
 * other is accepted and leaves every weight finite, or says
 * RNN_ERR_NONFINITE.  From the same weights, the trainers give the same
 * status, the same number of scored targets and the same bits within a
 * relative 1e-3 (they compute the same sums in different orders), and
 * SGD's first step is the same to the rounding of the largest.  Then all
 * take the minibatches' weights, so that each window starts from the same
 * weights: a high learning rate would otherwise make rounding into chaos
 * in a few windows.  Everything is freed: the leak checker sees the
 * rest. */

#include "fuzz.h"
#include "../pd-rnn/core/internal.h"

#define MAX_WINDOWS 8
#define MAX_TENSORS (4 * RNN_MAX_LAYERS + 2)
#define TOLERANCE 1e-3

/* The three ways of making a trainer.  The one rnn_trainer_new chooses
 * is one of the other two, to the bit: it is checked on the first window,
 * then let go, which saves a third of the time. */
enum { BATCHED, REFERENCE, CHOSEN, WAYS };

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

/* The weights of the three models: where a window starts (the same for
 * the three) and where each left them. */
typedef struct weights {
    rnn_real *start;
    rnn_real *after[WAYS];
    size_t count;
    size_t allocated;
    int stepped; /* a window was accepted */
} weights;

/* Every weight of a model, copied into copy (count of them), or copied
 * from values into the model when values is not NULL. */
static size_t weights_of(rnn_model *model, rnn_real *copy,
                         const rnn_real *values)
{
    rnn_tensor tensors[MAX_TENSORS];
    int n = rnn_model_tensors(model, tensors, MAX_TENSORS);
    size_t at = 0;
    for (int t = 0; t < n; t++) {
        size_t bytes = tensors[t].count * sizeof *copy;
        if (values)
            memcpy(tensors[t].value, values + at, bytes);
        else if (copy)
            memcpy(copy + at, tensors[t].value, bytes);
        at += tensors[t].count;
    }
    return at;
}

/* Room for the weights of a model of its present size. */
static void weights_fit(weights *wt, rnn_model *model)
{
    wt->count = weights_of(model, NULL, NULL);
    if (wt->count <= wt->allocated)
        return;
    free(wt->start);
    wt->start = malloc(wt->count * sizeof *wt->start);
    FUZZ_CHECK(wt->start != NULL, "memory for %zu weights", wt->count);
    for (int w = 0; w < WAYS; w++) {
        free(wt->after[w]);
        wt->after[w] = malloc(wt->count * sizeof *wt->after[w]);
        FUZZ_CHECK(wt->after[w] != NULL, "memory for %zu weights",
                   wt->count);
    }
    wt->allocated = wt->count;
}

static void weights_free(weights *wt)
{
    free(wt->start);
    for (int w = 0; w < WAYS; w++)
        free(wt->after[w]);
}

static int all_finite(const rnn_real *values, size_t count)
{
    for (size_t i = 0; i < count; i++)
        if (!isfinite(values[i]))
            return 0;
    return 1;
}

/* The largest difference between two sets of weights. */
static double apart(const rnn_real *a, const rnn_real *b, size_t count)
{
    double most = 0;
    for (size_t i = 0; i < count; i++) {
        double d = fabs((double)a[i] - b[i]);
        most = d > most ? d : most;
    }
    return most;
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

/* One window for the three trainers, from the same weights, checked;
 * then the three take the minibatches' weights, so that the next window
 * starts from the same weights again (rounding apart, after a step of a
 * high learning rate, would be chaos apart a few windows later). */
static void train(rnn_model **models, rnn_trainer **trainers, int ways,
                  const shape *sh, const int *tokens,
                  const unsigned char *starts, int beyond, weights *wt)
{
    rnn_status status[WAYS];
    double bits[WAYS];
    long scored[WAYS];
    weights_fit(wt, models[BATCHED]);
    size_t count = weights_of(models[BATCHED], wt->start, NULL);
    for (int w = 0; w < ways; w++) {
        bits[w] = -1;
        scored[w] = -1;
        status[w] = rnn_trainer_window(trainers[w], tokens, starts,
                                       &bits[w], &scored[w]);
        rnn_real *after = wt->after[w];
        FUZZ_CHECK(weights_of(models[w], NULL, NULL) == count,
                   "trainer %d: the model's size changed", w);
        weights_of(models[w], after, NULL);
        if (beyond || sh->reshaped
            || (sh->moved && status[w] == RNN_ERR_STATE)) {
            FUZZ_CHECK(status[w] == RNN_ERR_ARG
                           || status[w] == RNN_ERR_STATE,
                       "trainer %d: a window to refuse (token beyond %d, "
                       "reshaped %d): status %d",
                       w, sh->vocab, sh->reshaped, status[w]);
            FUZZ_CHECK(!memcmp(wt->start, after, count * sizeof *after),
                       "trainer %d: a refused window changed weights", w);
            continue;
        }
        FUZZ_CHECK(status[w] == RNN_OK || status[w] == RNN_ERR_NONFINITE,
                   "trainer %d: status %d", w, status[w]);
        FUZZ_CHECK(status[w] == RNN_ERR_NONFINITE
                       || all_finite(after, count),
                   "trainer %d: a weight is not finite", w);
        FUZZ_CHECK(scored[w] >= 0 && isfinite(bits[w]) && bits[w] >= 0,
                   "trainer %d: %ld scored, %g bits", w, scored[w],
                   bits[w]);
    }
    for (int w = 0; w < ways; w++)
        FUZZ_CHECK(status[w] == status[BATCHED], "trainer %d: status %d, "
                   "minibatches: %d", w, status[w], status[BATCHED]);
    if (status[BATCHED] != RNN_OK && status[BATCHED] != RNN_ERR_NONFINITE)
        return;

    /* the same sums in another order; the chosen way is one of the two */
    FUZZ_CHECK(ways <= CHOSEN || bits[CHOSEN] == bits[BATCHED]
                   || bits[CHOSEN] == bits[REFERENCE],
               "the chosen trainer: %.9g bits, %.9g and %.9g the others",
               bits[CHOSEN], bits[BATCHED], bits[REFERENCE]);
    for (int w = 0; w < ways; w++) {
        double largest = fabs(bits[BATCHED]) > fabs(bits[w])
                             ? fabs(bits[BATCHED])
                             : fabs(bits[w]);
        FUZZ_CHECK(scored[w] == scored[BATCHED]
                       && fabs(bits[w] - bits[BATCHED])
                              <= TOLERANCE * largest + 1e-6,
                   "trainer %d: %ld scored, %.9g bits; minibatches: %ld, "
                   "%.9g bits",
                   w, scored[w], bits[w], scored[BATCHED], bits[BATCHED]);
    }

    /* The first step: with SGD it is linear in the gradient, so the same
     * steps to the rounding of the largest.  Not later: the momentum
     * carries the rounding of the steps before, and in float a high
     * learning rate makes that much more (in double, the same runs agree
     * to 1e-11).  Nor with Adam and Adagrad, whose first steps are the
     * signs of the gradients, which rounding may flip where one is 0. */
    if (models[BATCHED]->optim.kind == RNN_OPTIM_SGD && !wt->stepped
        && status[BATCHED] == RNN_OK) {
        double step = apart(wt->start, wt->after[BATCHED], count);
        for (int w = 0; w < ways; w++) {
            double off = apart(wt->after[w], wt->after[BATCHED], count);
            FUZZ_CHECK(off <= TOLERANCE * step + 1e-30,
                       "trainer %d: weights %g apart after a step of %g",
                       w, off, step);
        }
    }
    wt->stepped = 1;
    for (int w = 0; w < ways; w++)
        weights_of(models[w], NULL, wt->after[BATCHED]);
}

/* ------------------------------------------------------------ changes */

/* A change between windows, the same to every model. */
static void change(fuzz_stream *s, int what, rnn_model **models, int ways,
                   shape *sh)
{
    int value = fuzz_u8(s);
    for (int w = 0; w < ways; w++) {
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
    sh->reshaped =
        sh->grown || rnn_model_window(models[BATCHED]) != sh->window;
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
    weights wt;
    memset(&wt, 0, sizeof wt);
    FUZZ_CHECK(tokens && starts, "memory for a window");
    shape sh = {set.vocab, set.window, 0, 0, 0};
    int ways = WAYS, windows = 0;
    for (int ops = 0; ops < 4 * MAX_WINDOWS && windows < MAX_WINDOWS
                      && fuzz_more(&s);
         ops++) {
        int op = fuzz_u8(&s);
        if (op < 16) {
            change(&s, op % 4, models, ways, &sh);
            continue;
        }
        int beyond = window_of(&s, set.vocab, tokens, starts, count);
        train(models, trainers, ways, &sh, tokens, starts, beyond, &wt);
        windows++;
        if (ways == WAYS) { /* the chosen one, checked, let go */
            ways--;
            rnn_trainer_free(trainers[CHOSEN]);
            rnn_model_free(models[CHOSEN]);
        }
    }

    for (int w = 0; w < ways; w++) {
        rnn_trainer_free(trainers[w]);
        rnn_model_free(models[w]);
    }
    free(tokens);
    free(starts);
    weights_free(&wt);
    return 0;
}
