/* What the core's files share and no user of the core sees. */

#ifndef PD_RNN_INTERNAL_H
#define PD_RNN_INTERNAL_H

#include "rnn.h"

#define RNN_LN2 0.69314718055994530942

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
    rnn_real *moment2; /* Adam's uncentred variance */
    size_t count;
    size_t allocated;
} rnn_param;

/* Grow to count values, zeroing the new gradient and moments and filling
 * the new values uniformly in [-scale, scale].  All or nothing. */
rnn_status rnn_param_grow(rnn_param *param, size_t count, double scale,
                          rnn_rng *rng);
void rnn_param_free(rnn_param *param);
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
 * epsilon, the gradient multiplied by grad_scale (clipping) first. */
typedef struct rnn_adam_step {
    rnn_real beta1, beta2, rate, epsilon, grad_scale;
} rnn_adam_step;
void rnn_adam_update(rnn_real *value, const rnn_real *grad, rnn_real *mean,
                     rnn_real *var, size_t n, const rnn_adam_step *step);
/* One Adagrad step: sum accumulates the squared (scaled) gradients. */
void rnn_adagrad_update(rnn_real *value, const rnn_real *grad, rnn_real *sum,
                        size_t n, rnn_real rate, rnn_real epsilon,
                        rnn_real scale);
rnn_real rnn_sum_squares(const rnn_real *values, size_t n);

/* Clip the gradients of a group of tensors to the norm bound, apply one
 * step, and zero the gradients.  *step counts the group's updates (Adam's
 * bias correction).  A gradient that is not finite is dropped whole and
 * RNN_ERR_NONFINITE returned: the weights stay as they were. */
rnn_status rnn_optim_apply(const rnn_optim *optim, rnn_param **params,
                           int count, long *step);

/* The Elman cell: h(t) = tanh(W_in x(t) + W_rec h(t-1) + bias). */
typedef struct rnn_elman {
    int hidden;
    int input;          /* input size; grows with the vocabulary */
    rnn_param w_in;     /* (input x hidden): input i's column at i*hidden */
    rnn_param w_rec;    /* (hidden x hidden) row-major: row i feeds unit i */
    rnn_param bias;     /* (hidden) */

    /* the stream */
    rnn_real *state;    /* (hidden) h(t), the current hidden state */

    /* the window kept for truncated BPTT, a ring of the last steps */
    int window;         /* K, steps kept */
    int every;          /* train after this many new steps */
    int count;          /* steps in the ring, <= window */
    int first;          /* ring slot of the oldest step */
    int untrained;      /* newest steps whose errors were not trained on */
    int graded;         /* steps with a gradient since the last training */
    rnn_real *start;    /* (hidden) h before the oldest step */
    rnn_real *outputs;  /* (window x hidden) h of each step */
    rnn_real *errors;   /* (window x hidden) dLoss/dh of each step */
    int *input_index;   /* (window) the one-hot index, or -1 if dense */
    rnn_real **dense;   /* (window) a dense input, dense_size[s] values */
    int *dense_size;
    int *dense_allocated;

    /* scratch for the backward pass */
    rnn_real *grad_next; /* (hidden) dLoss/dh(t-1) from later steps */
    rnn_real *grad_pre;  /* (hidden) dLoss/d(pre-activation) */
    long updates;
} rnn_elman;

rnn_status rnn_elman_init(rnn_elman *cell, int hidden, int window,
                          rnn_rng *rng);
void rnn_elman_free(rnn_elman *cell);
void rnn_elman_reinit(rnn_elman *cell, rnn_rng *rng);
rnn_status rnn_elman_grow_input(rnn_elman *cell, int input, rnn_rng *rng);
rnn_status rnn_elman_set_window(rnn_elman *cell, int window);
/* x is dense when index < 0 */
rnn_status rnn_elman_step(rnn_elman *cell, int index, const rnn_real *x,
                          int n);
void rnn_elman_add_error(rnn_elman *cell, const rnn_real *grad);
/* backward over the ring into the gradient buffers (no update) */
void rnn_elman_backward(rnn_elman *cell);
void rnn_elman_forget(rnn_elman *cell);

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
/* logits and probabilities of the pending hidden state */
void rnn_readout_forward(rnn_readout *readout);
/* loss (nats) of a target; accumulates the gradients and grad_hidden */
double rnn_readout_backward(rnn_readout *readout, int target);

/* The model's parts, for the files of the core that save and load it. */
struct rnn_model {
    rnn_vocab *vocab;
    int has_cell;
    rnn_elman cell;
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

    /* the most recent scored targets, for the running means */
    float recent_loss[RNN_SCORE_HISTORY];     /* bits */
    unsigned char recent_hit[RNN_SCORE_HISTORY];
    int recent_count;
    int recent_next;
    double loss_sum;
    int hit_sum;
};

/* Train on what was gathered since the last update (when learning). */
void rnn_model_flush(rnn_model *model);

#endif /* PD_RNN_INTERNAL_H */
