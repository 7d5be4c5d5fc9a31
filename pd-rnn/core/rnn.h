/* pd-rnn core: a recurrent network that learns the next event of a stream.
 *
 * No Pd header is used here: the core is tested, benchmarked and used from
 * the command line on its own.  Every function returns a status or a value
 * and never exits or aborts on input; every allocation is checked.  There
 * is no global state: two models in one process never touch each other.
 *
 * Numbers are rnn_real, which is float.  Only the gradient-check test build
 * defines RNN_REAL_DOUBLE, to check the calculus of this very code without
 * float rounding in the finite differences. */

#ifndef PD_RNN_CORE_H
#define PD_RNN_CORE_H

#include <stddef.h>
#include <stdint.h>

#define RNN_VERSION "0.1.0"

#ifdef RNN_REAL_DOUBLE
typedef double rnn_real;
#else
typedef float rnn_real;
#endif

/* ------------------------------------------------------------ status */

typedef enum rnn_status {
    RNN_OK = 0,
    RNN_ERR_NOMEM,     /* an allocation failed; nothing was changed */
    RNN_ERR_ARG,       /* a number is out of its range */
    RNN_ERR_SIZE,      /* a vector has the wrong length */
    RNN_ERR_NONFINITE, /* NaN or infinity in an input */
    RNN_ERR_FULL,      /* the vocabulary is at its capacity */
    RNN_ERR_STATE      /* the call makes no sense in the current state */
} rnn_status;

/* A short English phrase for a status, for error messages. */
const char *rnn_strerror(rnn_status status);

/* Limits that keep one bad argument from taking the machine down. */
#define RNN_MAX_HIDDEN 4096
#define RNN_MAX_WINDOW 4096
#define RNN_MAX_INPUT (1 << 20)
#define RNN_MAX_VOCAB (1 << 20)
#define RNN_DEFAULT_CAPACITY 65536

/* ------------------------------------------------------------ random */

/* A small seeded generator (a permuted congruential generator), so that
 * runs with the same seed give the same weights and the same samples on
 * every platform. */
typedef struct rnn_rng {
    uint64_t state;
    uint64_t inc;
} rnn_rng;

void rnn_rng_seed(rnn_rng *rng, uint64_t seed);
uint32_t rnn_rng_next(rnn_rng *rng);
/* uniform in [0, 1) */
double rnn_rng_uniform(rnn_rng *rng);

/* Index of the largest of n values (the first on ties); -1 when n < 1. */
int rnn_argmax(const rnn_real *values, int n);

/* Draw an index from softmax(logits / temperature).  A temperature of 0
 * (or below) is argmax.  top_k > 0 keeps only the k most likely.
 * scratch holds n values.  Returns -1 when n < 1. */
int rnn_sample(const rnn_real *logits, int n, double temperature, int top_k,
               rnn_rng *rng, rnn_real *scratch);

/* ------------------------------------------------------------ vectors */

/* The hot kernels, dispatched at run time to the best instruction set the
 * processor has (AVX-512, AVX2 with FMA, or a portable fallback). */
rnn_real rnn_dot(const rnn_real *a, const rnn_real *b, int n);
void rnn_axpy(rnn_real *y, rnn_real alpha, const rnn_real *x, int n);
/* out[r] += dot(matrix row r, x) for a (rows x cols) row-major matrix */
void rnn_matvec_add(rnn_real *out, const rnn_real *matrix, const rnn_real *x,
                    int rows, int cols);
/* out[c] += sum over r of matrix[r][c] v[r]: the transposed product */
void rnn_matvec_t_add(rnn_real *out, const rnn_real *matrix,
                      const rnn_real *v, int rows, int cols);
/* matrix[r][c] += a[r] b[c]: a rank-one update */
void rnn_outer_add(rnn_real *matrix, const rnn_real *a, const rnn_real *b,
                   int rows, int cols);
/* y = tanh(y) with an absolute error below RNN_TANH_ERROR */
void rnn_tanh_inplace(rnn_real *y, int n);
#define RNN_TANH_ERROR 1e-6
/* y = exp(y) with a relative error below RNN_EXP_ERROR, for y <= 88 */
void rnn_exp_inplace(rnn_real *y, int n);
#define RNN_EXP_ERROR 1e-6
/* 1 when every value is finite */
int rnn_all_finite(const rnn_real *values, int n);

