/* The model: a vocabulary, a cell and a readout trained together on one
 * stream, with the settings a user changes while it learns. */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"


const char *rnn_strerror(rnn_status status)
{
    switch (status) {
    case RNN_OK: return "no error";
    case RNN_ERR_NOMEM: return "out of memory";
    case RNN_ERR_ARG: return "argument out of range";
    case RNN_ERR_SIZE: return "wrong vector length";
    case RNN_ERR_NONFINITE: return "NaN or infinity";
    case RNN_ERR_FULL: return "vocabulary full";
    case RNN_ERR_STATE: return "not possible now";
    }
    return "unknown error";
}

rnn_model *rnn_model_new(uint64_t seed)
{
    rnn_model *model = calloc(1, sizeof *model);
    if (!model)
        return NULL;
    model->vocab = rnn_vocab_new(RNN_DEFAULT_CAPACITY);
    if (!model->vocab) {
        free(model);
        return NULL;
    }
    model->optim.kind = RNN_DEFAULT_OPTIM;
    model->optim.lr = RNN_DEFAULT_LR;
    model->optim.clip = RNN_DEFAULT_CLIP;
    model->optim.beta1 = 0.9;
    model->optim.beta2 = 0.999;
    model->optim.epsilon = 1e-8;
    model->learn = 1;
    model->window = RNN_DEFAULT_WINDOW;
    model->every = RNN_DEFAULT_EVERY;
    rnn_rng_seed(&model->weight_rng, seed);
    rnn_rng_seed(&model->sample_rng, seed ^ 0x5a5a5a5aULL);
    return model;
}

void rnn_model_free(rnn_model *model)
{
    if (!model)
        return;
    if (model->worker)
        rnn_worker_free(model->worker, &model->cell);
    if (model->has_cell)
        rnn_recurrent_free(&model->cell);
    if (model->has_readout)
        rnn_readout_free(&model->readout);
    rnn_vocab_free(model->vocab);
    free(model);
}

rnn_vocab *rnn_model_vocab(rnn_model *model)
{
    return model->vocab;
}

static rnn_status apply_reserve(rnn_model *model);

static int effective_every(const rnn_model *model)
{
    return model->every > 0 && model->every < model->window ? model->every
                                                            : model->window;
}

/* ------------------------------------------------------------ the cell */

rnn_status rnn_model_set_cell(rnn_model *model, rnn_cell_type type,
                              int hidden, int layers)
{
    if (hidden < 1 || hidden > RNN_MAX_HIDDEN || layers < 1
        || layers > RNN_MAX_LAYERS
        || (type != RNN_CELL_ELMAN && type != RNN_CELL_GRU
            && type != RNN_CELL_LSTM))
        return RNN_ERR_ARG;
    if (model->has_cell)
        return hidden == model->cell.hidden && type == model->cell.type
                       && layers == model->cell.layers
                   ? RNN_OK
                   : RNN_ERR_STATE;
    if (model->has_readout && model->readout.hidden != hidden)
        return RNN_ERR_STATE;
    rnn_status status = rnn_recurrent_init(&model->cell, type, hidden, layers,
                                           model->window, &model->weight_rng);
    if (status == RNN_OK && model->reserved)
        status = apply_reserve(model);
    if (status == RNN_OK && model->threaded) {
        model->worker = rnn_worker_new(&model->cell);
        if (!model->worker)
            model->threaded = 0;
    }
    if (status)
        return status;
    model->cell.every = effective_every(model);
    model->has_cell = 1;
    return RNN_OK;
}

int rnn_model_hidden(const rnn_model *model)
{
    return model->has_cell ? model->cell.hidden : 0;
}

int rnn_model_input_size(const rnn_model *model)
{
    return model->has_cell ? model->cell.layer[0].input : 0;
}

rnn_cell_type rnn_model_cell_type(const rnn_model *model)
{
    return model->has_cell ? model->cell.type : RNN_CELL_ELMAN;
}

