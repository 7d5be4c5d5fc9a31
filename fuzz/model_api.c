/* Fuzz target: the model's entry points as the three objects drive them.
 *
 * The bytes are a program: each operation is a byte, followed by its
 * arguments drawn from the stream (fuzz.h): tokens into the vocabulary,
 * steps by index or by dense vector of any length, gradients, predictions
 * and scores, every setter with hostile values, reset, clear, a write and
 * read back that replaces the model (as 'read' does), and the threaded
 * mode switched off (training stays on this thread: deterministic).
 *
 * Checked after every operation that succeeded: no NaN or infinity
 * reaches an output (h(t), the probabilities, the gradient, the loss), the
 * probabilities sum to 1, a chosen index is a token.  Valid sizes that
 * would only cost memory (a hidden size of 4096, a vocabulary of 2^20) are
 * kept small here, so that the fuzzer's memory limit is not what it
 * finds; out-of-range sizes are passed as they are. */

#include "fuzz.h"
#include "../pd-rnn/core/rnn.h"

#define MAX_OPS 300
#define MAX_DENSE 2048

typedef struct state {
    rnn_model *model;
    rnn_real *buffer; /* (MAX_DENSE + 1) a dense input or a gradient */
    rnn_real *huge;   /* (RNN_MAX_INPUT + 1) for the one size too large */
    char text[64];
} state;

static void check_finite(const rnn_real *values, int n, const char *what)
{
    for (int i = 0; i < n; i++)
        FUZZ_CHECK(isfinite(values[i]), "%s[%d] of %d is %g", what, i, n,
                   (double)values[i]);
}

static rnn_vocab *vocab_of(state *st)
{
    return rnn_model_vocab(st->model);
}

/* After a step: h(t) is finite, and so is every activation a patch can
 * draw. */
static void check_step(state *st, rnn_status status, const rnn_real *hidden)
{
    if (status != RNN_OK)
        return;
    int width = rnn_model_hidden(st->model);
    check_finite(hidden, width, "h(t)");
    const char *names[] = {"hidden", "reset",  "update", "new",  "input",
                           "forget", "cell",   "output", "state"};
    for (int k = 0; k < 9; k++) {
        int code = rnn_model_activation_code(st->model, names[k]);
        for (int l = 0; code >= 0 && l < rnn_model_layers(st->model); l++) {
            const rnn_real *a = rnn_model_activation(st->model, l, code);
            FUZZ_CHECK(a != NULL, "activation %s after a step", names[k]);
            check_finite(a, width, names[k]);
        }
    }
}

/* After a prediction: probabilities finite, summing to 1, a valid choice. */
static void check_prediction(state *st)
{
    int n = 0;
    const rnn_real *probs = rnn_model_probabilities(st->model, &n);
    if (!probs)
        return;
    check_finite(probs, n, "probability");
    double total = 0;
    for (int i = 0; i < n; i++) {
        FUZZ_CHECK(probs[i] >= 0 && probs[i] <= 1.0001, "probability %g",
                   (double)probs[i]);
        total += probs[i];
    }
    FUZZ_CHECK(fabs(total - 1) < 1e-3, "probabilities sum to %g", total);
    int choice = rnn_model_choose(st->model);
    FUZZ_CHECK(choice >= 0 && choice < rnn_vocab_size(vocab_of(st)),
               "choice %d of %d tokens", choice,
               rnn_vocab_size(vocab_of(st)));
}

/* A length for a vector: the right one, one off, or hostile. */
static int vector_length(fuzz_stream *s, int right)
{
    uint8_t pick = fuzz_u8(s) % 8;
    if (pick < 4)
        return right;
    if (pick == 4)
        return right + 1;
    if (pick == 5)
        return right - 1;
    return fuzz_int(s, right);
}

/* n values for a vector (n may be out of range: then the buffer is only
 * as long as the core may read before refusing it). */