/* ------------------------------------------------------------ vocabulary */

typedef enum rnn_token_type {
    RNN_TOKEN_FLOAT = 0,
    RNN_TOKEN_SYMBOL = 1
} rnn_token_type;

/* A token: a number, or a text (a symbol, or one character in -chars mode).
 * The float 60 and the symbol "60" are different tokens. */
typedef struct rnn_token {
    rnn_token_type type;
    float value;      /* RNN_TOKEN_FLOAT */
    const char *text; /* RNN_TOKEN_SYMBOL, NUL-terminated UTF-8 */
} rnn_token;

typedef struct rnn_vocab rnn_vocab;

rnn_vocab *rnn_vocab_new(int capacity);
void rnn_vocab_free(rnn_vocab *vocab);
int rnn_vocab_size(const rnn_vocab *vocab);
int rnn_vocab_capacity(const rnn_vocab *vocab);
/* At least the current size; RNN_ERR_ARG otherwise. */
rnn_status rnn_vocab_set_capacity(rnn_vocab *vocab, int capacity);
/* Index of a token, or -1 when the vocabulary does not have it. */
int rnn_vocab_find(const rnn_vocab *vocab, const rnn_token *token);
/* Index of a token, adding it when new.  RNN_ERR_FULL at capacity,
 * RNN_ERR_NONFINITE for a NaN or infinite float. */
rnn_status rnn_vocab_add(rnn_vocab *vocab, const rnn_token *token,
                         int *index);
/* The token at an index (its text is owned by the vocabulary), or NULL. */
const rnn_token *rnn_vocab_token(const rnn_vocab *vocab, int index);

/* Length in bytes of the UTF-8 character that starts text[0..len), at
 * least 1: a byte that starts no valid character stands alone, so text is
 * never lost.  0 only when len is 0. */
size_t rnn_utf8_char_length(const char *text, size_t len);

/* ------------------------------------------------------------ the model */

/* A model is a vocabulary, a recurrent cell, a softmax readout and their
 * optimizer, with the state of the stream: the hidden state, the window of
 * recent steps kept for truncated backpropagation through time, and the
 * prediction waiting for its target.  The Pd objects of one NAME share one
 * model; the command line drives it directly. */
typedef struct rnn_model rnn_model;

typedef enum rnn_cell_type {
    RNN_CELL_ELMAN = 0, /* tanh, as nn.RNN */
    RNN_CELL_GRU = 1,   /* as nn.GRU */
    RNN_CELL_LSTM = 2   /* as nn.LSTM */
} rnn_cell_type;

#define RNN_MAX_LAYERS 8

typedef enum rnn_optim_kind {
    RNN_OPTIM_SGD = 0,   /* with momentum */
    RNN_OPTIM_ADAM = 1,
    RNN_OPTIM_ADAGRAD = 2
} rnn_optim_kind;

/* What the model learned from the most recent scored targets. */
typedef struct rnn_score {
    double loss;      /* of this target, bits */
    double mean_loss; /* over the recent targets, bits per event */
    double accuracy;  /* over the recent targets, 0..1 */
    int correct;      /* this target was the most likely prediction */
    int size;         /* vocabulary size */
} rnn_score;

#define RNN_SCORE_HISTORY 1000

/* Defaults, chosen so that a model learns a repeating phrase of a dozen
 * tokens without any setting, and a text too.  Measured (tests/unit.c and
 * bench/): Adagrad at 0.03, training over 16 steps every 8, learns
 * twelve-token phrases needing six tokens of context within 100-300
 * repetitions with every cell type, one or two layers, an alternation of
 * two tokens in an 8-unit Elman cell within 300 events (Adam at 0.002:
 * 0.85 bits still), and tiny Shakespeare to 2.3-2.6 bits per character
 * after 200k characters with 128 units.  Adam at 0.005 went to 4.1 bits
 * there, and Adagrad at 0.05 unsettled a two-layer Elman cell. */
#define RNN_DEFAULT_HIDDEN 64
#define RNN_DEFAULT_WINDOW 16
#define RNN_DEFAULT_EVERY 8
#define RNN_DEFAULT_OPTIM RNN_OPTIM_ADAGRAD
#define RNN_DEFAULT_LR 0.03
#define RNN_DEFAULT_CLIP 5.0

