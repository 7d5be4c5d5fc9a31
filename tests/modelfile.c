/* The model file: a round trip keeps every prediction, and every damaged,
 * truncated or foreign file is refused with a reason. */

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../pd-rnn/core/rnn.h"
#include "check.h"

/* 20 events at temperature 0, each prediction fed back in */
static void generate(rnn_model *model, int first, int *out)
{
    rnn_model_set_learn(model, 0);
    int next = first;
    for (int i = 0; i < 20; i++)
        out[i] = next = feed(model, next);
}

static rnn_model *trained_model(void)
{
    rnn_model *model = rnn_model_new(11);
    rnn_model_set_cell(model, RNN_CELL_ELMAN, 24, 1);
    const char *awkward[] = {"with space", ",", ";", "$1", "\xc3\xa7", "60"};
    for (int i = 0; i < 6; i++)
        add_token(model, (rnn_token){RNN_TOKEN_SYMBOL, 0, awkward[i]});
    add_token(model, (rnn_token){RNN_TOKEN_FLOAT, 60, NULL});
    for (int r = 0; r < 60; r++)
        for (int i = 0; i < 7; i++)
            feed(model, (i * 3) % 7);
    return model;
}

int main(void)
{
    char folder[] = "/tmp/pd-rnn-modelfile-XXXXXX";
    if (!mkdtemp(folder)) {
        CHECK(0, "a temporary folder");
        return 1;
    }
    char path[256], why[256];
    snprintf(path, sizeof path, "%s/model.rnn", folder);

    /* round trip through a file: the same 20 events */
    rnn_model *model = trained_model();
    rnn_status status = rnn_model_save(model, path, why, sizeof why);
    CHECK(status == RNN_OK, "save: %s", status ? why : "written");
    int before[20], after[20];
    generate(model, 0, before);
    rnn_model *loaded = rnn_model_load(path, why, sizeof why);
    CHECK(loaded != NULL, "load: %s", loaded ? "read" : why);
    if (!loaded)
        return 1;
    generate(loaded, 0, after);
    CHECK(!memcmp(before, after, sizeof before),
          "round trip: the same 20 events generated at temperature 0");

    /* awkward tokens keep their indices and types */
    rnn_vocab *vocab = rnn_model_vocab(loaded);
    const rnn_token *space = rnn_vocab_token(vocab, 0);
    const rnn_token *cedilla = rnn_vocab_token(vocab, 4);
    const rnn_token *text60 = rnn_vocab_token(vocab, 5);
    const rnn_token *float60 = rnn_vocab_token(vocab, 6);
    CHECK(rnn_vocab_size(vocab) == 7 && !strcmp(space->text, "with space")
              && !strcmp(cedilla->text, "\xc3\xa7")
              && text60->type == RNN_TOKEN_SYMBOL
              && float60->type == RNN_TOKEN_FLOAT && float60->value == 60,
          "round trip: awkward tokens at their indices, 60 beside \"60\"");

    /* a new token after loading gets the next index, loss finite */
    int d = add_token(loaded, (rnn_token){RNN_TOKEN_SYMBOL, 0, "d"});
    rnn_model_set_learn(loaded, 1);
    feed(loaded, 1);
    const rnn_real *grad;
    int scored;
    rnn_score score;
    rnn_model_score(loaded, d, &grad, &scored, &score);
    CHECK(d == 7 && scored && isfinite(score.loss),
          "growth after loading: new token at 7, loss %.2f bits", score.loss);
    rnn_model_free(loaded);

    /* damaged files: every truncation, flipped bytes, other version */
    unsigned char *bytes;
    size_t size;
    rnn_model_to_bytes(model, &bytes, &size);
    int refused = 0, tried = 0;
    size_t step = size / 997 + 1;
    for (size_t length = 0; length < size; length += step, tried++) {
        rnn_model *m = rnn_model_from_bytes(bytes, length, why, sizeof why);
        refused += m == NULL;
        rnn_model_free(m);
    }
    CHECK(refused == tried, "truncated: %d of %d lengths refused", refused,
          tried);
    refused = tried = 0;
    for (size_t at = 0; at < size; at += step, tried++) {
        bytes[at] ^= 0x5a;
        rnn_model *m = rnn_model_from_bytes(bytes, size, why, sizeof why);
        refused += m == NULL;
        rnn_model_free(m);
        bytes[at] ^= 0x5a;
    }
    CHECK(refused == tried, "flipped byte: %d of %d files refused", refused,
          tried);
    bytes[8] = 99;
    rnn_model *m = rnn_model_from_bytes(bytes, size, why, sizeof why);
    CHECK(!m && strstr(why, "version"), "another version: %s", why);
    bytes[8] = 1;
    const char foreign[] = "RIFF....WAVEfmt this is not a model at all";
    m = rnn_model_from_bytes((const unsigned char *)foreign, sizeof foreign,
                             why, sizeof why);
    CHECK(!m && strstr(why, "not a pd-rnn"), "a foreign file: %s", why);
    free(bytes);

    /* an unwritable folder: an error, and the old file intact */
    char locked[300], locked_path[320];
    snprintf(locked, sizeof locked, "%s/locked", folder);
    mkdir(locked, 0755);
    snprintf(locked_path, sizeof locked_path, "%s/model.rnn", locked);
    rnn_model_save(model, locked_path, why, sizeof why);
    chmod(locked, 0555);
    int writable = access(locked, W_OK) == 0; /* root writes anyway */
    status = rnn_model_save(model, locked_path, why, sizeof why);
    chmod(locked, 0755);
    if (!writable)
        CHECK(status != RNN_OK, "unwritable folder: %s", why);
    m = rnn_model_load(locked_path, why, sizeof why);
    CHECK(m != NULL, "unwritable folder: the previous file intact");
    rnn_model_free(m);
    status = rnn_model_save(model, "/nonexistent-folder/model.rnn", why,
                            sizeof why);
    CHECK(status != RNN_OK, "missing folder: %s", why);
    m = rnn_model_load("/nonexistent-folder/model.rnn", why, sizeof why);
    CHECK(!m, "missing file: %s", why);

    /* a link is written through, and stays a link, also when the file it
     * names is not there yet; a folder or a pipe is refused, unchanged */
    char real[320], link[320], dangling[320], pipe[320];
    snprintf(real, sizeof real, "%s/real.rnn", folder);
    snprintf(link, sizeof link, "%s/link.rnn", folder);
    snprintf(dangling, sizeof dangling, "%s/dangling.rnn", folder);
    snprintf(pipe, sizeof pipe, "%s/pipe.rnn", folder);
    FILE *old = fopen(real, "w");
    if (old) {
        fputs("old", old);
        fclose(old);
    }
    symlink("real.rnn", link);
    status = rnn_model_save(model, link, why, sizeof why);
    struct stat st;
    m = rnn_model_load(real, why, sizeof why);
    CHECK(status == RNN_OK && lstat(link, &st) == 0 && S_ISLNK(st.st_mode)
              && m != NULL,
          "a symbolic link: the file it names written, the link kept");
    rnn_model_free(m);
    unlink(real);
    symlink("real.rnn", dangling);
    status = rnn_model_save(model, dangling, why, sizeof why);
    m = rnn_model_load(real, why, sizeof why);
    CHECK(status == RNN_OK && lstat(dangling, &st) == 0
              && S_ISLNK(st.st_mode) && m != NULL,
          "a link to a file not there yet: the file made, the link kept");
    rnn_model_free(m);
    status = rnn_model_save(model, locked, why, sizeof why);
    CHECK(status != RNN_OK && stat(locked, &st) == 0 && S_ISDIR(st.st_mode),
          "a folder at the path: refused (%s), still a folder", why);
    char fresh[320];
    snprintf(fresh, sizeof fresh, "%s/fresh.rnn", folder);
    CHECK(rnn_model_save_check(fresh, why, sizeof why) == RNN_OK
              && access(fresh, F_OK) != 0
              && rnn_model_save_check(locked, why, sizeof why) != RNN_OK
              && rnn_model_save_check("/nonexistent-folder/m.rnn", why,
                                      sizeof why)
                     != RNN_OK,
          "a save checked beforehand: fine for a new file (nothing made), "
          "refused for a folder or a missing folder (%s)", why);
    mkfifo(pipe, 0644);
    status = rnn_model_save(model, pipe, why, sizeof why);
    CHECK(status != RNN_OK && lstat(pipe, &st) == 0 && S_ISFIFO(st.st_mode),
          "a pipe at the path: refused (%s), still a pipe", why);

    rnn_model_free(model);
    unlink(real);
    unlink(link);
    unlink(dangling);
    unlink(pipe);
    unlink(locked_path);
    rmdir(locked);
    unlink(path);
    rmdir(folder);
    return check_failures ? 1 : 0;
}
