/* The vocabulary: tokens <-> indices, grown as tokens arrive, looked up
 * through an open-addressing hash table so that the per-event lookup does
 * not depend on the vocabulary's size. */

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rnn.h"

struct rnn_vocab {
    rnn_token *tokens; /* (size) in index order; texts owned here */
    int size;
    int allocated;     /* tokens allocated */
    int capacity;      /* most tokens the vocabulary may hold */
    int *slots;        /* (slot_count) index + 1, 0 for an empty slot */
    int slot_count;    /* a power of two, at least twice size */
};

/* FNV-1a over the token's type and its bytes. */
static uint32_t token_hash(const rnn_token *token)
{
    uint32_t hash = 2166136261u ^ (uint32_t)token->type;
    hash *= 16777619u;
    if (token->type == RNN_TOKEN_FLOAT) {
        float value = token->value == 0 ? 0.0f : token->value; /* -0 */
        unsigned char bytes[sizeof value];
        memcpy(bytes, &value, sizeof value);
        for (size_t i = 0; i < sizeof value; i++)
            hash = (hash ^ bytes[i]) * 16777619u;
    } else {
        for (const unsigned char *c = (const unsigned char *)token->text; *c;
             c++)
            hash = (hash ^ *c) * 16777619u;
    }
    return hash;
}

static int token_equal(const rnn_token *a, const rnn_token *b)
{
    if (a->type != b->type)
        return 0;
    if (a->type == RNN_TOKEN_FLOAT)
        return a->value == b->value;
    return strcmp(a->text, b->text) == 0;
}

rnn_vocab *rnn_vocab_new(int capacity)
{
    if (capacity < 1 || capacity > RNN_MAX_VOCAB)
        return NULL;
    rnn_vocab *vocab = calloc(1, sizeof *vocab);
    if (!vocab)
        return NULL;
    vocab->capacity = capacity;
    vocab->slot_count = 64;
    vocab->slots = calloc((size_t)vocab->slot_count, sizeof *vocab->slots);
    if (!vocab->slots) {
        free(vocab);
        return NULL;
    }
    return vocab;
}

void rnn_vocab_free(rnn_vocab *vocab)
{
    if (!vocab)
        return;
    for (int i = 0; i < vocab->size; i++)
        if (vocab->tokens[i].type == RNN_TOKEN_SYMBOL)
            free((char *)vocab->tokens[i].text);
    free(vocab->tokens);
    free(vocab->slots);
    free(vocab);
}

int rnn_vocab_size(const rnn_vocab *vocab)
{
    return vocab->size;
}

rnn_status rnn_vocab_set_capacity(rnn_vocab *vocab, int capacity)
{
    if (capacity < vocab->size || capacity < 1 || capacity > RNN_MAX_VOCAB)
        return RNN_ERR_ARG;
    vocab->capacity = capacity;
    return RNN_OK;
}

int rnn_vocab_capacity(const rnn_vocab *vocab)
{
    return vocab->capacity;
}

const rnn_token *rnn_vocab_token(const rnn_vocab *vocab, int index)
{
    if (index < 0 || index >= vocab->size)
        return NULL;
    return &vocab->tokens[index];
}

/* The slot holding the token, or the empty slot where it would go. */
static int find_slot(const rnn_vocab *vocab, const rnn_token *token)
{
    uint32_t mask = (uint32_t)vocab->slot_count - 1;
    uint32_t slot = token_hash(token) & mask;
    while (vocab->slots[slot]) {
        if (token_equal(&vocab->tokens[vocab->slots[slot] - 1], token))
            break;
        slot = (slot + 1) & mask;
    }
    return (int)slot;
}

int rnn_vocab_find(const rnn_vocab *vocab, const rnn_token *token)
{
    if (token->type == RNN_TOKEN_SYMBOL && !token->text)
        return -1;
    return vocab->slots[find_slot(vocab, token)] - 1;
}

/* Double the hash table; the old one stays if memory runs out. */
static rnn_status grow_slots(rnn_vocab *vocab)
{
    int count = vocab->slot_count * 2;
    int *slots = calloc((size_t)count, sizeof *slots);
    if (!slots)
        return RNN_ERR_NOMEM;
    int *old = vocab->slots;
    vocab->slots = slots;
    vocab->slot_count = count;
    for (int i = 0; i < vocab->size; i++)
        vocab->slots[find_slot(vocab, &vocab->tokens[i])] = i + 1;
    free(old);
    return RNN_OK;
}

rnn_status rnn_vocab_add(rnn_vocab *vocab, const rnn_token *token,
                         int *index)
{
    if (token->type == RNN_TOKEN_FLOAT && !isfinite(token->value))
        return RNN_ERR_NONFINITE;
    if (token->type == RNN_TOKEN_SYMBOL && !token->text)
        return RNN_ERR_ARG;
    int found = rnn_vocab_find(vocab, token);
    if (found >= 0) {
        *index = found;
        return RNN_OK;
    }
    if (vocab->size >= vocab->capacity)
        return RNN_ERR_FULL;

    /* make room first, so that a failure leaves the vocabulary as it was */
    if (vocab->size * 2 + 2 > vocab->slot_count && grow_slots(vocab))
        return RNN_ERR_NOMEM;
    if (vocab->size == vocab->allocated) {
        int allocated = vocab->allocated ? vocab->allocated * 2 : 64;
        rnn_token *tokens =
            realloc(vocab->tokens, (size_t)allocated * sizeof *tokens);
        if (!tokens)
            return RNN_ERR_NOMEM;
        vocab->tokens = tokens;
        vocab->allocated = allocated;
    }
    rnn_token copy = *token;
    if (copy.type == RNN_TOKEN_SYMBOL) {
        size_t length = strlen(token->text);
        char *text = malloc(length + 1);
        if (!text)
            return RNN_ERR_NOMEM;
        memcpy(text, token->text, length + 1);
        copy.text = text;
        copy.value = 0;
    } else {
        copy.text = NULL;
        if (copy.value == 0)
            copy.value = 0.0f; /* one zero, not two */
    }

    vocab->tokens[vocab->size] = copy;
    vocab->slots[find_slot(vocab, &copy)] = vocab->size + 1;
    *index = vocab->size++;
    return RNN_OK;
}

/* The length of a UTF-8 sequence from its lead byte, checked against the
 * continuation bytes that follow; an invalid or cut sequence counts as one
 * byte, so that no input is ever dropped. */
size_t rnn_utf8_char_length(const char *text, size_t len)
{
    if (len == 0)
        return 0;
    unsigned char lead = (unsigned char)text[0];
    size_t need;
    if (lead < 0x80)
        return 1;
    else if (lead >= 0xc2 && lead <= 0xdf)
        need = 2;
    else if (lead >= 0xe0 && lead <= 0xef)
        need = 3;
    else if (lead >= 0xf0 && lead <= 0xf4)
        need = 4;
    else
        return 1;
    if (need > len)
        return 1;
    for (size_t i = 1; i < need; i++)
        if (((unsigned char)text[i] & 0xc0) != 0x80)
            return 1;
    return need;
}
