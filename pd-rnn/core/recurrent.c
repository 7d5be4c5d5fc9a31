/* The recurrent layers: Elman, GRU and LSTM cells, stacked, with the window
 * of recent steps they keep and their backward pass over it (truncated
 * backpropagation through time).
 *
 * The gate equations and the weight layout are PyTorch's (nn.RNN, nn.GRU,
 * nn.LSTM), so that weights move between the two.  With G gates of H units
 * each (Elman 1; GRU 3: reset, update, new; LSTM 4: input, forget, cell,
 * output), a layer has
 *   w_in   (input x G*H)  the transpose of weight_ih: input i's row at
 *                          i*G*H, so that a one-hot input is one row
 *   w_rec  (G*H x H)      weight_hh, row-major
 *   b_in   (G*H)          bias_ih
 *   b_rec  (G*H)          bias_hh
 * and computes, from x and the previous h (and c):
 *   Elman  h = tanh(W x + b + U h' + b')
 *   GRU    r = s(..r), z = s(..z), n = tanh(W_n x + b_n + r (U_n h' + b'_n)),
 *          h = (1 - z) n + z h'
 *   LSTM   i, f, o = s(..), g = tanh(..), c = f c' + i g, h = o tanh(c) */

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

enum { ELMAN_H, ELMAN_WIDTH };
enum { GRU_R, GRU_Z, GRU_N, GRU_HN, GRU_H, GRU_WIDTH };
enum { LSTM_I, LSTM_F, LSTM_G, LSTM_O, LSTM_TC = 5, LSTM_H, LSTM_WIDTH };

int rnn_cell_gates(rnn_cell_type type)
{
    return type == RNN_CELL_LSTM ? 4 : type == RNN_CELL_GRU ? 3 : 1;
}

int rnn_cell_width(rnn_cell_type type)
{
    return type == RNN_CELL_LSTM ? LSTM_WIDTH
           : type == RNN_CELL_GRU ? GRU_WIDTH : ELMAN_WIDTH;
}

/* PyTorch's U(-1/sqrt(H), 1/sqrt(H)), except that the first Elman layer's
 * recurrent weights start with a spectral radius near 1 (standard deviation
 * 1/sqrt(H)) so that context is carried from the start, and the first
 * layer's input rows start like an embedding, U(-1, 1), so that one token
 * moves the state clearly.  Measured on twelve-token phrases needing six
 * tokens of context: PyTorch's scale everywhere missed some positions after
 * 1000 repetitions of an Elman cell; these learn them within 100. */
static double scale_of(const rnn_recurrent *rec)
{
    return 1.0 / sqrt((double)rec->hidden);
}

static double recurrent_scale(const rnn_recurrent *rec, int layer)
{
    return rec->type == RNN_CELL_ELMAN && layer == 0
               ? sqrt(3.0 / rec->hidden)
               : scale_of(rec);
}

static double input_scale(const rnn_recurrent *rec, int layer)
{
    return layer == 0 ? 1.0 : scale_of(rec);
}

/* ------------------------------------------------------------ memory */

rnn_real *rnn_zeros(size_t count)
{
    return calloc(count ? count : 1, sizeof(rnn_real));
}

static rnn_status layer_init(rnn_recurrent *rec, int l, rnn_rng *rng)
{
    rnn_layer *layer = &rec->layer[l];
    size_t h = (size_t)rec->hidden, gh = (size_t)rec->gates * h;
    layer->h = rnn_zeros(h);
    layer->c = rnn_zeros(h);
    layer->h_start = rnn_zeros(h);
    layer->c_start = rnn_zeros(h);
    layer->pre_in = rnn_zeros(gh);
    layer->pre_rec = rnn_zeros(gh);
    layer->grad_h = rnn_zeros(h);
    layer->grad_c = rnn_zeros(h);
    layer->grad_pre_in = rnn_zeros(gh);
    layer->grad_pre_rec = rnn_zeros(gh);
    if (!layer->h || !layer->c || !layer->h_start || !layer->c_start
        || !layer->pre_in || !layer->pre_rec || !layer->grad_h
        || !layer->grad_c || !layer->grad_pre_in || !layer->grad_pre_rec)
        return RNN_ERR_NOMEM;
    if (l > 0) {
        layer->input = rec->hidden;
        if (rnn_param_grow(&layer->w_in, h * gh, input_scale(rec, l), rng))
            return RNN_ERR_NOMEM;
    }
    if (rnn_param_grow(&layer->w_rec, gh * h, recurrent_scale(rec, l), rng)
        || rnn_param_grow(&layer->b_in, gh, scale_of(rec), rng)
        || rnn_param_grow(&layer->b_rec, gh, scale_of(rec), rng))
        return RNN_ERR_NOMEM;
    return RNN_OK;
}