int rnn_model_layers(const rnn_model *model)
{
    return model->has_cell ? model->cell.layers : 0;
}

const char *rnn_cell_type_name(rnn_cell_type type)
{
    return type == RNN_CELL_LSTM ? "lstm"
           : type == RNN_CELL_GRU ? "gru" : "elman";
}

/* The names of the blocks a step keeps, in recurrent.c's order. */
int rnn_model_activation_code(const rnn_model *model, const char *name)
{
    static const char *const elman[] = {"hidden"};
    static const char *const gru[] = {"reset", "update", "new", "", "hidden"};
    static const char *const lstm[] = {"input", "forget", "cell", "output",
                                       "state", "", "hidden"};
    if (!model->has_cell || !*name)
        return -1;
    const char *const *names = model->cell.type == RNN_CELL_LSTM ? lstm
                               : model->cell.type == RNN_CELL_GRU ? gru
                                                                  : elman;
    for (int i = 0; i < model->cell.width; i++)
        if (!strcmp(names[i], name))
            return i;
    return -1;
}

const rnn_real *rnn_model_activation(const rnn_model *model, int layer,
                                     int code)
{
    if (!model->has_cell)
        return NULL;
    return rnn_recurrent_activation(&model->cell, layer, code);
}

/* The input weights follow the vocabulary when it has grown.  Growing
 * within the memory already there runs beside a worker; growing beyond it
 * waits for the worker first. */
static rnn_status fit_input(rnn_model *model, int n)
{
    int input = model->cell.layer[0].input;
    if (n == input)
        return RNN_OK;
    if (n < input || n > RNN_MAX_INPUT)
        return RNN_ERR_SIZE;
    if (input > 0 && n != rnn_vocab_size(model->vocab))
        return RNN_ERR_SIZE;
    size_t needed = (size_t)n * model->cell.gates * model->cell.hidden;
    if (!rnn_param_fits(&model->cell.layer[0].w_in, needed))
        rnn_model_wait(model);
    return rnn_recurrent_grow_input(&model->cell, n, &model->weight_rng);
}

/* The index of a one-hot vector, or -1. */
static int one_hot_index(const rnn_real *x, int n)
{
    int index = -1;
    for (int i = 0; i < n; i++) {
        if (x[i] == 0)
            continue;
        if (x[i] != 1 || index >= 0)
            return -1;
        index = i;
    }
    return index;
}

rnn_status rnn_model_step(rnn_model *model, const rnn_real *x, int n,
                          const rnn_real **hidden)
{
    if (!model->has_cell)
        return RNN_ERR_STATE;
    rnn_model_poll(model);
    if (n < 1)
        return RNN_ERR_SIZE;
    if (!rnn_all_finite(x, n))
        return RNN_ERR_NONFINITE;
    rnn_status status = fit_input(model, n);
    if (status)
        return status;
    int index = one_hot_index(x, n);
    status = rnn_recurrent_step(&model->cell, index, x, n);
    if (status)
        return status;
    *hidden = rnn_recurrent_output(&model->cell);
    return RNN_OK;
}

rnn_status rnn_model_step_index(rnn_model *model, int index,
                                const rnn_real **hidden)
{
    if (!model->has_cell)
        return RNN_ERR_STATE;
    rnn_model_poll(model);
    if (index < 0)
        return RNN_ERR_ARG;
    if (index >= model->cell.layer[0].input) {
        int size = rnn_vocab_size(model->vocab);
        if (index >= size)
            return RNN_ERR_ARG;
        rnn_status status = fit_input(model, size);
        if (status)
            return status;
    }
    rnn_status status = rnn_recurrent_step(&model->cell, index, NULL, 0);
    if (status)
        return status;
    *hidden = rnn_recurrent_output(&model->cell);
    return RNN_OK;
}

