/* What the core's files share and no user of the core sees. */

#ifndef PD_RNN_INTERNAL_H
#define PD_RNN_INTERNAL_H

#include "rnn.h"

#define RNN_LN2 0.69314718055994530942

/* A hot function compiled several times for different instruction sets,
 * the best of which is picked when the library loads. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(RNN_NO_CLONES) \
    && !defined(__clang__)
#define RNN_HOT                                                   \
    __attribute__((target_clones("arch=x86-64-v4",           \
                                 "arch=x86-64-v3", "default")))
#else
#define RNN_HOT
#endif

#ifdef RNN_REAL_DOUBLE
#define RNN_SQRT sqrt
#else
#define RNN_SQRT sqrtf
#endif

/* A tensor of parameters with its gradient and optimizer moments, all of
 * `count` values; it grows at its end only (new input columns, new
 * vocabulary rows), so growing never moves what was learned. */
typedef struct rnn_param {
    rnn_real *value;
    rnn_real *grad;
    rnn_real *moment1; /* Adam's mean, or SGD's velocity */
    rnn_real *moment2; /* Adam's uncentred variance, Adagrad's sum */
    rnn_real *next;    /* the weights a worker thread computes, swapped in
                        * when it is done; NULL unless training on one */
    size_t count;
    size_t allocated;
} rnn_param;

/* count values of 0 (at least one), to free(); NULL when out of memory */
rnn_real *rnn_zeros(size_t count);

/* Grow to count values, zeroing the new gradient and moments and filling
 * the new values uniformly in [-scale, scale].  All or nothing. */
rnn_status rnn_param_grow(rnn_param *param, size_t count, double scale,
                          rnn_rng *rng);
void rnn_param_free(rnn_param *param);
rnn_status rnn_param_reserve(rnn_param *param, size_t count);
/* 1 when growing to count values needs no new memory */
int rnn_param_fits(const rnn_param *param, size_t count);
rnn_status rnn_param_enable_next(rnn_param *param);
void rnn_param_drop_next(rnn_param *param);
void rnn_param_swap_next(rnn_param *param);
/* Fill the values uniformly in [-scale, scale], zero grad and moments. */
void rnn_param_init(rnn_param *param, double scale, rnn_rng *rng);

typedef struct rnn_optim {
    rnn_optim_kind kind;
    double lr;
    double clip;     /* bound on the gradient's norm; 0 for none */
    double beta1;    /* Adam; SGD's momentum */
    double beta2;
    double epsilon;
} rnn_optim;

/* One Adam step over n values, the bias corrections folded into rate and
 * epsilon, the gradient multiplied by grad_scale (clipping) first, and
 * zeroed. */
typedef struct rnn_adam_step {
    rnn_real beta1, beta2, rate, epsilon, grad_scale;
} rnn_adam_step;
void rnn_adam_update(const rnn_real *value, rnn_real *out, rnn_real *grad,
                     rnn_real *mean, rnn_real *var, size_t n,
                     const rnn_adam_step *step);
/* One Adagrad step: sum accumulates the squared (scaled) gradients. */
void rnn_adagrad_update(const rnn_real *value, rnn_real *out,
                        rnn_real *grad, rnn_real *sum, size_t n,
                        rnn_real rate, rnn_real epsilon, rnn_real scale);
rnn_real rnn_sum_squares(const rnn_real *values, size_t n);

/* C (m x n, row stride ldc) += op(A) B, B (k x n, row stride ldb); op(A)
 * is the (m x k) A, or the transpose of the (k x m) A when a_transposed,
 * its rows lda apart. */
void rnn_gemm(int a_transposed, int m, int n, int k, const rnn_real *a,
              int lda, const rnn_real *b, int ldb, rnn_real *c, int ldc);

/* Clip the gradients of a group of tensors to the norm bound, apply one
 * step (into each tensor's next weights when into_next), and zero the
 * gradients.  *step counts the group's updates (Adam's
 * bias correction).  A gradient that is not finite is dropped whole and
 * RNN_ERR_NONFINITE returned: the weights stay as they were. */
rnn_status rnn_optim_apply(const rnn_optim *optim, rnn_param **params,
                           int count, long *step, int into_next);