rnn_model *rnn_model_new(uint64_t seed);
void rnn_model_free(rnn_model *model);
rnn_vocab *rnn_model_vocab(rnn_model *model);

/* Give the model its cell: `layers` layers of `hidden` units of a type.
 * Calling it again with the same shape does nothing; another shape is
 * RNN_ERR_STATE. */
rnn_status rnn_model_set_cell(rnn_model *model, rnn_cell_type type,
                              int hidden, int layers);
rnn_cell_type rnn_model_cell_type(const rnn_model *model);
int rnn_model_layers(const rnn_model *model);
const char *rnn_cell_type_name(rnn_cell_type type);
/* The activations of the newest step that a patch can draw: "hidden" (h),
 * and the gates: GRU "reset", "update", "new"; LSTM "input", "forget",
 * "cell" (g), "output", "state" (c).  Returns a code for
 * rnn_model_activation(), or -1 when the cell has no such thing. */
int rnn_model_activation_code(const rnn_model *model, const char *name);
/* hidden values, or NULL before the first step */
const rnn_real *rnn_model_activation(const rnn_model *model, int layer,
                                     int code);
int rnn_model_hidden(const rnn_model *model); /* 0 before there is a cell */
int rnn_model_input_size(const rnn_model *model);

/* One time step of the cell.  x holds n values; n must be the cell's input
 * size, or larger when the vocabulary has grown to n (the input weights
 * grow with it), or anything on the very first input.  A one-hot vector
 * takes the fast path.  *hidden points at h(t), valid until the next call
 * that changes the model. */
rnn_status rnn_model_step(rnn_model *model, const rnn_real *x, int n,
                          const rnn_real **hidden);
/* The same for the one-hot vector of a vocabulary index. */
rnn_status rnn_model_step_index(rnn_model *model, int index,
                                const rnn_real **hidden);

/* dLoss/dh for the cell's most recent output.  Trains the cell over its
 * window when a window's worth of steps has arrived; *trained says so.
 * RNN_ERR_STATE when there is no output since the last reset. */
rnn_status rnn_model_cell_gradient(rnn_model *model, const rnn_real *grad,
                                   int n, int *trained);

/* The readout: probabilities of the next token from h(t), kept pending
 * until its target arrives.  n must be the hidden size. */
rnn_status rnn_model_predict(rnn_model *model, const rnn_real *hidden, int n);
/* The size of h(t) the readout takes (the cell's hidden size), or 0. */
int rnn_model_readout_width(const rnn_model *model);
/* 1 once the model has a readout (it has predicted, or was read so) */
int rnn_model_has_readout(const rnn_model *model);
/* The pending probabilities, or NULL; *n is their count. */
const rnn_real *rnn_model_probabilities(const rnn_model *model, int *n);
/* The index chosen from the pending prediction (argmax at temperature 0,
 * sampled otherwise), or -1 when nothing is pending. */
int rnn_model_choose(rnn_model *model);

/* Score the pending prediction against a target index: the loss, the
 * running means, and (when learning) dLoss/dh in *grad (hidden values,
 * valid until the next call), else NULL.  When nothing is pending, *scored
 * is 0 and nothing happens: the first event of a sequence has no
 * prediction to score. */
rnn_status rnn_model_score(rnn_model *model, int target,
                           const rnn_real **grad, int *scored,
                           rnn_score *score);

/* Settings.  A change that would leave the model unusable is refused with
 * RNN_ERR_ARG and changes nothing. */
void rnn_model_set_learn(rnn_model *model, int learn);
int rnn_model_learning(const rnn_model *model);
rnn_status rnn_model_set_lr(rnn_model *model, double lr);
rnn_status rnn_model_set_clip(rnn_model *model, double clip);
rnn_status rnn_model_set_window(rnn_model *model, int window);
rnn_status rnn_model_set_every(rnn_model *model, int every);
rnn_status rnn_model_set_optim(rnn_model *model, rnn_optim_kind kind);
const char *rnn_optim_name(rnn_optim_kind kind);
rnn_status rnn_model_set_temperature(rnn_model *model, double temperature);
rnn_status rnn_model_set_top_k(rnn_model *model, int top_k);
double rnn_model_lr(const rnn_model *model);
int rnn_model_window(const rnn_model *model);
int rnn_model_every(const rnn_model *model); /* in effect */
/* the every that was set, whatever the window; 0: once a window */
int rnn_model_every_setting(const rnn_model *model);
double rnn_model_temperature(const rnn_model *model);
/* The seed of new weights (and of `clear`). */
void rnn_model_seed_weights(rnn_model *model, uint64_t seed);
/* The seed of sampling. */
void rnn_model_seed_sampling(rnn_model *model, uint64_t seed);