static void layer_free(rnn_layer *layer)
{
    rnn_param_free(&layer->w_in);
    rnn_param_free(&layer->w_rec);
    rnn_param_free(&layer->b_in);
    rnn_param_free(&layer->b_rec);
    free(layer->h);
    free(layer->c);
    free(layer->h_start);
    free(layer->c_start);
    free(layer->pre_in);
    free(layer->pre_rec);
    free(layer->grad_h);
    free(layer->grad_c);
    free(layer->grad_pre_in);
    free(layer->grad_pre_rec);
}

/* The ring of the last `window` steps: each layer's cache, the input, and
 * the error arriving for the top layer's output. */
typedef struct ring {
    rnn_real *cache;
    rnn_real *errors;
    int *input_index;
    rnn_real **dense;
    int *dense_size;
    int *dense_allocated;
} ring;

static void ring_free(ring *r, int window)
{
    for (int s = 0; s < window && r->dense; s++)
        free(r->dense[s]);
    free(r->cache);
    free(r->errors);
    free(r->input_index);
    free(r->dense);
    free(r->dense_size);
    free(r->dense_allocated);
}

static rnn_status ring_alloc(rnn_recurrent *rec, int window)
{
    ring r;
    size_t step = (size_t)rec->layers * rec->width * rec->hidden;
    r.cache = rnn_zeros((size_t)window * step);
    r.errors = rnn_zeros((size_t)window * rec->hidden);
    r.input_index = calloc((size_t)window, sizeof(int));
    r.dense = calloc((size_t)window, sizeof(rnn_real *));
    r.dense_size = calloc((size_t)window, sizeof(int));
    r.dense_allocated = calloc((size_t)window, sizeof(int));
    if (!r.cache || !r.errors || !r.input_index || !r.dense || !r.dense_size
        || !r.dense_allocated) {
        ring_free(&r, 0);
        return RNN_ERR_NOMEM;
    }
    rec->cache = r.cache;
    rec->errors = r.errors;
    rec->input_index = r.input_index;
    rec->dense = r.dense;
    rec->dense_size = r.dense_size;
    rec->dense_allocated = r.dense_allocated;
    rec->window = window;
    return RNN_OK;
}

static void ring_release(rnn_recurrent *rec)
{
    ring r = {rec->cache,      rec->errors,     rec->input_index,
              rec->dense,      rec->dense_size, rec->dense_allocated};
    ring_free(&r, rec->window);
    rec->cache = rec->errors = NULL;
    rec->input_index = rec->dense_size = rec->dense_allocated = NULL;
    rec->dense = NULL;
}

rnn_status rnn_recurrent_init(rnn_recurrent *rec, rnn_cell_type type,
                              int hidden, int layers, int window,
                              rnn_rng *rng)
{
    memset(rec, 0, sizeof *rec);
    rec->type = type;
    rec->hidden = hidden;
    rec->layers = layers;
    rec->gates = rnn_cell_gates(type);
    rec->width = rnn_cell_width(type);
    rec->every = window;
    rec->layer = calloc((size_t)layers, sizeof *rec->layer);
    rec->grad_below = rnn_zeros((size_t)hidden);
    rec->grad_total = rnn_zeros((size_t)hidden);
    rnn_status status =
        rec->layer && rec->grad_below && rec->grad_total ? RNN_OK
                                                         : RNN_ERR_NOMEM;
    for (int l = 0; l < layers && status == RNN_OK; l++)
        status = layer_init(rec, l, rng);
    if (status == RNN_OK)
        status = ring_alloc(rec, window);
    if (status)
        rnn_recurrent_free(rec);
    return status;
}

