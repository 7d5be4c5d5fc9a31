/* Offline training: several streams through one model at once.
 *
 * Each stream reads its own part of the corpus with a state of its own,
 * exactly as one Pd chain would read it live, and shares the model's
 * weights.  A window's gradients are summed over the streams, then one
 * optimizer step updates the weights.
 *
 * The streams go through a window together, a minibatch: at each step the
 * states of all streams form one matrix, so the products with the weights
 * are matrix products (rnn_gemm), each weight loaded once for every stream
 * instead of once for each.  The backward pass runs over the window the
 * same way, newest step first.  With threads, the streams are split
 * between them, each thread summing into gradient buffers of its own; the
 * sums are added in thread order, so a run repeats exactly for a given
 * seed and thread count.
 *
 * The reference trainer (rnn_trainer_reference_new, for the tests) runs
 * each stream on its own through the cell's step and backward pass of
 * recurrent.c, one token at a time as in Pd; the minibatch computes the
 * same sums in another order. */

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

typedef struct stream {
    rnn_recurrent rec;    /* own state, ring and scratch; shared weights */
    rnn_readout readout;  /* own pending prediction and scratch */
} stream;

/* A thread's streams as one minibatch of m streams (see batch_window).
 * Matrices are row-major, a row per stream; a step's cache holds, for
 * each layer and stream, what rnn_gates_forward keeps (width blocks of
 * H). */
typedef struct batch {
    int m;
    rnn_real *h, *c;             /* (layers x m x H) the states */
    rnn_real *h_start, *c_start; /* (layers x m x H) at the window's start */
    rnn_real *cache;             /* (window x layers x m x width*H) */
    rnn_real *errors;            /* (window x m x H) dLoss/dh from above */
    rnn_real *pre_in, *pre_rec;  /* (m x G*H) pre-activations, then their
                                  * gradients */
    rnn_real *grad_h, *grad_c;   /* (layers x m x H) back in time */
    rnn_real *grad_below;        /* (m x H) dLoss/dx of a layer */
    rnn_real *dh;                /* (m x H) */
    rnn_real *h_prev;            /* (m x H) */
    rnn_real *zeros;             /* (H) the state after a sequence start */
    rnn_real *logits;            /* (m x V) */
    rnn_real *probs;             /* (m x V) the pending predictions */
    rnn_real *pending;           /* (m x H) the states they came from */
    rnn_real *grad_logits;       /* (m x V) */
    unsigned char *has_pending;  /* (m) */
} batch;