/* Memory for a vocabulary of `tokens` in the input weights and the
 * readout, now and for a cell or readout made later, so that growing the
 * vocabulary up to there allocates nothing on the event path.  The
 * vocabulary's capacity becomes at least that. */
rnn_status rnn_model_reserve(rnn_model *model, int tokens);
int rnn_model_reserved(const rnn_model *model);

/* Training on a worker thread: the forward steps stay on the calling
 * thread, the backward pass over each window and the weight update run on
 * a thread of the model's own, and the new weights are swapped in at an
 * event (a step or a gradient) or at rnn_model_poll().  A window that falls
 * due while the worker is busy is skipped and counted.  Off, everything
 * runs on the calling thread, deterministic.  RNN_ERR_NOMEM when the
 * thread cannot be had; the model then stays synchronous. */
rnn_status rnn_model_set_threaded(rnn_model *model, int threaded);
int rnn_model_threaded(const rnn_model *model);
long rnn_model_skipped(const rnn_model *model);
/* Swap finished work in; 1 while the worker is still busy. */
int rnn_model_poll(rnn_model *model);
/* Let the window in flight finish and swap it in. */
void rnn_model_wait(rnn_model *model);

/* End the sequence: the steps not yet trained on are trained on first
 * (when learning), then the hidden state, the window and the pending
 * prediction are cleared. */
void rnn_model_reset(rnn_model *model);
/* New random weights and optimizer state of the current sizes; the
 * vocabulary stays. */
void rnn_model_clear(rnn_model *model);

/* A one-paragraph summary for a Pd window or a terminal. */
void rnn_model_describe(const rnn_model *model, char *text, size_t size);

/* ------------------------------------------------------------ offline */

/* Several streams through one model at once, for training on a corpus:
 * each stream has a state of its own and shares the model's weights; a
 * window's gradients are summed over the streams and one optimizer step
 * follows.  `threads` split the streams; a run repeats exactly for a
 * given seed and thread count.  The vocabulary must hold the corpus's
 * tokens before. */
typedef struct rnn_trainer rnn_trainer;
rnn_trainer *rnn_trainer_new(rnn_model *model, int streams, int threads,
                             rnn_status *status);
void rnn_trainer_free(rnn_trainer *trainer);
/* One window of the model's length for every stream: tokens and starts
 * hold streams x window entries, stream by stream; a token of -1 is
 * skipped, starts[i] says a sequence begins at token i (the stream's
 * state is reset first).  *bits sums the loss of the *scored targets. */
rnn_status rnn_trainer_window(rnn_trainer *trainer, const int *tokens,
                              const unsigned char *starts, double *bits,
                              long *scored);

/* A corpus read into vocabulary indices, with the starts of its
 * sequences. */
typedef struct rnn_corpus {
    int *tokens;
    unsigned char *starts;
    long length;
    long unknown; /* tokens left out: new to a vocabulary not to grow */
} rnn_corpus;

typedef enum rnn_token_kind {
    RNN_TOKENS_CHARS = 0, /* UTF-8 text, one token per character */
    RNN_TOKENS_WORDS = 1, /* whitespace-separated, one sequence a line */
    RNN_TOKENS_AUDIO = 2, /* sound, mu-law classes of mono samples */
    RNN_TOKENS_MIDI = 3   /* the notes of a standard MIDI file */
} rnn_token_kind;

/* Append a file to a corpus.  With grow, new tokens join the vocabulary;
 * without, they are left out and counted.  Words that read whole as
 * numbers are float tokens, as Pd would send them.  Audio is read with
 * libsndfile in any format it knows, mixed to mono and quantised into
 * `classes` mu-law classes (float tokens 0 .. classes-1); *rate gets its
 * sample rate.  why gets the reason of a failure. */
rnn_status rnn_corpus_read(rnn_corpus *corpus, rnn_vocab *vocab,
                           const char *path, rnn_token_kind kind, int grow,
                           int classes, int *rate, char *why,
                           size_t why_size);