void rnn_recurrent_free(rnn_recurrent *rec)
{
    for (int l = 0; rec->layer && l < rec->layers; l++)
        layer_free(&rec->layer[l]);
    free(rec->layer);
    ring_release(rec);
    free(rec->grad_below);
    free(rec->grad_total);
    memset(rec, 0, sizeof *rec);
}

void rnn_recurrent_reinit(rnn_recurrent *rec, rnn_rng *rng)
{
    for (int l = 0; l < rec->layers; l++) {
        rnn_layer *layer = &rec->layer[l];
        rnn_param_init(&layer->w_in, input_scale(rec, l), rng);
        rnn_param_init(&layer->w_rec, recurrent_scale(rec, l), rng);
        rnn_param_init(&layer->b_in, scale_of(rec), rng);
        rnn_param_init(&layer->b_rec, scale_of(rec), rng);
    }
    rec->updates = 0;
    rnn_recurrent_forget(rec);
}

rnn_status rnn_recurrent_grow_input(rnn_recurrent *rec, int input,
                                    rnn_rng *rng)
{
    rnn_layer *first = &rec->layer[0];
    if (input <= first->input)
        return RNN_OK;
    size_t gh = (size_t)rec->gates * rec->hidden;
    rnn_status status = rnn_param_grow(&first->w_in, (size_t)input * gh,
                                       input_scale(rec, 0), rng);
    if (status == RNN_OK)
        first->input = input;
    return status;
}

int rnn_recurrent_params(rnn_recurrent *rec, rnn_param **params, int max)
{
    int n = 0;
    for (int l = 0; l < rec->layers && n + 4 <= max; l++) {
        params[n++] = &rec->layer[l].w_in;
        params[n++] = &rec->layer[l].w_rec;
        params[n++] = &rec->layer[l].b_in;
        params[n++] = &rec->layer[l].b_rec;
    }
    return n;
}

/* ------------------------------------------------------------ the ring */

void rnn_recurrent_forget(rnn_recurrent *rec)
{
    size_t bytes = (size_t)rec->hidden * sizeof(rnn_real);
    for (int l = 0; l < rec->layers; l++) {
        rnn_layer *layer = &rec->layer[l];
        memset(layer->h, 0, bytes);
        memset(layer->c, 0, bytes);
        memset(layer->h_start, 0, bytes);
        memset(layer->c_start, 0, bytes);
    }
    rec->count = rec->first = 0;
    rec->untrained = rec->graded = 0;
}

/* The window restarts at the current state; what it held is dropped. */
rnn_status rnn_recurrent_set_window(rnn_recurrent *rec, int window)
{
    if (window == rec->window)
        return RNN_OK;
    rnn_recurrent old = *rec;
    if (ring_alloc(rec, window))
        return RNN_ERR_NOMEM;
    ring_release(&old);
    if (rec->every > window)
        rec->every = window;
    rnn_recurrent_restart(rec);
    return RNN_OK;
}

void rnn_recurrent_restart(rnn_recurrent *rec)
{
    size_t bytes = (size_t)rec->hidden * sizeof(rnn_real);
    for (int l = 0; l < rec->layers; l++) {
        memcpy(rec->layer[l].h_start, rec->layer[l].h, bytes);
        memcpy(rec->layer[l].c_start, rec->layer[l].c, bytes);
    }
    rec->count = rec->first = 0;
    rec->untrained = rec->graded = 0;
}

static int ring_slot(const rnn_recurrent *rec, int step)
{
    return (rec->first + step) % rec->window;
}

/* the cache of one layer at one ring slot */
static rnn_real *cache_at(const rnn_recurrent *rec, int slot, int l)
{
    size_t per_layer = (size_t)rec->width * rec->hidden;
    return rec->cache + ((size_t)slot * rec->layers + l) * per_layer;
}