static rnn_status update_cell(rnn_model *model)
{
    rnn_recurrent *cell = &model->cell;
    rnn_param *params[4 * RNN_MAX_LAYERS];
    int count = rnn_recurrent_params(cell, params, 4 * RNN_MAX_LAYERS);
    rnn_status status =
        rnn_optim_apply(&model->optim, params, count, &cell->updates, 0);
    if (status == RNN_ERR_NONFINITE)
        model->rejected++;
    return status;
}

static rnn_status train_cell(rnn_model *model);

/* The due window goes to the worker, or is skipped while it is busy; its
 * errors are then spent either way. */
static rnn_status hand_to_worker(rnn_model *model)
{
    rnn_status status =
        rnn_worker_submit(model->worker, &model->cell, &model->optim);
    if (status == RNN_ERR_STATE)
        model->skipped++;
    else if (status)
        return train_cell(model);
    model->cell.untrained = 0;
    model->cell.graded = 0;
    return RNN_OK;
}

static rnn_status train_cell(rnn_model *model)
{
    rnn_recurrent_backward(&model->cell);
    return update_cell(model);
}

rnn_status rnn_model_cell_gradient(rnn_model *model, const rnn_real *grad,
                                   int n, int *trained)
{
    *trained = 0;
    if (!model->has_cell)
        return RNN_ERR_STATE;
    if (n != model->cell.hidden)
        return RNN_ERR_SIZE;
    if (!rnn_all_finite(grad, n))
        return RNN_ERR_NONFINITE;
    if (model->cell.count == 0)
        return RNN_ERR_STATE;
    if (!model->learn)
        return RNN_OK;
    rnn_model_poll(model);
    rnn_recurrent_add_error(&model->cell, grad);
    if (model->cell.untrained < model->cell.every)
        return RNN_OK;
    *trained = 1;
    if (model->worker)
        return hand_to_worker(model);
    return train_cell(model);
}

/* ------------------------------------------------------------ the readout */

static rnn_status ensure_readout(rnn_model *model, int hidden)
{
    if (model->has_readout)
        return hidden == model->readout.hidden ? RNN_OK : RNN_ERR_SIZE;
    if (model->has_cell && hidden != model->cell.hidden)
        return RNN_ERR_SIZE;
    if (hidden < 1 || hidden > RNN_MAX_HIDDEN)
        return RNN_ERR_SIZE;
    rnn_status status =
        rnn_readout_init(&model->readout, hidden, &model->weight_rng);
    if (status == RNN_OK)
        model->has_readout = 1;
    if (status == RNN_OK && model->reserved)
        status = apply_reserve(model);
    return status;
}

rnn_status rnn_model_predict(rnn_model *model, const rnn_real *hidden, int n)
{
    rnn_status status = ensure_readout(model, n);
    if (status)
        return status;
    if (!rnn_all_finite(hidden, n))
        return RNN_ERR_NONFINITE;
    rnn_readout *readout = &model->readout;
    status = rnn_readout_grow(readout, rnn_vocab_size(model->vocab),
                              &model->weight_rng);
    if (status)
        return status;
    memcpy(readout->pending, hidden, (size_t)n * sizeof *hidden);
    readout->has_pending = 1;
    rnn_readout_forward(readout);
    return RNN_OK;
}

int rnn_model_has_readout(const rnn_model *model)
{
    return model->has_readout;
}

int rnn_model_readout_width(const rnn_model *model)
{
    if (model->has_readout)
        return model->readout.hidden;
    return rnn_model_hidden(model);
}

const rnn_real *rnn_model_probabilities(const rnn_model *model, int *n)
{
    if (!model->has_readout || !model->readout.has_pending
        || model->readout.scored_rows == 0) {
        *n = 0;
        return NULL;
    }
    *n = model->readout.scored_rows;
    return model->readout.probs;
}

int rnn_model_choose(rnn_model *model)
{
    const rnn_readout *readout = &model->readout;
    if (!model->has_readout || !readout->has_pending)
        return -1;
    return rnn_sample(readout->logits, readout->scored_rows,
                      model->temperature, model->top_k, &model->sample_rng,
                      readout->scratch);
}

