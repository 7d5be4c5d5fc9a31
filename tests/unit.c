/* Unit tests of the core, without Pd: vocabulary and UTF-8, sampling, the
 * approximate functions, and learning with the default settings. */

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../pd-rnn/core/rnn.h"
#include "check.h"

/* ------------------------------------------------------------ helpers */

static int add_symbol(rnn_model *model, const char *text)
{
    return add_token(model, (rnn_token){RNN_TOKEN_SYMBOL, 0, text});
}

/* Stream a phrase of tokens (one character each) `repeats` times with
 * learning on, then count the positions predicted right over two more
 * cycles with learning off. */
static int stream_phrase(rnn_model *model, const char *const *phrase,
                         int length, int repeats)
{
    int index[64];
    for (int i = 0; i < length; i++)
        index[i] = add_symbol(model, phrase[i]);
    for (int r = 0; r < repeats; r++)
        for (int i = 0; i < length; i++)
            feed(model, index[i]);
    rnn_model_set_learn(model, 0);
    int right = 0;
    int predicted = rnn_model_choose(model);
    for (int r = 0; r < 2; r++)
        for (int i = 0; i < length; i++) {
            right += predicted == index[i];
            predicted = feed(model, index[i]);
        }
    rnn_model_set_learn(model, 1);
    return right;
}

/* ------------------------------------------------------------ vocabulary */

static void test_vocab(void)
{
    rnn_vocab *vocab = rnn_vocab_new(1000);
    int a, b, c, d, again;
    rnn_token sixty = {RNN_TOKEN_FLOAT, 60, NULL};
    rnn_token sixty_text = {RNN_TOKEN_SYMBOL, 0, "60"};
    rnn_token zero = {RNN_TOKEN_FLOAT, 0.0f, NULL};
    rnn_token minus_zero = {RNN_TOKEN_FLOAT, -0.0f, NULL};
    rnn_vocab_add(vocab, &sixty, &a);
    rnn_vocab_add(vocab, &sixty_text, &b);
    rnn_vocab_add(vocab, &zero, &c);
    rnn_vocab_add(vocab, &minus_zero, &d);
    rnn_vocab_add(vocab, &sixty, &again);
    CHECK(a == 0 && b == 1 && again == 0,
          "vocabulary: the float 60 and the symbol \"60\" are two tokens");
    CHECK(c == d, "vocabulary: 0 and -0 are one token");
    rnn_token nan_token = {RNN_TOKEN_FLOAT, NAN, NULL};
    CHECK(rnn_vocab_add(vocab, &nan_token, &a) == RNN_ERR_NONFINITE
              && rnn_vocab_size(vocab) == 3,
          "vocabulary: NaN is refused");

    /* many tokens: the table grows and every lookup stays right */
    char text[32];
    int ok = 1;
    for (int i = 0; i < 900; i++) {
        snprintf(text, sizeof text, "word%d", i);
        rnn_token token = {RNN_TOKEN_SYMBOL, 0, text};
        ok &= rnn_vocab_add(vocab, &token, &a) == RNN_OK && a == i + 3;
    }
    for (int i = 0; i < 900; i++) {
        snprintf(text, sizeof text, "word%d", i);
        rnn_token token = {RNN_TOKEN_SYMBOL, 0, text};
        ok &= rnn_vocab_find(vocab, &token) == i + 3;
        ok &= !strcmp(rnn_vocab_token(vocab, i + 3)->text, text);
    }
    CHECK(ok, "vocabulary: 900 tokens added and found at their indices");
    for (int i = 0; i < 200; i++) {
        snprintf(text, sizeof text, "more%d", i);
        rnn_token token = {RNN_TOKEN_SYMBOL, 0, text};
        rnn_vocab_add(vocab, &token, &a);
    }
    rnn_token last = {RNN_TOKEN_SYMBOL, 0, "one more"};
    CHECK(rnn_vocab_size(vocab) == 1000
              && rnn_vocab_add(vocab, &last, &a) == RNN_ERR_FULL,
          "vocabulary: a token past the capacity is refused");
    rnn_vocab_free(vocab);
}