static rnn_real *block(rnn_real *cache, int which, int hidden)
{
    return cache + (size_t)which * hidden;
}

/* h and c before step s of the ring, for layer l */
static const rnn_real *h_before(const rnn_recurrent *rec, int s, int l)
{
    if (s == 0)
        return rec->layer[l].h_start;
    return block(cache_at(rec, ring_slot(rec, s - 1), l), rec->width - 1,
                 rec->hidden);
}

static const rnn_real *c_before(const rnn_recurrent *rec, int s, int l)
{
    if (s == 0)
        return rec->layer[l].c_start;
    return block(cache_at(rec, ring_slot(rec, s - 1), l), RNN_LSTM_C,
                 rec->hidden);
}

/* The slot for a new step; when the ring is full the oldest step leaves,
 * its state becoming the state the window starts from. */
static int take_slot(rnn_recurrent *rec)
{
    if (rec->count < rec->window)
        return ring_slot(rec, rec->count++);
    int slot = rec->first;
    size_t bytes = (size_t)rec->hidden * sizeof(rnn_real);
    for (int l = 0; l < rec->layers; l++) {
        rnn_real *cache = cache_at(rec, slot, l);
        memcpy(rec->layer[l].h_start, block(cache, rec->width - 1,
                                            rec->hidden), bytes);
        if (rec->type == RNN_CELL_LSTM)
            memcpy(rec->layer[l].c_start,
                   block(cache, RNN_LSTM_C, rec->hidden), bytes);
    }
    rec->first = (rec->first + 1) % rec->window;
    return slot;
}

static rnn_status keep_dense(rnn_recurrent *rec, int slot, const rnn_real *x,
                             int n)
{
    if (n > rec->dense_allocated[slot]) {
        rnn_real *grown = realloc(rec->dense[slot], (size_t)n * sizeof *x);
        if (!grown)
            return RNN_ERR_NOMEM;
        rec->dense[slot] = grown;
        rec->dense_allocated[slot] = n;
    }
    memcpy(rec->dense[slot], x, (size_t)n * sizeof *x);
    rec->dense_size[slot] = n;
    return RNN_OK;
}

/* ------------------------------------------------------------ forward */

/* s(x) = (1 + tanh(x / 2)) / 2, through the vectorised tanh */
static void sigmoid_inplace(rnn_real *y, int n)
{
    for (int i = 0; i < n; i++)
        y[i] *= (rnn_real)0.5;
    rnn_tanh_inplace(y, n);
    for (int i = 0; i < n; i++)
        y[i] = (rnn_real)0.5 * (1 + y[i]);
}

static void elman_forward(int h, const rnn_real *pin, const rnn_real *prec,
                          rnn_real *cache)
{
    rnn_real *out = block(cache, ELMAN_H, h);
    for (int i = 0; i < h; i++)
        out[i] = pin[i] + prec[i];
    rnn_tanh_inplace(out, h);
}

static void gru_forward(int h, const rnn_real *pin, const rnn_real *prec,
                        const rnn_real *h_prev, rnn_real *cache)
{
    rnn_real *r = block(cache, GRU_R, h), *z = block(cache, GRU_Z, h);
    rnn_real *n = block(cache, GRU_N, h), *hn = block(cache, GRU_HN, h);
    rnn_real *out = block(cache, GRU_H, h);
    for (int i = 0; i < 2 * h; i++)
        r[i] = pin[i] + prec[i]; /* r and z are adjacent blocks */
    sigmoid_inplace(r, 2 * h);
    for (int i = 0; i < h; i++) {
        hn[i] = prec[2 * h + i];
        n[i] = pin[2 * h + i] + r[i] * hn[i];
    }
    rnn_tanh_inplace(n, h);
    for (int i = 0; i < h; i++)
        out[i] = (1 - z[i]) * n[i] + z[i] * h_prev[i];
}