static void remember_score(rnn_model *model, double bits, int hit)
{
    int next = model->recent_next;
    if (model->recent_count == RNN_SCORE_HISTORY) {
        model->loss_sum -= model->recent_loss[next];
        model->hit_sum -= model->recent_hit[next];
    } else {
        model->recent_count++;
    }
    model->recent_loss[next] = (float)bits;
    model->recent_hit[next] = (unsigned char)hit;
    model->loss_sum += (float)bits;
    model->hit_sum += hit;
    model->recent_next = (next + 1) % RNN_SCORE_HISTORY;
}

static rnn_status update_readout(rnn_model *model)
{
    rnn_readout *readout = &model->readout;
    rnn_param *params[] = {&readout->weight, &readout->bias};
    readout->since_update = 0;
    rnn_status status =
        rnn_optim_apply(&model->optim, params, 2, &readout->updates, 0);
    if (status == RNN_ERR_NONFINITE)
        model->rejected++;
    return status;
}

rnn_status rnn_model_score(rnn_model *model, int target,
                           const rnn_real **grad, int *scored,
                           rnn_score *score)
{
    *grad = NULL;
    *scored = 0;
    int size = rnn_vocab_size(model->vocab);
    if (target < 0 || target >= size)
        return RNN_ERR_ARG;
    rnn_readout *readout = &model->readout;
    if (!model->has_readout || !readout->has_pending)
        return RNN_OK;

    /* a hit: the prediction, made before the target may have been new,
     * was the target */
    int hit = target < readout->scored_rows
              && rnn_argmax(readout->probs, readout->scored_rows) == target;

    /* a vocabulary grown since the prediction: score the grown softmax */
    if (readout->scored_rows < size) {
        rnn_status status =
            rnn_readout_grow(readout, size, &model->weight_rng);
        if (status)
            return status;
        rnn_readout_forward(readout);
    }

    /* the loss, and the gradient when learning */
    double nats;
    if (model->learn) {
        nats = rnn_readout_backward(readout, target);

        /* a prediction restored from a file, or made from h(t) of
         * another source, has no step of this cell to send back to */
        if (!model->has_cell || model->cell.count > 0)
            *grad = readout->grad_hidden;
    } else {
        double p = readout->probs[target];
        nats = -log(p > 1e-30 ? p : 1e-30);
    }
    readout->has_pending = 0;
    *scored = 1;
    remember_score(model, nats / RNN_LN2, hit);
    score->loss = nats / RNN_LN2;
    score->mean_loss = model->loss_sum / model->recent_count;
    score->accuracy = (double)model->hit_sum / model->recent_count;
    score->correct = hit;
    score->size = size;

    if (model->learn && ++readout->since_update >= effective_every(model))
        return update_readout(model);
    return RNN_OK;
}

/* ------------------------------------------------------------ memory */

static rnn_status apply_reserve(rnn_model *model)
{
    size_t tokens = (size_t)model->reserved;
    rnn_status status = RNN_OK;
    if (tokens == 0)
        return RNN_OK;
    if (model->has_cell) {
        rnn_model_wait(model);
        size_t gh = (size_t)model->cell.gates * model->cell.hidden;
        status = rnn_param_reserve(&model->cell.layer[0].w_in, tokens * gh);
    }
    if (status == RNN_OK && model->has_readout) {
        rnn_readout *readout = &model->readout;
        status = rnn_param_reserve(&readout->weight,
                                   tokens * (size_t)readout->hidden);
        if (status == RNN_OK)
            status = rnn_param_reserve(&readout->bias, tokens);
        if (status == RNN_OK)
            status = rnn_readout_reserve(readout, (int)tokens);
    }
    return status;
}

int rnn_model_reserved(const rnn_model *model)
{
    return model->reserved;
}