static void test_utf8(void)
{
    CHECK(rnn_utf8_char_length("a", 1) == 1, "utf-8: ASCII is one byte");
    CHECK(rnn_utf8_char_length("\xc3\xa9", 2) == 2, "utf-8: é is two bytes");
    CHECK(rnn_utf8_char_length("\xe6\x97\xa5\xe6\x9c\xac", 6) == 3,
          "utf-8: 日 is three bytes");
    CHECK(rnn_utf8_char_length("\xf0\x9f\x8e\xb5", 4) == 4,
          "utf-8: a four-byte character");
    CHECK(rnn_utf8_char_length("\xc3", 1) == 1
              && rnn_utf8_char_length("\xe6\x97" "a", 3) == 1
              && rnn_utf8_char_length("\xff", 1) == 1,
          "utf-8: cut or invalid bytes stand alone, nothing is lost");
}

/* ------------------------------------------------------------ sampling */

static void test_sampling(void)
{
    rnn_real logits[4] = {0.5f, 2.0f, -1.0f, 1.0f};
    rnn_real scratch[4];
    rnn_rng rng;
    rnn_rng_seed(&rng, 7);
    int ok = 1;
    for (int i = 0; i < 100; i++)
        ok &= rnn_sample(logits, 4, 0, 0, &rng, scratch) == 1;
    CHECK(ok, "sampling: temperature 0 is argmax");

    /* at temperature 1 the draws follow softmax(logits) */
    int counts[4] = {0};
    int draws = 40000;
    for (int i = 0; i < draws; i++)
        counts[rnn_sample(logits, 4, 1, 0, &rng, scratch)]++;
    double total = 0, expect[4], worst = 0;
    for (int i = 0; i < 4; i++)
        total += exp(logits[i]);
    for (int i = 0; i < 4; i++) {
        expect[i] = exp(logits[i]) / total;
        double sd = sqrt(expect[i] * (1 - expect[i]) / draws);
        double z = fabs((double)counts[i] / draws - expect[i]) / sd;
        worst = fmax(worst, z);
    }
    CHECK(worst < 4.5,
          "sampling: temperature 1 follows the softmax (worst z %.2f)",
          worst);

    rnn_rng again;
    rnn_rng_seed(&rng, 99);
    rnn_rng_seed(&again, 99);
    ok = 1;
    for (int i = 0; i < 1000; i++)
        ok &= rnn_sample(logits, 4, 1, 0, &rng, scratch)
              == rnn_sample(logits, 4, 1, 0, &again, scratch);
    CHECK(ok, "sampling: the same seed draws the same sequence");

    ok = 1;
    for (int i = 0; i < 2000; i++) {
        int k = rnn_sample(logits, 4, 5, 2, &rng, scratch);
        ok &= k == 1 || k == 3;
    }
    CHECK(ok, "sampling: top-k 2 draws only the two most likely");
}

/* ------------------------------------------------------------ functions */

static void test_approximations(void)
{
    double worst_tanh = 0, worst_exp = 0;
    for (int i = -200000; i <= 200000; i++) {
        rnn_real y = (rnn_real)(i * 1e-4);
        rnn_real z = y;
        rnn_tanh_inplace(&z, 1);
        worst_tanh = fmax(worst_tanh, fabs(z - tanh((double)y)));
        rnn_real e = (rnn_real)(i * 4e-4);
        rnn_real w = e;
        rnn_exp_inplace(&w, 1);
        worst_exp = fmax(worst_exp, fabs(w - exp((double)e)) / exp((double)e));
    }
    CHECK(worst_tanh < RNN_TANH_ERROR,
          "tanh: worst absolute error %.2e on [-20, 20]", worst_tanh);
    CHECK(worst_exp < RNN_EXP_ERROR,
          "exp: worst relative error %.2e on [-80, 80]", worst_exp);
}