/* One recurrent layer (see recurrent.c for the equations and layout). */
typedef struct rnn_layer {
    int input;             /* input size; the first layer's grows */
    rnn_param w_in;        /* (input x gates*hidden) weight_ih transposed */
    rnn_param w_rec;       /* (gates*hidden x hidden) weight_hh */
    rnn_param b_in;        /* (gates*hidden) bias_ih */
    rnn_param b_rec;       /* (gates*hidden) bias_hh */
    rnn_real *h;           /* (hidden) the current state */
    rnn_real *c;           /* (hidden) the LSTM's cell state */
    rnn_real *h_start;     /* (hidden) h before the window's oldest step */
    rnn_real *c_start;     /* (hidden) c before the window's oldest step */
    rnn_real *pre_in;      /* (gates*hidden) W x + b, this step */
    rnn_real *pre_rec;     /* (gates*hidden) U h' + b', this step */
    rnn_real *grad_h;      /* (hidden) dLoss/dh flowing back in time */
    rnn_real *grad_c;      /* (hidden) dLoss/dc flowing back in time */
    rnn_real *grad_pre_in;  /* (gates*hidden) dLoss/d(W x + b) */
    rnn_real *grad_pre_rec; /* (gates*hidden) dLoss/d(U h' + b') */
} rnn_layer;

/* What a step keeps of each layer for the backward pass, in blocks of H
 * values (recurrent.c names them); the layer's output h is always the
 * last block, the LSTM's cell state c block RNN_LSTM_C. */
#define RNN_LSTM_C 4
int rnn_cell_gates(rnn_cell_type type); /* blocks of H in W x, U h */
int rnn_cell_width(rnn_cell_type type); /* blocks of H a step keeps */
/* One layer's gates at one step from its pre-activations W x + b and
 * U h' + b', into the step's cache; c_prev is the LSTM's c' (else
 * unused). */
void rnn_gates_forward(rnn_cell_type type, int hidden, const rnn_real *pre_in,
                       const rnn_real *pre_rec, const rnn_real *h_prev,
                       const rnn_real *c_prev, rnn_real *cache);
/* Back through the gates of one step: the gradients of both
 * pre-activations from dLoss/dh, dc (the LSTM's dLoss/dc, updated in
 * place to dLoss/dc'), and in dh_prev the part of dLoss/dh' that does not
 * pass through U (the GRU's z h'; zeros for the others). */
void rnn_gates_backward(rnn_cell_type type, int hidden,
                        const rnn_real *cache, const rnn_real *dh,
                        const rnn_real *h_prev, const rnn_real *c_prev,
                        rnn_real *dc, rnn_real *grad_pre_in,
                        rnn_real *grad_pre_rec, rnn_real *dh_prev);

/* The stack of layers and the window of recent steps kept for truncated
 * BPTT, a ring. */
typedef struct rnn_recurrent {
    rnn_cell_type type;
    int hidden;
    int layers;
    int gates;            /* blocks of hidden in the pre-activations */
    int width;            /* blocks of hidden a step keeps of each layer */
    rnn_layer *layer;     /* (layers), the first one fed by the input */

    int window;           /* K, steps kept */
    int every;            /* train after this many new steps */
    int count;            /* steps in the ring, <= window */
    int first;            /* ring slot of the oldest step */
    int untrained;        /* newest steps whose errors were not trained on */
    int graded;           /* steps with an error since the last training */
    rnn_real *cache;      /* (window x layers x width x hidden) the gates */
    rnn_real *errors;     /* (window x hidden) dLoss/dh of the top layer */
    int *input_index;     /* (window) the one-hot index, or -1 if dense */
    rnn_real **dense;     /* (window) a dense input of dense_size values */
    int *dense_size;
    int *dense_allocated;

    rnn_real *grad_below; /* (hidden) dLoss/dx handed to the layer below */
    rnn_real *grad_total; /* (hidden) dLoss/dh of one layer at one step */
    long updates;
} rnn_recurrent;

rnn_status rnn_recurrent_init(rnn_recurrent *rec, rnn_cell_type type,
                              int hidden, int layers, int window,
                              rnn_rng *rng);
void rnn_recurrent_free(rnn_recurrent *rec);
void rnn_recurrent_reinit(rnn_recurrent *rec, rnn_rng *rng);
rnn_status rnn_recurrent_grow_input(rnn_recurrent *rec, int input,
                                    rnn_rng *rng);
rnn_status rnn_recurrent_set_window(rnn_recurrent *rec, int window);
/* x is dense (n values) when index < 0 */
rnn_status rnn_recurrent_step(rnn_recurrent *rec, int index,
                              const rnn_real *x, int n);
const rnn_real *rnn_recurrent_output(const rnn_recurrent *rec);
/* block `which` of a layer's cache at the newest step, or NULL */
const rnn_real *rnn_recurrent_activation(const rnn_recurrent *rec, int layer,
                                         int which);