typedef struct worker_slot {
    struct rnn_trainer *trainer;
    int first, last;      /* the streams of this thread, [first, last) */
    rnn_real **grads;     /* one buffer per tensor, this thread's sums */
    batch batch;
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
    int batched;          /* 0: the reference, stream by stream */
    int rows, inputs;     /* the readout's outputs and the first layer's
                           * inputs it was made for */
    stream *stream;
    worker_slot *slot;
    rnn_param *params[4 * RNN_MAX_LAYERS + 2]; /* the model's tensors */
    int param_count;
    /* where their values and gradients were when the trainer was made:
     * the streams and the first thread hold these addresses */
    rnn_real *values[4 * RNN_MAX_LAYERS + 2];
    rnn_real *grads[4 * RNN_MAX_LAYERS + 2];
    /* transposed weights, made at the start of each window */
    rnn_real *w_rec_t[RNN_MAX_LAYERS]; /* (H x G*H) */
    rnn_real *w_in_t[RNN_MAX_LAYERS];  /* (G*H x H), layers above the
                                        * first */
    rnn_real *w_out_t;                 /* (H x V) */
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
 * (its errors flow back now, the state is forgotten), as `reset` does.
 * The window's errors flow back to its start and no further: the steps of
 * the window before are dropped first, and the error of the prediction
 * they left pending with them. */
static void stream_window(stream *st, const int *tokens,
                          const unsigned char *starts, int window,
                          double *bits, long *scored)
{
    rnn_recurrent *rec = &st->rec;
    rnn_readout *readout = &st->readout;
    rnn_recurrent_restart(rec);
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
            if (rec->count > 0)
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

static void batch_window(worker_slot *slot);

static void *slot_run(void *arg)
{
    worker_slot *slot = arg;
    rnn_trainer *trainer = slot->trainer;
    int window = trainer->window;
    slot->bits = 0;
    slot->scored = 0;
    if (trainer->batched) {
        batch_window(slot);
        return NULL;
    }
    for (int s = slot->first; s < slot->last; s++)
        stream_window(&trainer->stream[s], slot->tokens + (size_t)s * window,
                      slot->starts + (size_t)s * window, window, &slot->bits,
                      &slot->scored);
    return NULL;
}

/* ------------------------------------------------------------ minibatch */

/* out (cols x rows) = the transpose of in (rows x cols), in blocks of 16
 * by 16 so that the lines of both stay in the cache while a block moves */
static void transpose(rnn_real *out, const rnn_real *in, int rows, int cols)
{
    for (int r0 = 0; r0 < rows; r0 += 16)
        for (int q0 = 0; q0 < cols; q0 += 16) {
            int r1 = r0 + 16 < rows ? r0 + 16 : rows;
            int q1 = q0 + 16 < cols ? q0 + 16 : cols;
            for (int r = r0; r < r1; r++)
                for (int q = q0; q < q1; q++)
                    out[(size_t)q * rows + r] = in[(size_t)r * cols + q];
        }
}

/* Each row of a (rows x n) matrix set to v. */
static void fill_rows(rnn_real *matrix, const rnn_real *v, int rows, int n)
{
    for (int r = 0; r < rows; r++)
        memcpy(matrix + (size_t)r * n, v, (size_t)n * sizeof *v);
}

/* sums[q] += the sum of column q of a (rows x n) matrix */
static void add_columns(rnn_real *sums, const rnn_real *matrix, int rows,
                        int n)
{
    for (int r = 0; r < rows; r++)
        rnn_axpy(sums, 1, matrix + (size_t)r * n, n);
}

static void batch_free(batch *b)
{
    rnn_real *buffers[] = {b->h,      b->c,        b->h_start, b->c_start,
                           b->cache,  b->errors,   b->pre_in,  b->pre_rec,
                           b->grad_h, b->grad_c,   b->grad_below,
                           b->dh,     b->h_prev,   b->zeros,   b->logits,
                           b->probs,  b->pending,  b->grad_logits};
    for (size_t i = 0; i < sizeof buffers / sizeof *buffers; i++)
        free(buffers[i]);
    free(b->has_pending);
    memset(b, 0, sizeof *b);
}

static rnn_status batch_init(batch *b, const rnn_model *model, int m,
                             int window)
{
    const rnn_recurrent *cell = &model->cell;
    size_t h = (size_t)cell->hidden, gh = (size_t)cell->gates * h;
    size_t layers = (size_t)cell->layers, v = (size_t)model->readout.rows;
    size_t states = layers * m * h;
    memset(b, 0, sizeof *b);
    b->m = m;
    b->h = rnn_zeros(states);
    b->c = rnn_zeros(states);
    b->h_start = rnn_zeros(states);
    b->c_start = rnn_zeros(states);
    b->cache = rnn_zeros((size_t)window * states * cell->width);
    b->errors = rnn_zeros((size_t)window * m * h);
    b->pre_in = rnn_zeros(m * gh);
    b->pre_rec = rnn_zeros(m * gh);
    b->grad_h = rnn_zeros(states);
    b->grad_c = rnn_zeros(states);
    b->grad_below = rnn_zeros(m * h);
    b->dh = rnn_zeros(m * h);
    b->h_prev = rnn_zeros(m * h);
    b->zeros = rnn_zeros(h);
    b->logits = rnn_zeros(m * v);
    b->probs = rnn_zeros(m * v);
    b->pending = rnn_zeros(m * h);
    b->grad_logits = rnn_zeros(m * v);
    b->has_pending = calloc((size_t)m, 1);
    if (!b->h || !b->c || !b->h_start || !b->c_start || !b->cache
        || !b->errors || !b->pre_in || !b->pre_rec || !b->grad_h
        || !b->grad_c || !b->grad_below || !b->dh || !b->h_prev || !b->zeros
        || !b->logits || !b->probs || !b->pending || !b->grad_logits
        || !b->has_pending) {
        batch_free(b);
        return RNN_ERR_NOMEM;
    }
    return RNN_OK;
}

/* The targets of step t score the pending predictions: dLoss/dlogits into
 * the readout's gradients, and into the errors of step t - 1, whose
 * output made them (at t = 0 that step was trained with the window
 * before: the error is dropped, as in Pd when a window ends). */
static void batch_score(worker_slot *slot, int t)
{
    rnn_trainer *trainer = slot->trainer;
    rnn_model *model = trainer->model;
    batch *b = &slot->batch;
    int m = b->m, h = model->cell.hidden, v = trainer->rows;
    int window = trainer->window, scored = 0;
    rnn_real **grads = slot->grads;
    int out = trainer->param_count - 2;
    for (int s = 0; s < m; s++) {
        size_t at = (size_t)(slot->first + s) * window + t;
        int token = slot->tokens[at];
        rnn_real *grad = b->grad_logits + (size_t)s * v;
        if (token < 0 || slot->starts[at] || !b->has_pending[s]) {
            memset(grad, 0, (size_t)v * sizeof *grad);
            continue;
        }
        const rnn_real *probs = b->probs + (size_t)s * v;
        double p = probs[token] > 1e-30 ? probs[token] : 1e-30;
        slot->bits += -log(p) / RNN_LN2;
        slot->scored++;
        memcpy(grad, probs, (size_t)v * sizeof *grad);
        grad[token] -= 1;
        scored = 1;
    }
    if (!scored)
        return;
    add_columns(grads[out + 1], b->grad_logits, m, v);
    rnn_gemm(1, v, h, m, b->grad_logits, v, b->pending, h, grads[out], h);
    if (t > 0)
        rnn_gemm(0, m, h, v, b->grad_logits, v,
                 model->readout.weight.value, h,
                 b->errors + (size_t)(t - 1) * m * h, h);
}

/* Step t of every stream, layer by layer, then the predictions. */
static void batch_forward(worker_slot *slot, int t)
{
    rnn_trainer *trainer = slot->trainer;
    rnn_model *model = trainer->model;
    rnn_recurrent *cell = &model->cell;
    batch *b = &slot->batch;
    int m = b->m, h = cell->hidden, gh = cell->gates * h, v;
    int width = cell->width, window = trainer->window;
    size_t state = (size_t)m * h, keep = (size_t)width * h;
    const int *tokens = slot->tokens + (size_t)slot->first * window + t;
    const unsigned char *starts =
        slot->starts + (size_t)slot->first * window + t;

    /* a sequence's start forgets the state */
    for (int s = 0; s < m; s++)
        if (tokens[(size_t)s * window] >= 0 && starts[(size_t)s * window])
            for (int l = 0; l < cell->layers; l++) {
                memset(b->h + l * state + (size_t)s * h, 0,
                       (size_t)h * sizeof(rnn_real));
                memset(b->c + l * state + (size_t)s * h, 0,
                       (size_t)h * sizeof(rnn_real));
            }

    for (int l = 0; l < cell->layers; l++) {
        rnn_layer *layer = &cell->layer[l];
        rnn_real *hl = b->h + l * state, *cl = b->c + l * state;
        rnn_real *cache = b->cache
                          + ((size_t)t * cell->layers + l) * m * keep;
        fill_rows(b->pre_in, layer->b_in.value, m, gh);
        fill_rows(b->pre_rec, layer->b_rec.value, m, gh);
        if (l == 0) {
            for (int s = 0; s < m; s++) {
                int token = tokens[(size_t)s * window];
                if (token >= 0)
                    rnn_axpy(b->pre_in + (size_t)s * gh, 1,
                             layer->w_in.value + (size_t)token * gh, gh);
            }
        } else {
            rnn_gemm(0, m, gh, h, hl - state, h, layer->w_in.value, gh,
                     b->pre_in, gh);
        }
        rnn_gemm(0, m, gh, h, hl, h, trainer->w_rec_t[l], gh, b->pre_rec,
                 gh);
        for (int s = 0; s < m; s++) {
            rnn_real *kept = cache + (size_t)s * keep;
            rnn_real *hs = hl + (size_t)s * h, *cs = cl + (size_t)s * h;
            if (tokens[(size_t)s * window] >= 0)
                rnn_gates_forward(cell->type, h, b->pre_in + (size_t)s * gh,
                                  b->pre_rec + (size_t)s * gh, hs, cs, kept);
            else /* a skipped step keeps the state */
                memcpy(kept + (width - 1) * h, hs, h * sizeof *hs);
            memcpy(hs, kept + (width - 1) * h, h * sizeof *hs);
            if (cell->type == RNN_CELL_LSTM) {
                if (tokens[(size_t)s * window] < 0)
                    memcpy(kept + RNN_LSTM_C * h, cs, h * sizeof *cs);
                memcpy(cs, kept + RNN_LSTM_C * h, h * sizeof *cs);
            }
        }
    }

    /* the predictions of the next tokens */
    v = trainer->rows;
    const rnn_real *top = b->h + (size_t)(cell->layers - 1) * state;
    fill_rows(b->logits, model->readout.bias.value, m, v);
    rnn_gemm(0, m, v, h, top, h, trainer->w_out_t, v, b->logits, v);
    for (int s = 0; s < m; s++) {
        if (tokens[(size_t)s * window] < 0)
            continue;
        rnn_softmax(b->logits + (size_t)s * v, b->probs + (size_t)s * v, v);
        memcpy(b->pending + (size_t)s * h, top + (size_t)s * h,
               (size_t)h * sizeof(rnn_real));
        b->has_pending[s] = 1;
    }
}

/* Back through step t of every stream, layer l, from dLoss/dh of its
 * output (b->dh): the gradients of the weights, dLoss/dh and dc of the
 * step before (grad_h, grad_c), and dLoss/dx for the layer below. */
static void batch_layer_backward(worker_slot *slot, int t, int l)
{
    rnn_trainer *trainer = slot->trainer;
    rnn_recurrent *cell = &trainer->model->cell;
    rnn_layer *layer = &cell->layer[l];
    batch *b = &slot->batch;
    int m = b->m, h = cell->hidden, gh = cell->gates * h;
    int width = cell->width, window = trainer->window;
    size_t state = (size_t)m * h, keep = (size_t)width * h;
    size_t per_step = (size_t)cell->layers * m * keep;
    const rnn_real *cache = b->cache + (size_t)t * per_step + l * m * keep;
    rnn_real *grad_h = b->grad_h + l * state, *grad_c = b->grad_c + l * state;
    rnn_real **grads = slot->grads + 4 * l; /* w_in, w_rec, b_in, b_rec */
    const int *tokens = slot->tokens + (size_t)slot->first * window + t;
    const unsigned char *starts =
        slot->starts + (size_t)slot->first * window + t;

    /* through the gates, stream by stream */
    for (int s = 0; s < m; s++) {
        int token = tokens[(size_t)s * window];
        size_t row = (size_t)s * h;
        const rnn_real *h_prev, *c_prev = NULL;
        if (starts[(size_t)s * window] && token >= 0)
            h_prev = c_prev = b->zeros;
        else if (t == 0) {
            h_prev = b->h_start + l * state + row;
            c_prev = b->c_start + l * state + row;
        } else {
            const rnn_real *before = cache - per_step + (size_t)s * keep;
            h_prev = before + (width - 1) * h;
            if (cell->type == RNN_CELL_LSTM)
                c_prev = before + RNN_LSTM_C * h;
        }
        memcpy(b->h_prev + row, h_prev, (size_t)h * sizeof(rnn_real));
        rnn_real *din = b->pre_in + (size_t)s * gh;
        rnn_real *drec = b->pre_rec + (size_t)s * gh;
        if (token < 0) { /* a skipped step passes the gradient on */
            memset(din, 0, (size_t)gh * sizeof *din);
            memset(drec, 0, (size_t)gh * sizeof *drec);
            memcpy(grad_h + row, b->dh + row, (size_t)h * sizeof *din);
            continue;
        }
        rnn_gates_backward(cell->type, h, cache + (size_t)s * keep,
                           b->dh + row, h_prev, c_prev, grad_c + row, din,
                           drec, grad_h + row);
    }

    /* into the weights */
    add_columns(grads[2], b->pre_in, m, gh);
    add_columns(grads[3], b->pre_rec, m, gh);
    rnn_gemm(1, gh, h, m, b->pre_rec, gh, b->h_prev, h, grads[1], h);
    if (l == 0) {
        for (int s = 0; s < m; s++) {
            int token = tokens[(size_t)s * window];
            if (token >= 0)
                rnn_axpy(grads[0] + (size_t)token * gh, 1,
                         b->pre_in + (size_t)s * gh, gh);
        }
    } else {
        const rnn_real *below = cache - m * keep + (width - 1) * h;
        rnn_gemm(1, h, gh, m, below, (int)keep, b->pre_in, gh, grads[0],
                 gh);
        memset(b->grad_below, 0, state * sizeof(rnn_real));
        rnn_gemm(0, m, h, gh, b->pre_in, gh, trainer->w_in_t[l], h,
                 b->grad_below, h);
    }

    /* to the step before, through the recurrent weights; nothing before a
     * sequence's start */
    rnn_gemm(0, m, h, gh, b->pre_rec, gh, layer->w_rec.value, h, grad_h, h);
    for (int s = 0; s < m; s++)
        if (starts[(size_t)s * window] && tokens[(size_t)s * window] >= 0) {
            memset(grad_h + (size_t)s * h, 0, (size_t)h * sizeof *grad_h);
            memset(grad_c + (size_t)s * h, 0, (size_t)h * sizeof *grad_c);
        }
}

/* One window of this thread's streams: forward through every step, each
 * step's targets scoring the predictions of the step before, then back
 * through the window. */
static void batch_window(worker_slot *slot)
{
    rnn_trainer *trainer = slot->trainer;
    rnn_recurrent *cell = &trainer->model->cell;
    batch *b = &slot->batch;
    int m = b->m, h = cell->hidden, window = trainer->window;
    int top = cell->layers - 1;
    size_t state = (size_t)cell->layers * m * h;
    memcpy(b->h_start, b->h, state * sizeof(rnn_real));
    memcpy(b->c_start, b->c, state * sizeof(rnn_real));
    memset(b->errors, 0, (size_t)window * m * h * sizeof(rnn_real));
    for (int t = 0; t < window; t++) {
        batch_score(slot, t);
        batch_forward(slot, t);
    }
    memset(b->grad_h, 0, state * sizeof(rnn_real));
    memset(b->grad_c, 0, state * sizeof(rnn_real));
    for (int t = window - 1; t >= 0; t--)
        for (int l = top; l >= 0; l--) {
            size_t bytes = (size_t)m * h * sizeof(rnn_real);
            memcpy(b->dh, b->grad_h + (size_t)l * m * h, bytes);
            rnn_axpy(b->dh, 1,
                     l < top ? b->grad_below
                             : b->errors + (size_t)t * m * h,
                     m * h);
            batch_layer_backward(slot, t, l);
        }
}

/* The transposed weights the window's products read. */
static void batch_prepare(rnn_trainer *trainer)
{
    rnn_model *model = trainer->model;
    rnn_recurrent *cell = &model->cell;
    int h = cell->hidden, gh = cell->gates * h;
    for (int l = 0; l < cell->layers; l++) {
        transpose(trainer->w_rec_t[l], cell->layer[l].w_rec.value, gh, h);
        if (l > 0)
            transpose(trainer->w_in_t[l], cell->layer[l].w_in.value, h, gh);
    }
    transpose(trainer->w_out_t, model->readout.weight.value, trainer->rows,
              h);
}

rnn_status rnn_trainer_window(rnn_trainer *trainer, const int *tokens,
                              const unsigned char *starts, double *bits,
                              long *scored)
{
    rnn_model *model = trainer->model;
    int size = rnn_vocab_size(model->vocab);
    /* a model grown or reshaped since would not fit the buffers */
    if (model->readout.rows != trainer->rows
        || model->cell.layer[0].input != trainer->inputs
        || model->cell.window != trainer->window)
        return RNN_ERR_STATE;
    /* nor would one whose tensors moved since (memory reserved, weights
     * swapped in by a worker thread) */
    for (int p = 0; p < trainer->param_count; p++)
        if (trainer->params[p]->value != trainer->values[p]
            || trainer->params[p]->grad != trainer->grads[p])
            return RNN_ERR_STATE;
    for (long i = 0; i < (long)trainer->streams * trainer->window; i++)
        if (tokens[i] >= size || tokens[i] >= trainer->rows
            || tokens[i] >= trainer->inputs)
            return RNN_ERR_ARG;

    if (trainer->batched)
        batch_prepare(trainer);

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
        for (int p = 0; k > 0 && p < trainer->param_count; p++) {
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
        for (int p = 0; k > 0 && trainer->slot[k].grads
                        && p < trainer->param_count;
             p++)
            free(trainer->slot[k].grads[p]);
        free(trainer->slot[k].grads);
        batch_free(&trainer->slot[k].batch);
    }
    for (int l = 0; l < RNN_MAX_LAYERS; l++) {
        free(trainer->w_rec_t[l]);
        free(trainer->w_in_t[l]);
    }
    free(trainer->w_out_t);
    free(trainer->stream);
    free(trainer->slot);
    free(trainer);
}

/* The buffers of the minibatches: the transposed weights, and each
 * thread's. */
static rnn_status batch_alloc(rnn_trainer *trainer)
{
    rnn_model *model = trainer->model;
    rnn_recurrent *cell = &model->cell;
    size_t h = (size_t)cell->hidden, gh = (size_t)cell->gates * h;
    for (int l = 0; l < cell->layers; l++) {
        trainer->w_rec_t[l] = malloc(gh * h * sizeof(rnn_real));
        if (!trainer->w_rec_t[l])
            return RNN_ERR_NOMEM;
        if (l > 0 && !(trainer->w_in_t[l] = malloc(gh * h * sizeof(rnn_real))))
            return RNN_ERR_NOMEM;
    }
    trainer->w_out_t =
        malloc((size_t)model->readout.rows * h * sizeof(rnn_real));
    if (!trainer->w_out_t)
        return RNN_ERR_NOMEM;
    for (int k = 0; k < trainer->threads; k++) {
        worker_slot *slot = &trainer->slot[k];
        if (batch_init(&slot->batch, model, slot->last - slot->first,
                       trainer->window))
            return RNN_ERR_NOMEM;
    }
    return RNN_OK;
}

/* The reference's streams, each with its thread's gradient buffers. */
static rnn_status streams_alloc(rnn_trainer *trainer)
{
    trainer->stream = calloc((size_t)trainer->streams, sizeof(stream));
    if (!trainer->stream)
        return RNN_ERR_NOMEM;
    for (int s = 0; s < trainer->streams; s++) {
        if (stream_init(&trainer->stream[s], trainer->model))
            return RNN_ERR_NOMEM;
        int k = 0;
        while (s >= trainer->slot[k].last)
            k++;
        stream_use_grads(&trainer->stream[s], trainer->slot[k].grads);
    }
    return RNN_OK;
}

static rnn_trainer *trainer_new(rnn_model *model, int streams, int threads,
                                int batched, rnn_status *status)
{
    *status = RNN_ERR_ARG;
    if (!model->has_cell || streams < 1 || streams > 4096 || threads < 1
        || threads > 64)
        return NULL;
    int size = rnn_vocab_size(model->vocab);
    *status = RNN_ERR_STATE; /* nothing to predict yet */
    if (size < 1)
        return NULL;
    *status = RNN_ERR_NOMEM;
    rnn_model_flush(model);
    rnn_model_set_threaded(model, 0);

    /* the readout, with a row for every token, and the input weights */
    const rnn_real *h = rnn_recurrent_output(&model->cell);
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
    trainer->batched = batched;
    trainer->rows = model->readout.rows;
    trainer->inputs = model->cell.layer[0].input;
    trainer->param_count = rnn_recurrent_params(&model->cell, trainer->params,
                                                4 * RNN_MAX_LAYERS);
    trainer->params[trainer->param_count++] = &model->readout.weight;
    trainer->params[trainer->param_count++] = &model->readout.bias;
    for (int p = 0; p < trainer->param_count; p++) { /* the first thread's */
        memset(trainer->params[p]->grad, 0,
               trainer->params[p]->count * sizeof(rnn_real));
        trainer->values[p] = trainer->params[p]->value;
        trainer->grads[p] = trainer->params[p]->grad;
    }
    trainer->slot = calloc((size_t)threads, sizeof(worker_slot));
    if (!trainer->slot) {
        rnn_trainer_free(trainer);
        return NULL;
    }

    /* each thread's streams and gradient buffers */
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
            slot->grads[p] = k == 0 ? trainer->params[p]->grad
                                    : calloc(trainer->params[p]->count + 1,
                                             sizeof(rnn_real));
            if (!slot->grads[p]) {
                rnn_trainer_free(trainer);
                return NULL;
            }
        }
    }
    if (batched ? batch_alloc(trainer) : streams_alloc(trainer)) {
        rnn_trainer_free(trainer);
        return NULL;
    }
    *status = RNN_OK;
    return trainer;
}

/* Minibatches of fewer streams a thread than this are no faster than the
 * streams one by one.  GRU-128, 100k events, CPU seconds, minibatch
 * against one by one: 1 stream 3.98 / 1.61, 2: 1.83 / 1.43, 4: 1.35 /
 * 1.29, 8: 0.84 / 1.35. */
#ifndef RNN_BATCH_MIN
#define RNN_BATCH_MIN 6
#endif

rnn_trainer *rnn_trainer_new(rnn_model *model, int streams, int threads,
                             rnn_status *status)
{
    int per_thread = threads > 0 ? streams / threads : streams;
    return trainer_new(model, streams, threads, per_thread >= RNN_BATCH_MIN,
                       status);
}

rnn_trainer *rnn_trainer_kind_new(rnn_model *model, int streams,
                                  int threads, int batched,
                                  rnn_status *status)
{
    return trainer_new(model, streams, threads, batched, status);
}