void rnn_corpus_free(rnn_corpus *corpus);
/* mu-law: a sample in [-1, 1] to a class, and a class back to a sample */
int rnn_mulaw_encode(double sample, int classes);
double rnn_mulaw_decode(int value, int classes);

/* MIDI (libsmf): every note-on of every track and channel, in time order,
 * the notes that start together from the lowest pitch up, one sequence a
 * file.  With grid 0 a note is the float token of its pitch, 0..127; with
 * grid 1..RNN_MIDI_MAX_GRID it is pitch * 100 + steps, steps being its
 * duration in 1/grid of a quarter note, rounded, 1..RNN_MIDI_MAX_STEPS
 * (grid 4: 6004 is a middle C one quarter note long).  rnn_corpus_read()
 * reads pitches; this reads either. */
#define RNN_MIDI_MAX_GRID 96
#define RNN_MIDI_MAX_STEPS 99
rnn_status rnn_corpus_read_midi(rnn_corpus *corpus, rnn_vocab *vocab,
                                const char *path, int grow, int grid,
                                char *why, size_t why_size);
/* The pitch and steps of a token value of that grid (steps 0 with grid
 * 0); 0 when the value is no such note. */
int rnn_midi_note(double value, int grid, int *pitch, int *steps);
/* A standard MIDI file of one track playing the notes one after another
 * at 120 beats per minute: each value's note lasts its steps, or an
 * eighth note with grid 0.  RNN_ERR_ARG when a value is no note of the
 * grid or the file cannot be written; why says which. */
rnn_status rnn_midi_write(const char *path, const float *values, long count,
                          int grid, char *why, size_t why_size);

/* ------------------------------------------------------------ files */

/* The whole model (vocabulary with each token's type, weights, optimizer
 * state, hidden state and pending prediction, settings, random generators
 * and recent scores) as the bytes of a model file.  The steps not yet
 * trained on are trained on first (when learning), so that the file holds
 * what the model knows.  *bytes is the caller's, to free(). */
rnn_status rnn_model_to_bytes(rnn_model *model, unsigned char **bytes,
                              size_t *size);
/* A new model from the bytes of a model file, or NULL with the reason in
 * why: nothing is returned unless every check passed. */
rnn_model *rnn_model_from_bytes(const unsigned char *bytes, size_t size,
                                char *why, size_t why_size);
/* The same through a file.  Saving writes a temporary file in the same
 * folder and renames it over the old one, so a failure loses nothing; a
 * symbolic link is followed to the file it names, and a folder, device
 * or pipe at the path is refused (RNN_ERR_ARG). */
rnn_status rnn_model_save(rnn_model *model, const char *path, char *why,
                          size_t why_size);
/* Whether a save to path could start, found out without writing: the
 * path is refused as rnn_model_save refuses it, or no file can be made
 * beside the file it names. */
rnn_status rnn_model_save_check(const char *path, char *why,
                                size_t why_size);
rnn_model *rnn_model_load(const char *path, char *why, size_t why_size);

/* For tests: the loss (nats, summed) of a whole sequence of one-hot or
 * dense inputs with their targets, from the current weights and a zero
 * state, and optionally the gradient of every parameter accumulated into
 * the model's gradient buffers as one window of truncated BPTT does.
 * Exposes the parameter tensors so that a test can perturb them. */
typedef struct rnn_tensor {
    /* "layerL.input_weights" (input x G*H, PyTorch's weight_ih_lL
     * transposed), "layerL.recurrent_weights" (weight_hh_lL),
     * "layerL.input_bias" (bias_ih_lL), "layerL.recurrent_bias"
     * (bias_hh_lL), "readout.weight" (V x H, nn.Linear's weight),
     * "readout.bias" */
    char name[64];
    rnn_real *value;
    rnn_real *grad;
    size_t count;
} rnn_tensor;
int rnn_model_tensors(rnn_model *model, rnn_tensor *tensors, int max);
rnn_status rnn_model_window_loss(rnn_model *model, const rnn_real *inputs,
                                 int input_size, const int *targets,
                                 int steps, int with_gradient, double *loss);
/* One step of the model's optimizer on the gradients in the buffers (the
 * cell's tensors as one group, the readout's as another), as training
 * does after a window; the gradients are zeroed. */
#define RNN_HAVE_APPLY_UPDATE 1
rnn_status rnn_model_apply_update(rnn_model *model);

#endif /* PD_RNN_CORE_H */
