/* Offline training: several streams through one model at once.
 *
 * Each stream reads its own part of the corpus with a state of its own (a
 * copy of the cell's and the readout's working buffers that shares their
 * weights), exactly as one Pd chain would read it live.  A window's
 * gradients are summed over the streams, then one optimizer step updates
 * the shared weights.  With threads, the streams are split between them,
 * each thread summing into gradient buffers of its own; the sums are added
 * in thread order, so a run repeats exactly for a given seed and thread
 * count. */

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

typedef struct stream {
    rnn_recurrent rec;    /* own state, ring and scratch; shared weights */
    rnn_readout readout;  /* own pending prediction and scratch */
} stream;

typedef struct worker_slot {
    struct rnn_trainer *trainer;
    int first, last;      /* the streams of this thread, [first, last) */
    rnn_real **grads;     /* one buffer per tensor, this thread's sums */
    double bits;
    long scored;
    const int *tokens;
    const unsigned char *starts;
} worker_slot;

struct rnn_trainer {
    rnn_model *model;
    int streams;
    int threads;
    int window;
    stream *stream;
    worker_slot *slot;
    rnn_param *params[4 * RNN_MAX_LAYERS + 2]; /* the model's tensors */
    int param_count;
};

/* ------------------------------------------------------------ streams */

/* The tensors of a stream's copies, in the order of trainer->params. */
static int stream_params(stream *st, rnn_param **params)
{
    int n = rnn_recurrent_params(&st->rec, params, 4 * RNN_MAX_LAYERS);
    params[n++] = &st->readout.weight;
    params[n++] = &st->readout.bias;
    return n;
}

/* A stream's own buffers, with the model's tensors in place of its own:
 * made whole, then its tensors freed and replaced by the shared ones. */
static rnn_status stream_init(stream *st, rnn_model *model)
{
    rnn_rng rng;
    rnn_rng_seed(&rng, 1);
    rnn_recurrent *cell = &model->cell;
    memset(st, 0, sizeof *st);
    if (rnn_recurrent_init(&st->rec, cell->type, cell->hidden, cell->layers,
                           cell->window, &rng)
        || rnn_readout_init(&st->readout, model->readout.hidden, &rng)
        || rnn_readout_reserve(&st->readout, model->readout.rows))
        return RNN_ERR_NOMEM;
    rnn_param *own[4 * RNN_MAX_LAYERS + 2];
    int n = stream_params(st, own);
    for (int p = 0; p < n; p++)
        rnn_param_free(own[p]);
    for (int l = 0; l < cell->layers; l++) {
        st->rec.layer[l].w_in = cell->layer[l].w_in;
        st->rec.layer[l].w_rec = cell->layer[l].w_rec;
        st->rec.layer[l].b_in = cell->layer[l].b_in;
        st->rec.layer[l].b_rec = cell->layer[l].b_rec;
        st->rec.layer[l].input = cell->layer[l].input;
    }
    st->rec.every = cell->window;
    st->readout.weight = model->readout.weight;
    st->readout.bias = model->readout.bias;
    st->readout.rows = model->readout.rows;
    return RNN_OK;
}

static void stream_free(stream *st)
{
    rnn_param *shared[4 * RNN_MAX_LAYERS + 2];
    int n = stream_params(st, shared);
    for (int p = 0; p < n; p++)
        memset(shared[p], 0, sizeof *shared[p]);
    if (st->rec.layer)
        rnn_recurrent_free(&st->rec);
    rnn_readout_free(&st->readout);
}

/* Point a stream's tensors at a thread's gradient buffers. */
static void stream_use_grads(stream *st, rnn_real **grads)
{
    rnn_param *params[4 * RNN_MAX_LAYERS + 2];
    int n = stream_params(st, params);
    for (int p = 0; p < n; p++)
        params[p]->grad = grads[p];
}

/* ------------------------------------------------------------ a window */

/* One stream through one window: each token scores the pending
 * prediction and steps the cell; a sequence's start ends the one before
 * (its errors flow back now, the state is forgotten), as `reset` does. */
static void stream_window(stream *st, const int *tokens,
                          const unsigned char *starts, int window,
                          double *bits, long *scored)
{
    rnn_recurrent *rec = &st->rec;
    rnn_readout *readout = &st->readout;
    for (int t = 0; t < window; t++) {
        int token = tokens[t];
        if (token < 0)
            continue;
        if (starts[t]) {
            if (rec->untrained > 0)
                rnn_recurrent_backward(rec);
            rnn_recurrent_forget(rec);
            readout->has_pending = 0;
        }
        if (readout->has_pending) {
            *bits += rnn_readout_backward(readout, token) / RNN_LN2;
            ++*scored;
            rnn_recurrent_add_error(rec, readout->grad_hidden);
        }
        rnn_recurrent_step(rec, token, NULL, 0);
        memcpy(readout->pending, rnn_recurrent_output(rec),
               (size_t)rec->hidden * sizeof(rnn_real));
        readout->has_pending = 1;
        rnn_readout_forward(readout);
    }
    if (rec->untrained > 0)
        rnn_recurrent_backward(rec);
}

static void *slot_run(void *arg)
{
    worker_slot *slot = arg;
    rnn_trainer *trainer = slot->trainer;
    int window = trainer->window;
    slot->bits = 0;
    slot->scored = 0;
    for (int s = slot->first; s < slot->last; s++)
        stream_window(&trainer->stream[s], slot->tokens + (size_t)s * window,
                      slot->starts + (size_t)s * window, window, &slot->bits,
                      &slot->scored);
    return NULL;
}

