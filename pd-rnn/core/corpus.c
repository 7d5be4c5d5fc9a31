/* Corpus readers for offline training: UTF-8 text as characters, token
 * lines as words or numbers, and sound files through libsndfile as mu-law
 * classes.  Only the command line links this file (and libsndfile); the
 * Pd library does not need it. */

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sndfile.h>

#include "rnn.h"

/* ------------------------------------------------------------ growth */

/* At most this many tokens in memory (1.25 GiB): a corpus, or a sound
 * file whose header lies about its length, cannot take the machine. */
#define MAX_CORPUS (1L << 28)

static rnn_status corpus_push(rnn_corpus *corpus, int token, int start,
                              long *allocated)
{
    if (corpus->length >= MAX_CORPUS)
        return RNN_ERR_SIZE;
    if (corpus->length == *allocated) {
        long grown = *allocated ? *allocated * 2 : 65536;
        int *tokens = realloc(corpus->tokens, (size_t)grown * sizeof(int));
        if (!tokens)
            return RNN_ERR_NOMEM;
        corpus->tokens = tokens;
        unsigned char *starts = realloc(corpus->starts, (size_t)grown);
        if (!starts)
            return RNN_ERR_NOMEM;
        corpus->starts = starts;
        *allocated = grown;
    }
    corpus->tokens[corpus->length] = token;
    corpus->starts[corpus->length] = (unsigned char)(start != 0);
    corpus->length++;
    return RNN_OK;
}

/* A token's index, added when growing; -1 when left out. */
static rnn_status corpus_token(rnn_corpus *corpus, rnn_vocab *vocab,
                               const rnn_token *token, int grow, int *start,
                               long *allocated)
{
    int index = rnn_vocab_find(vocab, token);
    if (index < 0 && grow) {
        rnn_status status = rnn_vocab_add(vocab, token, &index);
        if (status)
            return status;
    }
    if (index < 0) {
        corpus->unknown++;
        return RNN_OK;
    }
    rnn_status status = corpus_push(corpus, index, *start, allocated);
    *start = 0;
    return status;
}

void rnn_corpus_free(rnn_corpus *corpus)
{
    free(corpus->tokens);
    free(corpus->starts);
    memset(corpus, 0, sizeof *corpus);
}

/* ------------------------------------------------------------ text */

static char *read_whole(const char *path, size_t *size, char *why,
                        size_t why_size)
{
    FILE *file = fopen(path, "rb");
    if (!file) {
        snprintf(why, why_size, "%s: %s", path, strerror(errno));
        return NULL;
    }
    size_t allocated = 65536, used = 0, got;
    char *bytes = malloc(allocated + 1);
    while (bytes && (got = fread(bytes + used, 1, allocated - used, file))) {
        used += got;
        if (used == allocated) {
            char *grown = realloc(bytes, allocated * 2 + 1);
            if (!grown) {
                free(bytes);
                bytes = NULL;
                break;
            }
            bytes = grown;
            allocated *= 2;
        }
    }
    int failed = ferror(file);
    fclose(file);
    if (!bytes || failed) {
        snprintf(why, why_size, "%s: %s", path,
                 bytes ? "read error" : "out of memory");
        free(bytes);
        return NULL;
    }
    bytes[used] = 0;
    *size = used;
    return bytes;
}

static rnn_status read_chars(rnn_corpus *corpus, rnn_vocab *vocab,
                             const char *text, size_t size, int grow,
                             long *allocated)
{
    char character[8];
    rnn_token token = {RNN_TOKEN_SYMBOL, 0, character};
    int start = 1;
    for (size_t at = 0; at < size;) {
        size_t n = rnn_utf8_char_length(text + at, size - at);
        memcpy(character, text + at, n);
        character[n] = 0;
        at += n;
        if (n == 1 && character[0] == 0)
            continue; /* a NUL byte is no character of a text */
        rnn_status status =
            corpus_token(corpus, vocab, &token, grow, &start, allocated);
        if (status)
            return status;
    }
    return RNN_OK;
}

/* A word that reads whole as a finite number is a float token. */
static rnn_token word_token(const char *word)
{
    char *end;
    errno = 0;
    double value = strtod(word, &end);
    rnn_token token = {RNN_TOKEN_SYMBOL, 0, word};
    if (*word && !*end && !errno && isfinite(value) && fabs(value) < 3e38) {
        token.type = RNN_TOKEN_FLOAT;
        token.value = (float)value;
        token.text = NULL;
    }
    return token;
}