static const rnn_real *vector(state *st, fuzz_stream *s, int n, int onehot)
{
    if (n == RNN_MAX_INPUT + 1)
        return st->huge;
    int count = n < 0 ? 0 : n > MAX_DENSE ? MAX_DENSE : n;
    for (int i = 0; i < count; i++)
        st->buffer[i] = onehot ? 0 : fuzz_float(s);
    if (onehot && count > 0)
        st->buffer[fuzz_u8(s) % count] = 1;
    return st->buffer;
}

/* Write the model and read it back in its place, as 'read' does. */
static void round_trip(state *st)
{
    unsigned char *bytes = NULL;
    size_t size = 0;
    char why[256] = "";
    FUZZ_CHECK(rnn_model_to_bytes(st->model, &bytes, &size) == RNN_OK,
               "writing");
    rnn_model *loaded = rnn_model_from_bytes(bytes, size, why, sizeof why);
    FUZZ_CHECK(loaded != NULL, "reading back what was written: %s", why);
    free(bytes);
    rnn_model_free(st->model);
    st->model = loaded;
}

static void run(state *st, fuzz_stream *s)
{
    const rnn_real *hidden = NULL, *grad = NULL;
    int scored = 0, trained = 0, n;
    rnn_score score;
    rnn_status status;
    rnn_model *m = st->model;
    int size = rnn_vocab_size(vocab_of(st));
    int width = rnn_model_hidden(m);
    uint8_t op = fuzz_u8(s);
    switch (op % 28) {
    case 0: /* the cell: any type, small valid sizes or hostile ones */
    case 1: {
        int type = fuzz_u8(s) % 4 - (op & 1); /* -1 .. 3 */
        int hidden_size = fuzz_u8(s) % 4 ? 1 + fuzz_u8(s) % 12
                                         : fuzz_int(s, 0);
        int layers = fuzz_u8(s) % 4 ? 1 + fuzz_u8(s) % 3 : fuzz_int(s, 1);
        if (hidden_size > 64 && hidden_size <= RNN_MAX_HIDDEN)
            hidden_size = 64; /* valid, but only memory */
        rnn_model_set_cell(m, (rnn_cell_type)type, hidden_size, layers);
        break;
    }
    case 2: /* a symbol token */
    case 3: {
        int length = fuzz_u8(s) % 12;
        for (int i = 0; i < length; i++)
            st->text[i] = (char)(1 + fuzz_u8(s) % 255);
        st->text[length] = 0;
        rnn_token token = {RNN_TOKEN_SYMBOL, 0, st->text};
        int index;
        rnn_vocab_add(vocab_of(st), &token, &index);
        break;
    }
    case 4: { /* a float token */
        rnn_token token = {RNN_TOKEN_FLOAT, fuzz_float(s), NULL};
        int index;
        rnn_vocab_add(vocab_of(st), &token, &index);
        break;
    }
    case 5: /* a step by index, as the encoder's one-hot */
    case 6:
    case 7:
        status = rnn_model_step_index(m, fuzz_int(s, size / 2), &hidden);
        check_step(st, status, hidden);
        break;
    case 8: /* a step by vector: one-hot or dense, any length */
    case 9:
        n = vector_length(s, size > rnn_model_input_size(m)
                                 ? size
                                 : rnn_model_input_size(m));
        if (n > MAX_DENSE && n != RNN_MAX_INPUT + 1)
            n = -n;
        status = rnn_model_step(m, vector(st, s, n, op & 1), n, &hidden);
        check_step(st, status, hidden);
        break;
    case 10: /* dLoss/dh, as the cell's right inlet */
        n = vector_length(s, width);
        if (n > MAX_DENSE)
            n = -n;
        rnn_model_cell_gradient(m, vector(st, s, n, 0), n, &trained);
        break;
    case 11: /* h(t) into the readout, from the cell or from anywhere */
    case 12:
        n = vector_length(s, width ? width : 1 + fuzz_u8(s) % 8);
        if (n > MAX_DENSE)
            n = -n;
        if (op % 2 == 0 && width > 0 && rnn_model_activation(m, 0, 0))
            status = rnn_model_predict(
                m, rnn_model_activation(m, rnn_model_layers(m) - 1,
                                        rnn_model_activation_code(
                                            m, "hidden")),
                width);
        else
            status = rnn_model_predict(m, vector(st, s, n, 0), n);
        if (status == RNN_OK)
            check_prediction(st);
        break;
    case 13: /* a target, as the decoder's right inlet */
    case 14:
        status = rnn_model_score(m, fuzz_int(s, size - 1), &grad, &scored,
                                 &score);
        if (status == RNN_OK && scored) {
            FUZZ_CHECK(isfinite(score.loss) && score.loss >= 0,
                       "loss %g", score.loss);
            FUZZ_CHECK(isfinite(score.mean_loss) && score.accuracy >= 0
                           && score.accuracy <= 1,
                       "mean loss %g, accuracy %g", score.mean_loss,
                       score.accuracy);
        }
        if (grad) {
            check_finite(grad, rnn_model_readout_width(m), "dLoss/dh");
            /* the decoder's gradient outlet wired to the cell */
            if (fuzz_u8(s) % 4 && rnn_model_hidden(m)
                                      == rnn_model_readout_width(m))
                rnn_model_cell_gradient(m, grad, rnn_model_hidden(m),
                                        &trained);
        }
        break;
    case 15:
        rnn_model_set_window(m, fuzz_int(s, 4));
        break;
    case 16:
        rnn_model_set_every(m, fuzz_int(s, 2));
        break;
    case 17:
        rnn_model_set_lr(m, fuzz_double(s));
        break;
    case 18:
        rnn_model_set_clip(m, fuzz_double(s));
        break;
    case 19:
        rnn_model_set_optim(m, (rnn_optim_kind)(fuzz_u8(s) % 5 - 1));
        break;
    case 20:
        rnn_model_set_temperature(m, fuzz_double(s));
        n = fuzz_int(s, 2);
        /* the known bug of fuzz/regressions/model_api/top-k-above-max-vocab
         * (a top-k the file cannot hold), skipped with FUZZ_IGNORE_KNOWN */
        if (n <= RNN_MAX_VOCAB || !getenv("FUZZ_IGNORE_KNOWN"))
            rnn_model_set_top_k(m, n);
        check_prediction(st);
        break;
    case 21:
        rnn_model_set_learn(m, fuzz_u8(s) % 3);
        break;
    case 22:
        rnn_model_reset(m);
        break;
    case 23:
        rnn_model_clear(m);
        break;
    case 24:
        if (fuzz_u8(s) & 1)
            rnn_model_seed_weights(m, fuzz_u32(s));
        else
            rnn_model_seed_sampling(m, fuzz_u32(s));
        break;
    case 25: { /* memory for a vocabulary: small, or out of range */
        int tokens = fuzz_int(s, size + 8);
        if (tokens > 1024 && tokens <= RNN_MAX_VOCAB)
            tokens = 1024;
        rnn_model_reserve(m, tokens);
        break;
    }
    case 26:
        rnn_model_set_threaded(m, 0);
        rnn_model_poll(m);
        rnn_model_wait(m);
        break;
    default: {
        char text[600];
        size_t room = fuzz_u8(s) % sizeof text;
        rnn_model_describe(m, text, room);
        if (fuzz_u8(s) % 4 == 0)
            round_trip(st);
        break;
    }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_stream s = {data, size, 0};
    state st;
    st.model = rnn_model_new(fuzz_u8(&s));
    st.buffer = calloc(MAX_DENSE + 1, sizeof(rnn_real));
    static rnn_real *huge; /* zeros, allocated once */
    if (!huge)
        huge = calloc(RNN_MAX_INPUT + 1, sizeof(rnn_real));
    st.huge = huge;
    if (!st.model || !st.buffer || !st.huge)
        abort();
    for (int ops = 0; ops < MAX_OPS && fuzz_more(&s); ops++)
        run(&st, &s);
    rnn_model_free(st.model);
    free(st.buffer);
    return 0;
}