static void lstm_forward(int h, const rnn_real *pin, const rnn_real *prec,
                         const rnn_real *c_prev, rnn_real *cache)
{
    rnn_real *gi = block(cache, LSTM_I, h), *gf = block(cache, LSTM_F, h);
    rnn_real *gg = block(cache, LSTM_G, h), *go = block(cache, LSTM_O, h);
    rnn_real *c = block(cache, RNN_LSTM_C, h), *tc = block(cache, LSTM_TC, h);
    rnn_real *out = block(cache, LSTM_H, h);
    for (int i = 0; i < 4 * h; i++)
        gi[i] = pin[i] + prec[i]; /* i f g o adjacent */
    sigmoid_inplace(gi, 2 * h);
    rnn_tanh_inplace(gg, h);
    sigmoid_inplace(go, h);
    for (int i = 0; i < h; i++) {
        c[i] = gf[i] * c_prev[i] + gi[i] * gg[i];
        tc[i] = c[i];
    }
    rnn_tanh_inplace(tc, h);
    for (int i = 0; i < h; i++)
        out[i] = go[i] * tc[i];
}

RNN_HOT void rnn_gates_forward(rnn_cell_type type, int h,
                               const rnn_real *pre_in,
                               const rnn_real *pre_rec,
                               const rnn_real *h_prev,
                               const rnn_real *c_prev, rnn_real *cache)
{
    if (type == RNN_CELL_GRU)
        gru_forward(h, pre_in, pre_rec, h_prev, cache);
    else if (type == RNN_CELL_LSTM)
        lstm_forward(h, pre_in, pre_rec, c_prev, cache);
    else
        elman_forward(h, pre_in, pre_rec, cache);

    /* sums that overflowed (huge inputs or weights) would carry NaN into
     * every later step: such a value becomes 0 */
    int values = rnn_cell_width(type) * h;
    for (int i = 0; i < values; i++)
        if (!isfinite(cache[i]))
            cache[i] = 0;
}

/* One layer's step: the pre-activations from its input and its state,
 * then the gates into the slot's cache. */
static void layer_forward(rnn_recurrent *rec, int l, int index,
                          const rnn_real *x, int n, rnn_real *cache)
{
    rnn_layer *layer = &rec->layer[l];
    int h = rec->hidden, gh = rec->gates * h;
    memcpy(layer->pre_in, layer->b_in.value, (size_t)gh * sizeof(rnn_real));
    if (index >= 0)
        rnn_axpy(layer->pre_in, 1, layer->w_in.value + (size_t)index * gh,
                 gh);
    else
        rnn_matvec_t_add(layer->pre_in, layer->w_in.value, x, n, gh);
    memcpy(layer->pre_rec, layer->b_rec.value, (size_t)gh * sizeof(rnn_real));
    rnn_matvec_add(layer->pre_rec, layer->w_rec.value, layer->h, gh, h);
    rnn_gates_forward(rec->type, h, layer->pre_in, layer->pre_rec, layer->h,
                      layer->c, cache);

    size_t bytes = (size_t)h * sizeof(rnn_real);
    memcpy(layer->h, block(cache, rec->width - 1, h), bytes);
    if (rec->type == RNN_CELL_LSTM)
        memcpy(layer->c, block(cache, RNN_LSTM_C, h), bytes);
}

rnn_status rnn_recurrent_step(rnn_recurrent *rec, int index,
                              const rnn_real *x, int n)
{
    /* the dense input is kept before anything changes */
    int slot = rec->count < rec->window ? ring_slot(rec, rec->count)
                                        : rec->first;
    if (index < 0 && keep_dense(rec, slot, x, n))
        return RNN_ERR_NOMEM;
    slot = take_slot(rec);
    rec->input_index[slot] = index;
    memset(rec->errors + (size_t)slot * rec->hidden, 0,
           (size_t)rec->hidden * sizeof(rnn_real));

    /* each layer's input is the output of the one below */
    for (int l = 0; l < rec->layers; l++) {
        if (l == 0)
            layer_forward(rec, 0, index, rec->dense[slot], n,
                          cache_at(rec, slot, 0));
        else
            layer_forward(rec, l, -1, rec->layer[l - 1].h, rec->hidden,
                          cache_at(rec, slot, l));
    }
    if (rec->untrained < rec->window)
        rec->untrained++;
    return RNN_OK;
}

