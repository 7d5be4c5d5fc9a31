/* Fuzz target: the corpus readers of offline training (corpus.c).
 *
 * The bytes are written to a file of this process's own under $TMPDIR (or
 * /tmp), removed after each input, and the file is read as every kind of
 * corpus: characters, words, sound through libsndfile, and MIDI through
 * libsmf, as pitches and as pitches with durations.  Each kind is read
 * four ways, and the readings are checked against each other and against
 * what rnn.h promises:
 *
 *   - into a vocabulary that grows: every index is a token of it, starts
 *     are 0 or 1, a sequence starts with the file, and the tokens are what
 *     the kind says (one UTF-8 character each and the text again, put
 *     together; the file's words and lines; mu-law classes; MIDI notes of
 *     the grid, the same pitches whatever the grid);
 *   - the same file appended to that corpus, the vocabulary no longer
 *     growing: the same indices again, nothing unknown;
 *   - into a vocabulary holding the first few of those tokens, not
 *     growing: the others are left out and counted, the rest in order;
 *   - into a vocabulary of a small capacity that grows: the same tokens,
 *     or, past its capacity, RNN_ERR_FULL after the tokens that fit.
 *
 * The notes of a MIDI file, written again with rnn_midi_write at each
 * grid, read back the same.  Settings out of range are refused.
 *
 * A failure must give its reason.  The settings (classes of sound, MIDI
 * grid, how many tokens the small vocabularies hold) come from a hash of
 * the bytes, so that any file, a real WAV or MIDI file too, is a good
 * input as it is.  Everything is freed: the leak checker sees the rest. */

#include <unistd.h>

#include "fuzz.h"
#include "../pd-rnn/core/rnn.h"

/* The ways of reading a file: rnn_token_kind, and MIDI with a grid. */
enum { CHARS, WORDS, AUDIO, MIDI, MIDI_GRID, READINGS };

typedef struct settings {
    int classes;  /* of sound */
    int grid;     /* of MIDI_GRID, 1 .. RNN_MIDI_MAX_GRID */
    int known;    /* tokens the vocabulary of known tokens holds */
    int capacity; /* of the small vocabulary, 1 .. 8 */
} settings;

/* The file the bytes are written to, named once per process. */
static char path[4096];

/* FNV-1a, for the settings. */
static uint32_t hash_of(const uint8_t *data, size_t size)
{
    uint32_t hash = 2166136261u;
    for (size_t i = 0; i < size; i++)
        hash = (hash ^ data[i]) * 16777619u;
    return hash;
}

static settings settings_of(const uint8_t *data, size_t size)
{
    static const int classes[] = {2, 3, 16, 255, 256, 1024, 65536};
    uint32_t hash = hash_of(data, size);
    settings set;
    set.classes = classes[hash % 7];
    hash /= 7;
    set.grid = 1 + (int)(hash % RNN_MIDI_MAX_GRID);
    hash /= RNN_MIDI_MAX_GRID;
    set.known = (int)(hash % 6);
    hash /= 6;
    set.capacity = 1 + (int)(hash % 8);
    return set;
}

static int write_file(const uint8_t *data, size_t size)
{
    if (!path[0]) {
        const char *folder = getenv("TMPDIR");
        if (!folder || !folder[0])
            folder = "/tmp";
        snprintf(path, sizeof path, "%s/pd-rnn-fuzz-corpus.%ld", folder,
                 (long)getpid());
    }
    FILE *file = fopen(path, "wb");
    if (!file)
        return 0;
    size_t wrote = size ? fwrite(data, 1, size, file) : 0;
    return !fclose(file) && wrote == size;
}

/* One reading of the file; a failure must say why (a sound file read into
 * a full vocabulary once failed without: fuzz/regressions/corpus/
 * audio-full-without-reason). */