static rnn_status read_words(rnn_corpus *corpus, rnn_vocab *vocab,
                             char *text, size_t size, int grow,
                             long *allocated)
{
    int start = 1;
    for (size_t at = 0; at < size;) {
        char c = text[at];
        if (c == '\n') {
            start = 1; /* every line is a sequence of its own */
            at++;
            continue;
        }
        if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v'
            || c == 0) {
            at++;
            continue;
        }
        size_t end = at;
        while (end < size && text[end] != ' ' && text[end] != '\t'
               && text[end] != '\n' && text[end] != '\r' && text[end] != 0)
            end++;
        char keep = text[end];
        text[end] = 0;
        rnn_token token = word_token(text + at);
        rnn_status status =
            corpus_token(corpus, vocab, &token, grow, &start, allocated);
        text[end] = keep;
        if (status)
            return status;
        at = end;
    }
    return RNN_OK;
}

/* ------------------------------------------------------------ audio */

int rnn_mulaw_encode(double sample, int classes)
{
    double mu = classes - 1;
    sample = sample < -1 ? -1 : sample > 1 ? 1 : sample;
    double y = (sample < 0 ? -1 : 1) * log1p(mu * fabs(sample)) / log1p(mu);
    int value = (int)floor((y + 1) / 2 * mu + 0.5);
    return value < 0 ? 0 : value >= classes ? classes - 1 : value;
}

double rnn_mulaw_decode(int value, int classes)
{
    double mu = classes - 1;
    double y = 2.0 * value / mu - 1;
    return (y < 0 ? -1 : 1) * (pow(1 + mu, fabs(y)) - 1) / mu;
}

/* The frame count in a header is not trusted: frames are read in blocks
 * until the file ends. */
static rnn_status read_audio(rnn_corpus *corpus, rnn_vocab *vocab,
                             const char *path, int grow, int classes,
                             int *rate, long *allocated, char *why,
                             size_t why_size)
{
    SF_INFO info;
    memset(&info, 0, sizeof info);
    SNDFILE *file = sf_open(path, SFM_READ, &info);
    if (!file) {
        snprintf(why, why_size, "%s: %s", path, sf_strerror(NULL));
        return RNN_ERR_ARG;
    }
    if (info.channels < 1 || info.channels > 1024 || info.samplerate < 1) {
        sf_close(file);
        snprintf(why, why_size, "%s: not a usable sound file", path);
        return RNN_ERR_ARG;
    }
    *rate = info.samplerate;
    enum { BLOCK = 4096 };
    float *block = malloc((size_t)BLOCK * info.channels * sizeof(float));
    if (!block) {
        sf_close(file);
        return RNN_ERR_NOMEM;
    }
    int start = 1;
    rnn_status status = RNN_OK;
    sf_count_t got;
    while (status == RNN_OK && (got = sf_readf_float(file, block, BLOCK)) > 0) {
        for (sf_count_t f = 0; f < got && status == RNN_OK; f++) {
            double mix = 0;
            for (int c = 0; c < info.channels; c++)
                mix += block[f * info.channels + c];
            mix /= info.channels;
            if (!isfinite(mix))
                mix = 0;
            rnn_token token = {RNN_TOKEN_FLOAT,
                               (float)rnn_mulaw_encode(mix, classes), NULL};
            status = corpus_token(corpus, vocab, &token, grow, &start,
                                  allocated);
        }
    }
    free(block);
    sf_close(file);
    return status;
}

/* ------------------------------------------------------------ any */

rnn_status rnn_corpus_read(rnn_corpus *corpus, rnn_vocab *vocab,
                           const char *path, rnn_token_kind kind, int grow,
                           int classes, int *rate, char *why,
                           size_t why_size)
{
    long allocated = corpus->length; /* grown from there at the next push */
    long before = corpus->length;
    rnn_status status;
    if (kind == RNN_TOKENS_AUDIO) {
        if (classes < 2 || classes > 65536) {
            snprintf(why, why_size, "classes must be 2 to 65536");
            return RNN_ERR_ARG;
        }
        status = read_audio(corpus, vocab, path, grow, classes, rate,
                            &allocated, why, why_size);
        if (status)
            return status;
    } else {
        size_t size;
        char *text = read_whole(path, &size, why, why_size);
        if (!text)
            return RNN_ERR_ARG;
        status = kind == RNN_TOKENS_WORDS
                     ? read_words(corpus, vocab, text, size, grow, &allocated)
                     : read_chars(corpus, vocab, text, size, grow,
                                  &allocated);
        free(text);
    }
    if (status == RNN_ERR_FULL)
        snprintf(why, why_size, "%s: more distinct tokens than the "
                                "vocabulary's capacity",
                 path);
    else if (status == RNN_ERR_SIZE)
        snprintf(why, why_size, "%s: the corpus passes %ld tokens; "
                                "train on parts of it",
                 path, MAX_CORPUS);
    else if (status)
        snprintf(why, why_size, "%s: %s", path, rnn_strerror(status));
    else if (corpus->length == before && !corpus->unknown) {
        snprintf(why, why_size, "%s: no tokens in it", path);
        status = RNN_ERR_ARG;
    }
    return status;
}