const rnn_real *rnn_recurrent_output(const rnn_recurrent *rec)
{
    return rec->layer[rec->layers - 1].h;
}

const rnn_real *rnn_recurrent_activation(const rnn_recurrent *rec, int l,
                                         int which)
{
    if (rec->count == 0 || l < 0 || l >= rec->layers || which < 0
        || which >= rec->width)
        return NULL;
    return block(cache_at(rec, ring_slot(rec, rec->count - 1), l), which,
                 rec->hidden);
}

void rnn_recurrent_add_error(rnn_recurrent *rec, const rnn_real *grad)
{
    int slot = ring_slot(rec, rec->count - 1);
    rnn_axpy(rec->errors + (size_t)slot * rec->hidden, 1, grad, rec->hidden);
    rec->graded++;
}

/* ------------------------------------------------------------ backward */

/* dLoss/d(pre-activations) of one layer at one step from dLoss/dh (and,
 * for the LSTM, dLoss/dc from later steps, updated to dLoss/dc'). */
static void elman_backward(int h, const rnn_real *cache, const rnn_real *dh,
                           rnn_real *din, rnn_real *drec)
{
    const rnn_real *out = cache + ELMAN_H * h;
    for (int i = 0; i < h; i++)
        din[i] = drec[i] = dh[i] * (1 - out[i] * out[i]);
}

static void gru_backward(int h, const rnn_real *cache, const rnn_real *dh,
                         const rnn_real *h_prev, rnn_real *din,
                         rnn_real *drec, rnn_real *dh_prev_direct)
{
    const rnn_real *r = cache + GRU_R * h, *z = cache + GRU_Z * h;
    const rnn_real *n = cache + GRU_N * h, *hn = cache + GRU_HN * h;
    for (int i = 0; i < h; i++) {
        rnn_real dn = dh[i] * (1 - z[i]);
        rnn_real dz = dh[i] * (h_prev[i] - n[i]);
        rnn_real dan = dn * (1 - n[i] * n[i]);
        rnn_real dr = dan * hn[i];
        din[i] = drec[i] = dr * r[i] * (1 - r[i]);
        din[h + i] = drec[h + i] = dz * z[i] * (1 - z[i]);
        din[2 * h + i] = dan;
        drec[2 * h + i] = dan * r[i];
        dh_prev_direct[i] = dh[i] * z[i];
    }
}

static void lstm_backward(int h, const rnn_real *cache, const rnn_real *dh,
                          const rnn_real *c_prev, rnn_real *dc, rnn_real *d,
                          rnn_real *drec)
{
    const rnn_real *gi = cache + LSTM_I * h, *gf = cache + LSTM_F * h;
    const rnn_real *gg = cache + LSTM_G * h, *go = cache + LSTM_O * h;
    const rnn_real *tc = cache + LSTM_TC * h;
    for (int i = 0; i < h; i++) {
        rnn_real c_total = dc[i] + dh[i] * go[i] * (1 - tc[i] * tc[i]);
        d[i] = c_total * gg[i] * gi[i] * (1 - gi[i]);
        d[h + i] = c_total * c_prev[i] * gf[i] * (1 - gf[i]);
        d[2 * h + i] = c_total * gi[i] * (1 - gg[i] * gg[i]);
        d[3 * h + i] = dh[i] * tc[i] * go[i] * (1 - go[i]);
        dc[i] = c_total * gf[i];
    }
    memcpy(drec, d, (size_t)4 * h * sizeof(rnn_real));
}