static rnn_status read_as(int reading, const settings *set,
                          rnn_corpus *corpus, rnn_vocab *vocab, int grow)
{
    static const rnn_token_kind kinds[] = {RNN_TOKENS_CHARS,
                                           RNN_TOKENS_WORDS,
                                           RNN_TOKENS_AUDIO, RNN_TOKENS_MIDI};
    char why[512] = "";
    int rate = -1;
    rnn_status status;
    if (reading == MIDI_GRID)
        status = rnn_corpus_read_midi(corpus, vocab, path, grow, set->grid,
                                      why, sizeof why);
    else
        status = rnn_corpus_read(corpus, vocab, path, kinds[reading], grow,
                                 set->classes, &rate, why, sizeof why);
    FUZZ_CHECK(status == RNN_OK || why[0],
               "reading %d (grow %d) failed with status %d, no reason given",
               reading, grow, status);
    FUZZ_CHECK(status != RNN_OK || reading != AUDIO || rate >= 1,
               "a sound read at %d Hz", rate);
    return status;
}

/* What every corpus keeps: indices of the vocabulary, starts of 0 or 1. */
static void check_indices(const rnn_corpus *corpus, const rnn_vocab *vocab)
{
    FUZZ_CHECK(corpus->length >= 0 && corpus->unknown >= 0,
               "length %ld, unknown %ld", corpus->length, corpus->unknown);
    FUZZ_CHECK(!corpus->length || (corpus->tokens && corpus->starts),
               "%ld tokens without their arrays", corpus->length);
    int size = rnn_vocab_size(vocab);
    for (long i = 0; i < corpus->length; i++) {
        FUZZ_CHECK(corpus->tokens[i] >= 0 && corpus->tokens[i] < size,
                   "token %ld is %d of %d", i, corpus->tokens[i], size);
        FUZZ_CHECK(corpus->starts[i] <= 1, "start %ld is %d", i,
                   corpus->starts[i]);
    }
}

/* ------------------------------------------------------------ kinds */

/* Characters: one UTF-8 character each, and together the text without its
 * NUL bytes; one sequence. */
static void check_chars(const rnn_corpus *corpus, const rnn_vocab *vocab,
                        const uint8_t *data, size_t size)
{
    size_t at = 0;
    for (long i = 0; i < corpus->length; i++) {
        const rnn_token *token = rnn_vocab_token(vocab, corpus->tokens[i]);
        FUZZ_CHECK(token->type == RNN_TOKEN_SYMBOL && token->text,
                   "character %ld is no symbol", i);
        size_t n = strlen(token->text);
        FUZZ_CHECK(n >= 1 && n <= 4
                       && rnn_utf8_char_length(token->text, n) == n,
                   "character %ld of %zu bytes is not one character", i, n);
        while (at < size && data[at] == 0)
            at++;
        FUZZ_CHECK(n <= size - at && !memcmp(data + at, token->text, n),
                   "character %ld is not the text's at byte %zu", i, at);
        at += n;
        FUZZ_CHECK(corpus->starts[i] == (i == 0), "start of character %ld",
                   i);
    }
    while (at < size && data[at] == 0)
        at++;
    FUZZ_CHECK(at == size, "the characters stop at byte %zu of %zu", at,
               size);
}

static int is_blank(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'
           || c == '\v' || c == 0;
}

/* Words: the file's whitespace-separated words in order, each starting a
 * sequence when it is the first of its line; a float token is a word that
 * reads whole as that number, a symbol is the word itself (a form feed
 * or vertical tab once stayed inside a word: fuzz/regressions/corpus/
 * words-split-at-vt-ff). */
static void check_words(const rnn_corpus *corpus, const rnn_vocab *vocab,
                        const uint8_t *data, size_t size)
{
    long i = 0;
    int line_start = 1;
    for (size_t at = 0; at < size;) {
        if (is_blank(data[at])) {
            line_start |= data[at++] == '\n';
            continue;
        }
        size_t end = at;
        while (end < size && !is_blank(data[end]))
            end++;
        size_t n = end - at;
        FUZZ_CHECK(i < corpus->length, "only %ld words read, more in the "
                   "file at byte %zu", corpus->length, at);
        char *word = malloc(n + 1);
        FUZZ_CHECK(word != NULL, "memory for a word of %zu bytes", n);
        memcpy(word, data + at, n);
        word[n] = 0;
        const rnn_token *token = rnn_vocab_token(vocab, corpus->tokens[i]);
        if (token->type == RNN_TOKEN_SYMBOL) {
            FUZZ_CHECK(token->text && !strcmp(token->text, word),
                       "word %ld is \"%s\", not the file's \"%s\"", i,
                       token->text ? token->text : "(null)", word);
        } else {
            char *stop;
            double value = strtod(word, &stop);
            FUZZ_CHECK(!*stop && isfinite(token->value)
                           && (float)value == token->value,
                       "word %ld is %g, not the file's \"%s\"", i,
                       (double)token->value, word);
        }
        FUZZ_CHECK(corpus->starts[i] == line_start,
                   "start of word %ld is %d", i, corpus->starts[i]);
        free(word);
        line_start = 0;
        i++;
        at = end;
    }
    FUZZ_CHECK(i == corpus->length, "%ld words read, %ld in the file",
               corpus->length, i);
}