rnn_status rnn_model_reserve(rnn_model *model, int tokens)
{
    if (tokens < 1 || tokens > RNN_MAX_VOCAB)
        return RNN_ERR_ARG;
    if (tokens > rnn_vocab_capacity(model->vocab)) {
        rnn_status status = rnn_vocab_set_capacity(model->vocab, tokens);
        if (status)
            return status;
    }
    model->reserved = tokens;
    return apply_reserve(model);
}

/* ------------------------------------------------------------ threads */

rnn_status rnn_model_set_threaded(rnn_model *model, int threaded)
{
    threaded = threaded != 0;
    if (threaded == model->threaded)
        return RNN_OK;
    if (!threaded) {
        if (model->worker)
            rnn_worker_free(model->worker, &model->cell);
        model->worker = NULL;
        model->threaded = 0;
        return RNN_OK;
    }
    if (model->has_cell) {
        model->worker = rnn_worker_new(&model->cell);
        if (!model->worker)
            return RNN_ERR_NOMEM;
    }
    model->threaded = 1;
    return RNN_OK;
}

int rnn_model_threaded(const rnn_model *model)
{
    return model->threaded;
}

long rnn_model_skipped(const rnn_model *model)
{
    return model->skipped;
}

int rnn_model_poll(rnn_model *model)
{
    if (!model->worker)
        return 0;
    return rnn_worker_poll(model->worker, &model->cell, &model->rejected);
}

void rnn_model_wait(rnn_model *model)
{
    if (model->worker)
        rnn_worker_wait(model->worker, &model->cell, &model->rejected);
}

/* ------------------------------------------------------------ settings */

/* Train on what was gathered since the last update, so that nothing
 * learned is lost when a sequence ends or learning stops. */
void rnn_model_flush(rnn_model *model)
{
    rnn_model_wait(model);
    if (!model->learn)
        return;
    if (model->has_cell && model->cell.graded > 0)
        train_cell(model);
    if (model->has_readout && model->readout.since_update > 0)
        update_readout(model);
}

void rnn_model_set_learn(rnn_model *model, int learn)
{
    if (!learn)
        rnn_model_flush(model);
    model->learn = learn != 0;
}

int rnn_model_learning(const rnn_model *model)
{
    return model->learn;
}

rnn_status rnn_model_set_lr(rnn_model *model, double lr)
{
    if (!(lr >= 0 && lr <= 10))
        return RNN_ERR_ARG;
    model->optim.lr = lr;
    return RNN_OK;
}

rnn_status rnn_model_set_clip(rnn_model *model, double clip)
{
    if (!(clip >= 0 && clip <= 1e6))
        return RNN_ERR_ARG;
    model->optim.clip = clip;
    return RNN_OK;
}

rnn_status rnn_model_set_window(rnn_model *model, int window)
{
    if (window < 1 || window > RNN_MAX_WINDOW)
        return RNN_ERR_ARG;
    rnn_model_wait(model);
    if (model->has_cell) {
        rnn_model_flush(model);
        rnn_status status = rnn_recurrent_set_window(&model->cell, window);
        if (status)
            return status;
    }
    model->window = window;
    if (model->has_cell)
        model->cell.every = effective_every(model);
    return RNN_OK;
}

rnn_status rnn_model_set_every(rnn_model *model, int every)
{
    if (every < 0 || every > RNN_MAX_WINDOW)
        return RNN_ERR_ARG;
    model->every = every;
    if (model->has_cell)
        model->cell.every = effective_every(model);
    return RNN_OK;
}

const char *rnn_optim_name(rnn_optim_kind kind)
{
    return kind == RNN_OPTIM_ADAM ? "adam"
           : kind == RNN_OPTIM_ADAGRAD ? "adagrad" : "sgd";
}

/* Another optimizer starts from fresh moments: one's velocity or sum of
 * squares means nothing to another, and would throw its first steps far. */