/* ------------------------------------------------------------ learning */

static void test_learning(void)
{
    static const char *const goodbye[] = {"g", "o", "o", "d",
                                          "b", "y", "e", "!"};
    rnn_model *model = rnn_model_new(1);
    rnn_model_set_cell(model, RNN_CELL_ELMAN, RNN_DEFAULT_HIDDEN, 1);
    int right = stream_phrase(model, goodbye, 8, 200);
    CHECK(right == 16, "learning: \"goodbye!\" streamed 200 times, %d of 16 "
                       "next characters right", right);
    rnn_model_free(model);

    /* twelve tokens where the next depends on up to six before, with the
     * default settings, for every cell type and one or two layers */
    static const char *const phrase[] = {"a", "b", "c", "a", "b", "d",
                                         "a", "b", "c", "a", "b", "e"};
    static const rnn_cell_type types[] = {RNN_CELL_ELMAN, RNN_CELL_GRU,
                                          RNN_CELL_LSTM};
    for (int t = 0; t < 3; t++)
        for (int layers = 1; layers <= 2; layers++) {
            model = rnn_model_new(2);
            rnn_model_set_cell(model, types[t], RNN_DEFAULT_HIDDEN, layers);
            right = stream_phrase(model, phrase, 12, 300);
            CHECK(right == 24, "learning: %s x%d, a 12-token phrase needing "
                               "context, 300 repetitions, %d of 24 right",
                  rnn_cell_type_name(types[t]), layers, right);
            rnn_model_free(model);
        }
}

static void test_independence(void)
{
    static const char *const phrase[] = {"x", "y", "z", "y"};
    rnn_model *trained = rnn_model_new(5);
    rnn_model *fresh = rnn_model_new(5);
    rnn_model *twin = rnn_model_new(5);
    rnn_model_set_cell(trained, RNN_CELL_ELMAN, 16, 1);
    rnn_model_set_cell(fresh, RNN_CELL_ELMAN, 16, 1);
    rnn_model_set_cell(twin, RNN_CELL_ELMAN, 16, 1);
    stream_phrase(trained, phrase, 4, 50);
    int same = 1;
    for (int i = 0; i < 4; i++) {
        add_symbol(fresh, phrase[i]);
        add_symbol(twin, phrase[i]);
    }
    for (int i = 0; i < 20; i++)
        same &= feed(fresh, i % 4) == feed(twin, i % 4);
    CHECK(same, "models: training one leaves another untouched");
    rnn_model_free(trained);
    rnn_model_free(fresh);
    rnn_model_free(twin);
}

static void test_growth_and_refusal(void)
{
    static const char *const abc[] = {"a", "b", "c"};
    rnn_model *model = rnn_model_new(3);
    rnn_model_set_cell(model, RNN_CELL_ELMAN, 32, 1);
    stream_phrase(model, abc, 3, 150);
    int d = add_symbol(model, "d");
    const rnn_real *grad;
    int scored;
    rnn_score score;
    feed(model, 2);
    rnn_status status = rnn_model_score(model, d, &grad, &scored, &score);
    CHECK(status == RNN_OK && scored && isfinite(score.loss)
              && score.size == 4,
          "growth: a new target is scored finitely (%.2f bits)", score.loss);
    CHECK(!score.correct,
          "growth: a new target is a miss, whatever the grown softmax says");
    rnn_model_reset(model);
    int right = stream_phrase(model, abc, 3, 30);
    CHECK(right == 6, "growth: the old phrase still predicted after growth");

    /* refused input leaves the state as it was */
    rnn_real bad[4] = {0, NAN, 0, 0};
    const rnn_real *hidden;
    rnn_real before[32];
    feed(model, 0);
    int count;
    memcpy(before, rnn_model_probabilities(model, &count),
           sizeof(rnn_real) * 4);
    CHECK(rnn_model_step(model, bad, 4, &hidden) == RNN_ERR_NONFINITE,
          "refusal: NaN input is refused");
    rnn_real short_input[2] = {1, 0};
    CHECK(rnn_model_step(model, short_input, 2, &hidden) == RNN_ERR_SIZE,
          "refusal: a short input is refused");
    CHECK(rnn_model_set_window(model, 0) == RNN_ERR_ARG
              && rnn_model_set_lr(model, -1) == RNN_ERR_ARG
              && rnn_model_set_lr(model, NAN) == RNN_ERR_ARG,
          "refusal: bad settings are refused");
    const rnn_real *after = rnn_model_probabilities(model, &count);
    CHECK(!memcmp(before, after, sizeof(rnn_real) * 4),
          "refusal: the pending prediction is unchanged");
    rnn_model_free(model);
}