/* Sound: mu-law classes, float tokens 0 .. classes - 1; one sequence. */
static void check_audio(const rnn_corpus *corpus, const rnn_vocab *vocab,
                        int classes)
{
    for (int k = 0; k < rnn_vocab_size(vocab); k++) {
        const rnn_token *token = rnn_vocab_token(vocab, k);
        FUZZ_CHECK(token->type == RNN_TOKEN_FLOAT && token->value >= 0
                       && token->value < classes
                       && token->value == floorf(token->value),
                   "class %g of %d", (double)token->value, classes);
    }
    for (long i = 0; i < corpus->length; i++)
        FUZZ_CHECK(corpus->starts[i] == (i == 0), "start of sample %ld", i);
}

/* MIDI: notes of the grid (pitches with grid 0); one sequence. */
static void check_midi(const rnn_corpus *corpus, const rnn_vocab *vocab,
                       int grid)
{
    for (int k = 0; k < rnn_vocab_size(vocab); k++) {
        const rnn_token *token = rnn_vocab_token(vocab, k);
        int pitch = -1, steps = -1;
        FUZZ_CHECK(token->type == RNN_TOKEN_FLOAT
                       && rnn_midi_note(token->value, grid, &pitch, &steps)
                       && (grid ? steps >= 1 && steps <= RNN_MIDI_MAX_STEPS
                                : steps == 0),
                   "%g is no note of grid %d", (double)token->value, grid);
    }
    for (long i = 0; i < corpus->length; i++)
        FUZZ_CHECK(corpus->starts[i] == (i == 0), "start of note %ld", i);
}

/* ------------------------------------------------------------ readings */

/* Appended again, the vocabulary not growing: the same indices twice. */
static void check_append(int reading, const settings *set,
                         rnn_corpus *corpus, rnn_vocab *vocab)
{
    long length = corpus->length;
    int size = rnn_vocab_size(vocab);
    rnn_status status = read_as(reading, set, corpus, vocab, 0);
    FUZZ_CHECK(status == RNN_OK, "the same file again: status %d", status);
    check_indices(corpus, vocab);
    FUZZ_CHECK(corpus->length == 2 * length && corpus->unknown == 0
                   && rnn_vocab_size(vocab) == size,
               "appended: %ld tokens (%ld unknown) after %ld",
               corpus->length, corpus->unknown, length);
    FUZZ_CHECK(!memcmp(corpus->tokens, corpus->tokens + length,
                       (size_t)length * sizeof *corpus->tokens)
                   && !memcmp(corpus->starts, corpus->starts + length,
                              (size_t)length),
               "appended, the tokens differ");
}

/* Into a vocabulary of the first few tokens, not growing: the others
 * left out and counted. */
static void check_known(int reading, const settings *set,
                        const rnn_corpus *full, const rnn_vocab *vocab)
{
    int known = set->known < rnn_vocab_size(vocab) ? set->known
                                                   : rnn_vocab_size(vocab);
    rnn_vocab *some = rnn_vocab_new(known ? known : 1);
    FUZZ_CHECK(some != NULL, "a vocabulary of %d", known);
    for (int k = 0; k < known; k++) {
        int index = -1;
        FUZZ_CHECK(rnn_vocab_add(some, rnn_vocab_token(vocab, k), &index)
                           == RNN_OK
                       && index == k,
                   "token %d copied", k);
    }
    rnn_corpus corpus = {0};
    rnn_status status = read_as(reading, set, &corpus, some, 0);
    FUZZ_CHECK(status == RNN_OK, "with %d tokens known: status %d", known,
               status);
    check_indices(&corpus, some);
    FUZZ_CHECK(rnn_vocab_size(some) == known, "the vocabulary grew");
    long kept = 0, unknown = 0;
    for (long i = 0; i < full->length; i++) {
        if (full->tokens[i] >= known) {
            unknown++;
            continue;
        }
        FUZZ_CHECK(kept < corpus.length
                       && corpus.tokens[kept] == full->tokens[i],
                   "known token %ld (%ld kept)", i, kept);
        kept++;
    }
    FUZZ_CHECK(kept == corpus.length && unknown == corpus.unknown,
               "%ld kept and %ld unknown, expected %ld and %ld",
               corpus.length, corpus.unknown, kept, unknown);
    rnn_corpus_free(&corpus);
    rnn_vocab_free(some);
}