rnn_status rnn_trainer_window(rnn_trainer *trainer, const int *tokens,
                              const unsigned char *starts, double *bits,
                              long *scored)
{
    rnn_model *model = trainer->model;
    int size = rnn_vocab_size(model->vocab);
    for (long i = 0; i < (long)trainer->streams * trainer->window; i++)
        if (tokens[i] >= size || tokens[i] >= model->readout.rows
            || tokens[i] >= model->cell.layer[0].input)
            return RNN_ERR_ARG;

    /* the streams, split between the threads */
    pthread_t threads[64];
    int started = 0;
    for (int k = 0; k < trainer->threads; k++) {
        worker_slot *slot = &trainer->slot[k];
        slot->tokens = tokens;
        slot->starts = starts;
        if (k > 0 && !pthread_create(&threads[k], NULL, slot_run, slot))
            started |= 1 << k;
        else if (k > 0)
            slot_run(slot);
    }
    slot_run(&trainer->slot[0]);
    for (int k = 1; k < trainer->threads; k++)
        if (started & (1 << k))
            pthread_join(threads[k], NULL);

    /* the sums, in thread order, then one step */
    *bits = 0;
    *scored = 0;
    for (int k = 0; k < trainer->threads; k++) {
        worker_slot *slot = &trainer->slot[k];
        *bits += slot->bits;
        *scored += slot->scored;
        for (int p = 0; p < trainer->param_count; p++) {
            rnn_param *param = trainer->params[p];
            rnn_axpy(param->grad, 1, slot->grads[p], (int)param->count);
            memset(slot->grads[p], 0, param->count * sizeof(rnn_real));
        }
    }
    rnn_param **cell_params = trainer->params;
    int cell_count = trainer->param_count - 2;
    rnn_status status = rnn_optim_apply(&model->optim, cell_params,
                                        cell_count, &model->cell.updates, 0);
    rnn_status readout = rnn_optim_apply(&model->optim,
                                         trainer->params + cell_count, 2,
                                         &model->readout.updates, 0);
    if (status == RNN_ERR_NONFINITE || readout == RNN_ERR_NONFINITE)
        model->rejected++;
    return status ? status : readout;
}

/* ------------------------------------------------------------ setup */

void rnn_trainer_free(rnn_trainer *trainer)
{
    if (!trainer)
        return;
    for (int s = 0; trainer->stream && s < trainer->streams; s++)
        stream_free(&trainer->stream[s]);
    for (int k = 0; trainer->slot && k < trainer->threads; k++) {
        for (int p = 0; trainer->slot[k].grads && p < trainer->param_count;
             p++)
            free(trainer->slot[k].grads[p]);
        free(trainer->slot[k].grads);
    }
    free(trainer->stream);
    free(trainer->slot);
    free(trainer);
}

rnn_trainer *rnn_trainer_new(rnn_model *model, int streams, int threads,
                             rnn_status *status)
{
    *status = RNN_ERR_ARG;
    if (!model->has_cell || streams < 1 || streams > 4096 || threads < 1
        || threads > 64)
        return NULL;
    *status = RNN_ERR_NOMEM;
    rnn_model_flush(model);
    rnn_model_set_threaded(model, 0);

    /* the readout, with a row for every token, and the input weights */
    int size = rnn_vocab_size(model->vocab);
    const rnn_real *h = rnn_recurrent_output(&model->cell);
    if (size < 1)
        return NULL;
    if (rnn_model_predict(model, h, model->cell.hidden)
        || rnn_recurrent_grow_input(&model->cell, size, &model->weight_rng))
        return NULL;
    model->readout.has_pending = 0;
    if (threads > streams)
        threads = streams;

    rnn_trainer *trainer = calloc(1, sizeof *trainer);
    if (!trainer)
        return NULL;
    trainer->model = model;
    trainer->streams = streams;
    trainer->threads = threads;
    trainer->window = model->cell.window;
    trainer->param_count = rnn_recurrent_params(&model->cell, trainer->params,
                                                4 * RNN_MAX_LAYERS);
    trainer->params[trainer->param_count++] = &model->readout.weight;
    trainer->params[trainer->param_count++] = &model->readout.bias;
    trainer->stream = calloc((size_t)streams, sizeof(stream));
    trainer->slot = calloc((size_t)threads, sizeof(worker_slot));
    if (!trainer->stream || !trainer->slot) {
        rnn_trainer_free(trainer);
        return NULL;
    }

    /* each thread's gradient buffers and streams */
    for (int k = 0; k < threads; k++) {
        worker_slot *slot = &trainer->slot[k];
        slot->trainer = trainer;
        slot->first = (int)((long)streams * k / threads);
        slot->last = (int)((long)streams * (k + 1) / threads);
        slot->grads = calloc((size_t)trainer->param_count, sizeof(rnn_real *));
        if (!slot->grads) {
            rnn_trainer_free(trainer);
            return NULL;
        }
        for (int p = 0; p < trainer->param_count; p++) {
            slot->grads[p] = calloc(trainer->params[p]->count + 1,
                                    sizeof(rnn_real));
            if (!slot->grads[p]) {
                rnn_trainer_free(trainer);
                return NULL;
            }
        }
    }
    for (int s = 0; s < streams; s++) {
        if (stream_init(&trainer->stream[s], model)) {
            rnn_trainer_free(trainer);
            return NULL;
        }
        int k = 0;
        while (s >= trainer->slot[k].last)
            k++;
        stream_use_grads(&trainer->stream[s], trainer->slot[k].grads);
    }
    *status = RNN_OK;
    return trainer;
}