/* Training on a worker thread: the model still learns, growth and every
 * waiting call work while the worker runs, and freeing a busy model is
 * safe. */
static void test_threaded(void)
{
    static const char *const phrase[] = {"a", "b", "c", "a", "b", "d",
                                         "a", "b", "c", "a", "b", "e"};
    rnn_model *model = rnn_model_new(4);
    CHECK(rnn_model_set_threaded(model, 1) == RNN_OK,
          "threads: a worker thread starts");
    rnn_model_set_cell(model, RNN_CELL_GRU, 32, 1);

    /* fed at a pace the worker follows (as a patch feeds it), it learns
     * as the synchronous model does; flooded, it skips windows */
    int index[12];
    for (int i = 0; i < 12; i++)
        index[i] = add_symbol(model, phrase[i]);
    for (int r = 0; r < 300; r++)
        for (int i = 0; i < 12; i++) {
            feed(model, index[i]);
            rnn_model_wait(model);
        }
    long skipped = rnn_model_skipped(model);
    int right = stream_phrase(model, phrase, 12, 0);
    CHECK(right == 24 && skipped == 0, "threads: a GRU learns the 12-token "
                                       "phrase on a worker, %d of 24 right, "
                                       "%ld windows skipped",
          right, skipped);
    rnn_model_set_learn(model, 1);
    for (int r = 0; r < 100; r++)
        for (int i = 0; i < 12; i++)
            feed(model, index[i]);
    CHECK(rnn_model_skipped(model) >= 0, "threads: flooded, %ld windows "
                                         "skipped, none queued",
          rnn_model_skipped(model));

    /* growth beside a busy worker, then every call that waits for it */
    int ok = 1;
    char text[16];
    for (int i = 0; i < 300; i++) {
        snprintf(text, sizeof text, "new%d", i);
        ok &= feed(model, add_symbol(model, text)) >= 0;
        ok &= feed(model, i % 5) >= 0;
    }
    rnn_model_reset(model);
    rnn_model_set_window(model, 9);
    rnn_model_clear(model);
    unsigned char *bytes;
    size_t size;
    ok &= rnn_model_to_bytes(model, &bytes, &size) == RNN_OK;
    free(bytes);
    for (int i = 0; i < 100; i++)
        ok &= feed(model, i % 7) >= 0;
    CHECK(ok, "threads: growth, reset, window, clear and save beside the "
              "worker");
    rnn_model_free(model); /* possibly while the worker trains */

    model = rnn_model_new(5);
    rnn_model_set_cell(model, RNN_CELL_LSTM, 64, 2);
    rnn_model_set_threaded(model, 1);
    for (int i = 0; i < 6; i++)
        add_symbol(model, phrase[i]);
    for (int i = 0; i < 2000; i++)
        feed(model, i % 6);
    rnn_model_set_threaded(model, 0);
    ok = !rnn_model_threaded(model) && feed(model, 0) >= 0;
    CHECK(ok, "threads: switched off while busy, the model goes on");
    rnn_model_free(model);
}

int main(void)
{
    test_vocab();
    test_utf8();
    test_sampling();
    test_approximations();
    test_learning();
    test_independence();
    test_growth_and_refusal();
    test_threaded();
    return check_failures ? 1 : 0;
}
