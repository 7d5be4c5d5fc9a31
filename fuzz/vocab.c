/* Fuzz target: the vocabulary (rnn_vocab_*) and the UTF-8 splitting of
 * -chars mode (rnn_utf8_char_length).
 *
 * The first byte picks a capacity; then the bytes are a program of tokens
 * added, looked up and fetched, and of capacity changes, checked against
 * what rnn.h promises: an added token gets an index below the size, finds
 * itself there and comes back equal; a full vocabulary says so only when
 * full; a NaN or infinite float is refused.  Every symbol is also split
 * into characters as [rnn.encode -chars] does, and each character added. */

#include "fuzz.h"
#include "../pd-rnn/core/rnn.h"

#define MAX_TEXT 300

static int same_token(const rnn_token *a, const rnn_token *b)
{
    if (a->type != b->type)
        return 0;
    if (a->type == RNN_TOKEN_FLOAT)
        return a->value == b->value; /* -0 and 0 are one token */
    return !strcmp(a->text, b->text);
}

/* Add a token and check everything the header promises about it. */
static void add_checked(rnn_vocab *vocab, const rnn_token *token)
{
    int before = rnn_vocab_size(vocab);
    int known = rnn_vocab_find(vocab, token);
    int index = -7;
    rnn_status status = rnn_vocab_add(vocab, token, &index);
    int after = rnn_vocab_size(vocab);
    if (token->type == RNN_TOKEN_FLOAT && !isfinite(token->value)) {
        FUZZ_CHECK(status == RNN_ERR_NONFINITE && after == before,
                   "a non-finite float: status %d", status);
        return;
    }
    if (status == RNN_ERR_FULL) {
        FUZZ_CHECK(known < 0 && before >= rnn_vocab_capacity(vocab)
                       && after == before,
                   "full at %d of %d", before, rnn_vocab_capacity(vocab));
        return;
    }
    FUZZ_CHECK(status == RNN_OK, "add: status %d", status);
    FUZZ_CHECK(index >= 0 && index < after, "index %d of %d", index, after);
    FUZZ_CHECK(known < 0 ? after == before + 1 && index == before
                         : after == before && index == known,
               "known %d, index %d, size %d -> %d", known, index, before,
               after);
    FUZZ_CHECK(after <= rnn_vocab_capacity(vocab), "size over capacity");
    FUZZ_CHECK(rnn_vocab_find(vocab, token) == index, "find after add");
    const rnn_token *stored = rnn_vocab_token(vocab, index);
    FUZZ_CHECK(stored && same_token(stored, token), "the token comes back");
}

/* Split a text as -chars does and check each piece: at least one byte,
 * no more than what is left, a lead byte with its continuation bytes, and
 * the pieces put together are the text. */
static void split_checked(rnn_vocab *vocab, const char *text, size_t length)
{
    size_t at = 0;
    FUZZ_CHECK(rnn_utf8_char_length(text, 0) == 0, "length of nothing");
    while (at < length) {
        size_t n = rnn_utf8_char_length(text + at, length - at);
        FUZZ_CHECK(n >= 1 && n <= 4 && n <= length - at,
                   "character of %zu bytes with %zu left", n, length - at);
        unsigned char lead = (unsigned char)text[at];
        if (n > 1) {
            size_t expect = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : 2;
            FUZZ_CHECK(lead >= 0xc2 && lead <= 0xf4 && n == expect,
                       "lead byte 0x%02x of a %zu-byte character", lead, n);
            for (size_t k = 1; k < n; k++)
                FUZZ_CHECK(((unsigned char)text[at + k] & 0xc0) == 0x80,
                           "continuation byte %zu", k);
        }
        char character[8];
        memcpy(character, text + at, n);
        character[n] = 0;
        rnn_token token = {RNN_TOKEN_SYMBOL, 0, character};
        add_checked(vocab, &token);
        at += n;
    }
    FUZZ_CHECK(at == length, "the characters cover the text");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_stream s = {data, size, 0};
    int capacity = fuzz_int(&s, 40);
    rnn_vocab *vocab = rnn_vocab_new(capacity);
    if (capacity < 1 || capacity > RNN_MAX_VOCAB) {
        FUZZ_CHECK(vocab == NULL, "a vocabulary of capacity %d", capacity);
        return 0;
    }
    if (!vocab)
        return 0;
    char text[MAX_TEXT + 1];
    while (fuzz_more(&s)) {
        switch (fuzz_u8(&s) % 6) {
        case 0: { /* a symbol; its bytes up to the first NUL count */
            size_t length = fuzz_u8(&s);
            size_t k = 0;
            while (k < length && fuzz_more(&s))
                text[k++] = (char)fuzz_u8(&s);
            text[k] = 0;
            rnn_token token = {RNN_TOKEN_SYMBOL, 0, text};
            if (text[0])
                add_checked(vocab, &token);
            split_checked(vocab, text, strlen(text));
            break;
        }
        case 1: { /* a float */
            rnn_token token = {RNN_TOKEN_FLOAT, fuzz_float(&s), NULL};
            add_checked(vocab, &token);
            break;
        }
        case 2: { /* a capacity: refused below the size or out of range */
            int wanted = fuzz_int(&s, rnn_vocab_size(vocab));
            int size_now = rnn_vocab_size(vocab);
            rnn_status status = rnn_vocab_set_capacity(vocab, wanted);
            int fits = wanted >= size_now && wanted >= 1
                       && wanted <= RNN_MAX_VOCAB;
            FUZZ_CHECK(fits ? status == RNN_OK : status == RNN_ERR_ARG,
                       "capacity %d with %d tokens: status %d", wanted,
                       size_now, status);
            break;
        }
        case 3: { /* a token by any index */
            int index = fuzz_int(&s, rnn_vocab_size(vocab));
            const rnn_token *token = rnn_vocab_token(vocab, index);
            int inside = index >= 0 && index < rnn_vocab_size(vocab);
            FUZZ_CHECK(inside == (token != NULL), "token %d", index);
            if (token)
                FUZZ_CHECK(rnn_vocab_find(vocab, token) == index,
                           "token %d finds itself", index);
            break;
        }
        case 4: { /* a symbol token without text */
            rnn_token token = {RNN_TOKEN_SYMBOL, 0, NULL};
            int index;
            FUZZ_CHECK(rnn_vocab_find(vocab, &token) == -1, "find NULL");
            FUZZ_CHECK(rnn_vocab_add(vocab, &token, &index) == RNN_ERR_ARG,
                       "add NULL");
            break;
        }
        default: { /* raw bytes, split (they may hold a NUL) */
            size_t length = fuzz_u8(&s) % 16;
            size_t k = 0;
            while (k < length && fuzz_more(&s))
                text[k++] = (char)fuzz_u8(&s);
            size_t at = 0;
            while (at < k) {
                size_t n = rnn_utf8_char_length(text + at, k - at);
                FUZZ_CHECK(n >= 1 && n <= k - at, "raw character");
                at += n;
            }
            break;
        }
        }
    }
    rnn_vocab_free(vocab);
    return 0;
}