/* Into a small vocabulary that grows: the same tokens, or those before
 * the first that does not fit and RNN_ERR_FULL. */
static void check_small(int reading, const settings *set,
                        const rnn_corpus *full, const rnn_vocab *vocab)
{
    rnn_vocab *small = rnn_vocab_new(set->capacity);
    FUZZ_CHECK(small != NULL, "a vocabulary of %d", set->capacity);
    rnn_corpus corpus = {0};
    rnn_status status = read_as(reading, set, &corpus, small, 1);
    check_indices(&corpus, small);
    long fit = 0;
    while (fit < full->length && full->tokens[fit] < set->capacity)
        fit++;
    if (rnn_vocab_size(vocab) <= set->capacity)
        FUZZ_CHECK(status == RNN_OK && corpus.length == full->length
                       && rnn_vocab_size(small) == rnn_vocab_size(vocab),
                   "%d tokens in a capacity of %d: status %d, %ld read",
                   rnn_vocab_size(vocab), set->capacity, status,
                   corpus.length);
    else
        FUZZ_CHECK(status == RNN_ERR_FULL && corpus.length == fit
                       && rnn_vocab_size(small) == set->capacity,
                   "%d tokens in a capacity of %d: status %d, %ld read, "
                   "%ld fit",
                   rnn_vocab_size(vocab), set->capacity, status,
                   corpus.length, fit);
    FUZZ_CHECK(corpus.unknown == 0, "unknown tokens in a growing read");
    FUZZ_CHECK(!memcmp(corpus.tokens, full->tokens,
                       (size_t)corpus.length * sizeof *corpus.tokens),
               "the small vocabulary's tokens differ");
    rnn_corpus_free(&corpus);
    rnn_vocab_free(small);
}

/* Every reading of one kind; *notes gets the tokens' values, for the
 * comparison of the two MIDI readings (the caller frees it). */
static rnn_status read_kind(int reading, const settings *set,
                            const uint8_t *data, size_t size, float **notes,
                            long *count)
{
    rnn_vocab *vocab = rnn_vocab_new(RNN_DEFAULT_CAPACITY);
    FUZZ_CHECK(vocab != NULL, "a vocabulary");
    rnn_corpus corpus = {0};
    rnn_status status = read_as(reading, set, &corpus, vocab, 1);
    check_indices(&corpus, vocab);
    FUZZ_CHECK(corpus.unknown == 0, "unknown tokens in a growing read");
    FUZZ_CHECK(status == RNN_OK ? corpus.length > 0
                                : status == RNN_ERR_ARG && !corpus.length,
               "reading %d: status %d with %ld tokens", reading, status,
               corpus.length);
    if (reading == CHARS)
        check_chars(&corpus, vocab, data, size);
    else if (reading == WORDS)
        check_words(&corpus, vocab, data, size);
    else if (reading == AUDIO)
        check_audio(&corpus, vocab, set->classes);
    else
        check_midi(&corpus, vocab, reading == MIDI ? 0 : set->grid);
    *count = corpus.length;
    *notes = malloc((size_t)(corpus.length + 1) * sizeof **notes);
    FUZZ_CHECK(*notes != NULL, "memory for %ld values", corpus.length);
    for (long i = 0; i < corpus.length; i++)
        (*notes)[i] = rnn_vocab_token(vocab, corpus.tokens[i])->value;
    if (status == RNN_OK) {
        check_known(reading, set, &corpus, vocab);
        check_small(reading, set, &corpus, vocab);
        check_append(reading, set, &corpus, vocab);
    }
    rnn_corpus_free(&corpus);
    FUZZ_CHECK(!corpus.tokens && !corpus.starts && !corpus.length,
               "a freed corpus is empty");
    rnn_vocab_free(vocab);
    return status;
}