RNN_HOT void rnn_gates_backward(rnn_cell_type type, int h,
                                const rnn_real *cache, const rnn_real *dh,
                                const rnn_real *h_prev,
                                const rnn_real *c_prev, rnn_real *dc,
                                rnn_real *grad_pre_in,
                                rnn_real *grad_pre_rec, rnn_real *dh_prev)
{
    if (type == RNN_CELL_GRU) {
        gru_backward(h, cache, dh, h_prev, grad_pre_in, grad_pre_rec,
                     dh_prev);
        return;
    }
    memset(dh_prev, 0, (size_t)h * sizeof(rnn_real));
    if (type == RNN_CELL_LSTM)
        lstm_backward(h, cache, dh, c_prev, dc, grad_pre_in, grad_pre_rec);
    else
        elman_backward(h, cache, dh, grad_pre_in, grad_pre_rec);
}

/* One layer at one step: its gradients into the weights, dLoss/dh' into
 * grad_h for the step before, and dLoss/dx into grad_below for the layer
 * below. */
static void layer_backward(rnn_recurrent *rec, int s, int l,
                           const rnn_real *dh)
{
    rnn_layer *layer = &rec->layer[l];
    int h = rec->hidden, gh = rec->gates * h, slot = ring_slot(rec, s);
    const rnn_real *cache = cache_at(rec, slot, l);
    const rnn_real *h_prev = h_before(rec, s, l);

    /* through the gates; grad_h becomes what flows to step s - 1 */
    rnn_gates_backward(rec->type, h, cache, dh, h_prev, c_before(rec, s, l),
                       layer->grad_c, layer->grad_pre_in,
                       layer->grad_pre_rec, layer->grad_h);

    /* into the weights */
    rnn_axpy(layer->b_in.grad, 1, layer->grad_pre_in, gh);
    rnn_axpy(layer->b_rec.grad, 1, layer->grad_pre_rec, gh);
    rnn_outer_add(layer->w_rec.grad, layer->grad_pre_rec, h_prev, gh, h);
    if (l > 0) {
        const rnn_real *below = block(cache_at(rec, slot, l - 1),
                                      rec->width - 1, h);
        rnn_outer_add(layer->w_in.grad, below, layer->grad_pre_in, h, gh);
        memset(rec->grad_below, 0, (size_t)h * sizeof(rnn_real));
        rnn_matvec_add(rec->grad_below, layer->w_in.value,
                       layer->grad_pre_in, h, gh);
    } else if (rec->input_index[slot] >= 0) {
        rnn_axpy(layer->w_in.grad + (size_t)rec->input_index[slot] * gh, 1,
                 layer->grad_pre_in, gh);
    } else {
        rnn_outer_add(layer->w_in.grad, rec->dense[slot], layer->grad_pre_in,
                      rec->dense_size[slot], gh);
    }

    /* to the step before, through the recurrent weights */
    rnn_matvec_t_add(layer->grad_h, layer->w_rec.value, layer->grad_pre_rec,
                     gh, h);
}

/* Backpropagation through the window, newest step first, top layer first.
 * Only the errors of the steps not yet trained on enter, so overlapping
 * windows count each error once; they flow back through every step kept. */
void rnn_recurrent_backward(rnn_recurrent *rec)
{
    int h = rec->hidden, top = rec->layers - 1;
    size_t bytes = (size_t)h * sizeof(rnn_real);
    int fresh_from = rec->count - rec->untrained;
    for (int l = 0; l < rec->layers; l++) {
        memset(rec->layer[l].grad_h, 0, bytes);
        memset(rec->layer[l].grad_c, 0, bytes);
    }
    for (int s = rec->count - 1; s >= 0; s--) {
        for (int l = top; l >= 0; l--) {
            /* dLoss/dh: from the step after, and from above or the loss */
            rnn_real *dh = rec->grad_total;
            memcpy(dh, rec->layer[l].grad_h, bytes);
            if (l < top)
                rnn_axpy(dh, 1, rec->grad_below, h);
            else if (s >= fresh_from)
                rnn_axpy(dh, 1, rec->errors + (size_t)ring_slot(rec, s) * h,
                         h);
            layer_backward(rec, s, l, dh);
        }
    }
    rec->untrained = 0;
    rec->graded = 0;
}