rnn_status rnn_model_set_optim(rnn_model *model, rnn_optim_kind kind)
{
    if (kind != RNN_OPTIM_SGD && kind != RNN_OPTIM_ADAM
        && kind != RNN_OPTIM_ADAGRAD)
        return RNN_ERR_ARG;
    if (kind == model->optim.kind)
        return RNN_OK;
    rnn_model_flush(model);
    rnn_param *params[4 * RNN_MAX_LAYERS + 2];
    int count = 0;
    if (model->has_cell) {
        count = rnn_recurrent_params(&model->cell, params,
                                     4 * RNN_MAX_LAYERS);
        model->cell.updates = 0;
    }
    if (model->has_readout) {
        params[count++] = &model->readout.weight;
        params[count++] = &model->readout.bias;
        model->readout.updates = 0;
    }
    for (int p = 0; p < count; p++) {
        size_t bytes = params[p]->count * sizeof(rnn_real);
        if (bytes == 0)
            continue; /* a readout before the first token */
        memset(params[p]->moment1, 0, bytes);
        memset(params[p]->moment2, 0, bytes);
    }
    model->optim.kind = kind;
    return RNN_OK;
}

rnn_status rnn_model_set_temperature(rnn_model *model, double temperature)
{
    if (!(temperature >= 0 && temperature <= 1e3))
        return RNN_ERR_ARG;
    model->temperature = temperature;
    return RNN_OK;
}

rnn_status rnn_model_set_top_k(rnn_model *model, int top_k)
{
    if (top_k < 0 || top_k > RNN_MAX_VOCAB)
        return RNN_ERR_ARG;
    model->top_k = top_k;
    return RNN_OK;
}

double rnn_model_lr(const rnn_model *model)
{
    return model->optim.lr;
}

int rnn_model_window(const rnn_model *model)
{
    return model->window;
}

int rnn_model_every(const rnn_model *model)
{
    return effective_every(model);
}

int rnn_model_every_setting(const rnn_model *model)
{
    return model->every;
}

double rnn_model_temperature(const rnn_model *model)
{
    return model->temperature;
}

void rnn_model_seed_weights(rnn_model *model, uint64_t seed)
{
    rnn_rng_seed(&model->weight_rng, seed);
}

void rnn_model_seed_sampling(rnn_model *model, uint64_t seed)
{
    rnn_rng_seed(&model->sample_rng, seed ^ 0x5a5a5a5aULL);
}

void rnn_model_reset(rnn_model *model)
{
    rnn_model_flush(model);
    if (model->has_cell)
        rnn_recurrent_forget(&model->cell);
    if (model->has_readout)
        model->readout.has_pending = 0;
}

void rnn_model_clear(rnn_model *model)
{
    rnn_model_wait(model);
    if (model->has_cell)
        rnn_recurrent_reinit(&model->cell, &model->weight_rng);
    if (model->has_readout)
        rnn_readout_reinit(&model->readout, &model->weight_rng);
    model->recent_count = model->recent_next = 0;
    model->loss_sum = 0;
    model->hit_sum = 0;
    model->rejected = 0;
}

void rnn_model_describe(const rnn_model *model, char *text, size_t size)
{
    double loss = model->recent_count ? model->loss_sum / model->recent_count
                                      : 0;
    double accuracy =
        model->recent_count ? (double)model->hit_sum / model->recent_count : 0;
    if (!model->has_cell) {
        snprintf(text, size,
                 "no cell yet (make one with [rnn.cell NAME HIDDEN]), "
                 "vocabulary %d; loss %.3f bits, accuracy %.3f over %d "
                 "targets",
                 rnn_vocab_size(model->vocab), loss, accuracy,
                 model->recent_count);
        return;
    }
    snprintf(text, size,
             "%s cell, %d layer%s of %d units, input %d, vocabulary %d; "
             "window %d, "
             "training every %d; %s lr %g, clip %g; learning %s; "
             "%ld cell and %ld readout updates (%d rejected); "
             "loss %.3f bits, accuracy %.3f over %d targets",
             rnn_cell_type_name(rnn_model_cell_type(model)),
             rnn_model_layers(model), rnn_model_layers(model) == 1 ? "" : "s",
             rnn_model_hidden(model), rnn_model_input_size(model),
             rnn_vocab_size(model->vocab), model->window,
             effective_every(model),
             rnn_optim_name(model->optim.kind),
             model->optim.lr, model->optim.clip, model->learn ? "on" : "off",
             model->has_cell ? model->cell.updates : 0L,
             model->has_readout ? model->readout.updates : 0L,
             model->rejected, loss, accuracy, model->recent_count);
}