/* Notes written as a MIDI file (rnn_midi_write) read back the same. */
static void check_written(const float *values, long count, int grid)
{
    char written[sizeof path + 8], why[512] = "";
    snprintf(written, sizeof written, "%s.mid", path);
    rnn_status status = rnn_midi_write(written, values, count, grid, why,
                                       sizeof why);
    FUZZ_CHECK(status == RNN_OK, "%ld notes of grid %d written: %s", count,
               grid, why);
    rnn_vocab *vocab = rnn_vocab_new(RNN_DEFAULT_CAPACITY);
    rnn_corpus corpus = {0};
    FUZZ_CHECK(vocab != NULL, "a vocabulary");
    status = rnn_corpus_read_midi(&corpus, vocab, written, 1, grid, why,
                                  sizeof why);
    FUZZ_CHECK(status == RNN_OK && corpus.length == count,
               "%ld notes of grid %d read back as %ld: %s", count, grid,
               corpus.length, why);
    for (long i = 0; i < count; i++)
        FUZZ_CHECK(rnn_vocab_token(vocab, corpus.tokens[i])->value
                       == values[i],
                   "note %ld of grid %d: %g written, %g read", i, grid,
                   (double)values[i],
                   (double)rnn_vocab_token(vocab, corpus.tokens[i])->value);
    rnn_corpus_free(&corpus);
    rnn_vocab_free(vocab);
    unlink(written);
}

/* Settings out of range are refused before the file is read. */
static void check_refusals(void)
{
    static const int classes[] = {INT_MIN, -1, 0, 1, 65537, INT_MAX};
    static const int grids[] = {INT_MIN, -1, RNN_MIDI_MAX_GRID + 1, INT_MAX};
    rnn_vocab *vocab = rnn_vocab_new(4);
    rnn_corpus corpus = {0};
    char why[256];
    int rate = -1;
    FUZZ_CHECK(vocab != NULL, "a vocabulary");
    for (size_t k = 0; k < sizeof classes / sizeof *classes; k++) {
        why[0] = 0;
        FUZZ_CHECK(rnn_corpus_read(&corpus, vocab, path, RNN_TOKENS_AUDIO, 1,
                                   classes[k], &rate, why, sizeof why)
                           == RNN_ERR_ARG
                       && why[0] && !corpus.length,
                   "%d classes", classes[k]);
    }
    for (size_t k = 0; k < sizeof grids / sizeof *grids; k++) {
        why[0] = 0;
        FUZZ_CHECK(rnn_corpus_read_midi(&corpus, vocab, path, 1, grids[k],
                                        why, sizeof why)
                           == RNN_ERR_ARG
                       && why[0] && !corpus.length,
                   "a grid of %d", grids[k]);
    }
    rnn_corpus_free(&corpus);
    rnn_vocab_free(vocab);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!write_file(data, size)) {
        fprintf(stderr, "fuzz corpus: cannot write %s\n", path);
        abort();
    }
    settings set = settings_of(data, size);
    float *pitches = NULL, *notes = NULL;
    long pitch_count = 0, note_count = 0;
    for (int reading = 0; reading < READINGS; reading++) {
        float *values = NULL;
        long count = 0;
        read_kind(reading, &set, data, size, &values, &count);
        if (reading == MIDI) {
            pitches = values, pitch_count = count;
        } else if (reading == MIDI_GRID) {
            notes = values, note_count = count;
        } else {
            free(values);
        }
    }

    /* the same notes whatever the grid: pitch * 100 + steps */
    FUZZ_CHECK(pitch_count == note_count, "%ld pitches, %ld notes",
               pitch_count, note_count);
    for (long i = 0; i < pitch_count; i++)
        FUZZ_CHECK(floorf(notes[i] / 100) == pitches[i],
                   "note %ld: %g at grid %d, pitch %g", i, (double)notes[i],
                   set.grid, (double)pitches[i]);
    if (note_count > 0) {
        check_written(pitches, pitch_count, 0);
        check_written(notes, note_count, set.grid);
    }
    free(pitches);
    free(notes);
    check_refusals();
    unlink(path);
    return 0;
}