void rnn_recurrent_add_error(rnn_recurrent *rec, const rnn_real *grad);
/* backward over the ring into the gradient buffers (no update) */
void rnn_recurrent_backward(rnn_recurrent *rec);
void rnn_recurrent_forget(rnn_recurrent *rec);
/* the window restarts at the current state, the steps it held dropped */
void rnn_recurrent_restart(rnn_recurrent *rec);
/* every tensor, four a layer: w_in, w_rec, b_in, b_rec */
int rnn_recurrent_params(rnn_recurrent *rec, rnn_param **params, int max);

/* The softmax readout: logits = W h + bias. */
typedef struct rnn_readout {
    int hidden;
    int rows;            /* outputs; grows with the vocabulary */
    rnn_param weight;    /* (rows x hidden) row-major */
    rnn_param bias;      /* (rows) */
    rnn_real *pending;   /* (hidden) h of the prediction awaiting a target */
    int has_pending;
    rnn_real *logits;    /* (rows) of the pending prediction */
    rnn_real *probs;     /* (rows) softmax of the logits */
    rnn_real *scratch;   /* (rows) for sampling */
    int scored_rows;     /* rows the pending logits were computed for */
    int allocated_rows;
    rnn_real *grad_hidden; /* (hidden) dLoss/dh sent back to the cell */
    int since_update;
    long updates;
} rnn_readout;

rnn_status rnn_readout_init(rnn_readout *readout, int hidden, rnn_rng *rng);
void rnn_readout_free(rnn_readout *readout);
void rnn_readout_reinit(rnn_readout *readout, rnn_rng *rng);
rnn_status rnn_readout_grow(rnn_readout *readout, int rows, rnn_rng *rng);
rnn_status rnn_readout_reserve(rnn_readout *readout, int rows);
/* logits and probabilities of the pending hidden state */
void rnn_readout_forward(rnn_readout *readout);
/* probabilities of logits (rows > 0), logits that are not finite bounded
 * first, in place */
void rnn_softmax(rnn_real *logits, rnn_real *probs, int rows);
/* loss (nats) of a target; accumulates the gradients and grad_hidden */
double rnn_readout_backward(rnn_readout *readout, int target);

/* Training on a worker thread (worker.c). */
typedef struct rnn_worker rnn_worker;
rnn_worker *rnn_worker_new(rnn_recurrent *rec);
void rnn_worker_free(rnn_worker *w, rnn_recurrent *rec);
int rnn_worker_busy(const rnn_worker *w);
/* give the due window to the worker; RNN_ERR_STATE while it is busy */
rnn_status rnn_worker_submit(rnn_worker *w, rnn_recurrent *rec,
                             const rnn_optim *optim);
/* swap finished work in; 1 while the worker is still busy */
int rnn_worker_poll(rnn_worker *w, rnn_recurrent *rec, int *rejected);
/* let the job in flight finish and swap it in */
void rnn_worker_wait(rnn_worker *w, rnn_recurrent *rec, int *rejected);

/* The model's parts, for the files of the core that save and load it. */
struct rnn_model {
    rnn_vocab *vocab;
    int has_cell;
    rnn_recurrent cell;
    int has_readout;
    rnn_readout readout;
    rnn_optim optim;
    rnn_rng weight_rng;  /* new weights, grown rows and columns */
    rnn_rng sample_rng;  /* choices at a temperature above 0 */
    int learn;
    int window;
    int every;           /* 0: the window's length */
    double temperature;
    int top_k;
    int rejected;        /* updates dropped for a gradient not finite */
    int threaded;        /* the cell trains on a worker thread */
    rnn_worker *worker;  /* that thread, once there is a cell */
    long skipped;        /* windows dropped while the worker was busy */
    int reserved;        /* tokens the weights have memory for */

    /* the most recent scored targets, for the running means */
    float recent_loss[RNN_SCORE_HISTORY];     /* bits */
    unsigned char recent_hit[RNN_SCORE_HISTORY];
    int recent_count;
    int recent_next;
    double loss_sum;
    int hit_sum;
};

/* rnn_trainer_new with its way of working chosen: minibatches (batched),
 * or each stream on its own, token by token through the cell as in Pd,
 * what the minibatches are checked against. */
rnn_trainer *rnn_trainer_kind_new(rnn_model *model, int streams,
                                  int threads, int batched,
                                  rnn_status *status);

/* Train on what was gathered since the last update (when learning). */
void rnn_model_flush(rnn_model *model);

#endif /* PD_RNN_INTERNAL_H */