/* ------------------------------------------------------------ for tests */

rnn_status rnn_model_apply_update(rnn_model *model)
{
    rnn_status status = RNN_OK;
    rnn_model_wait(model);
    if (model->has_cell)
        status = update_cell(model);
    if (model->has_readout) {
        rnn_status readout = update_readout(model);
        if (status == RNN_OK)
            status = readout;
    }
    return status;
}

static void add_tensor(rnn_tensor *tensors, int *n, int max,
                       const char *name, rnn_param *param)
{
    if (*n >= max)
        return;
    rnn_tensor *t = &tensors[(*n)++];
    snprintf(t->name, sizeof t->name, "%s", name);
    t->value = param->value;
    t->grad = param->grad;
    t->count = param->count;
}

int rnn_model_tensors(rnn_model *model, rnn_tensor *tensors, int max)
{
    static const char *const kinds[] = {"input_weights", "recurrent_weights",
                                        "input_bias", "recurrent_bias"};
    int n = 0;
    char name[64];
    for (int l = 0; model->has_cell && l < model->cell.layers; l++) {
        rnn_layer *layer = &model->cell.layer[l];
        rnn_param *params[] = {&layer->w_in, &layer->w_rec, &layer->b_in,
                               &layer->b_rec};
        for (int k = 0; k < 4; k++) {
            snprintf(name, sizeof name, "layer%d.%s", l, kinds[k]);
            add_tensor(tensors, &n, max, name, params[k]);
        }
    }
    if (model->has_readout) {
        add_tensor(tensors, &n, max, "readout.weight",
                   &model->readout.weight);
        add_tensor(tensors, &n, max, "readout.bias", &model->readout.bias);
    }
    return n;
}

rnn_status rnn_model_window_loss(rnn_model *model, const rnn_real *inputs,
                                 int input_size, const int *targets,
                                 int steps, int with_gradient, double *loss)
{
    if (!model->has_cell || steps < 1 || steps > model->window)
        return RNN_ERR_ARG;
    rnn_recurrent *cell = &model->cell;
    rnn_model_wait(model);
    int was_learning = model->learn;
    model->learn = 0;
    rnn_model_reset(model);
    *loss = 0;
    rnn_status status = RNN_OK;
    for (int t = 0; t < steps && status == RNN_OK; t++) {
        const rnn_real *hidden;
        status = rnn_model_step(model, inputs + (size_t)t * input_size,
                                input_size, &hidden);
        if (status == RNN_OK)
            status = rnn_model_predict(model, hidden, cell->hidden);
        if (status)
            break;
        rnn_readout *readout = &model->readout;
        if (targets[t] < 0 || targets[t] >= readout->rows) {
            status = RNN_ERR_ARG;
            break;
        }
        if (with_gradient) {
            *loss += rnn_readout_backward(readout, targets[t]);
            rnn_recurrent_add_error(cell, readout->grad_hidden);
        } else {
            *loss -= log(readout->probs[targets[t]]);
        }
    }
    if (status == RNN_OK && with_gradient)
        rnn_recurrent_backward(cell);
    rnn_recurrent_forget(cell);
    model->readout.has_pending = 0;
    model->learn = was_learning;
    return status;
}
