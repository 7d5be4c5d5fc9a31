/* The model file: everything a model knows, in one versioned,
 * little-endian file with a checksum.  Reading parses into a new model and
 * returns it only when every check passed; writing goes to a temporary
 * file in the same folder, renamed over the old one once it is complete.
 *
 * Layout (version 2), every number little-endian:
 *   "PDRNNMDL"  magic, 8 bytes
 *   u32         version
 *   ...         the body, as written by put_body() below
 *   u32         CRC-32 (IEEE) of every byte before it
 */

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

#define MAGIC "PDRNNMDL"
#define MAGIC_SIZE 8
#define FORMAT_VERSION 2
#define MAX_TOKEN_BYTES 65536

/* ------------------------------------------------------------ checksum */

static uint32_t crc32_of(const unsigned char *bytes, size_t size)
{
    uint32_t table[256];
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t c = n;
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
        table[n] = c;
    }
    uint32_t crc = 0xffffffffu;
    for (size_t i = 0; i < size; i++)
        crc = table[(crc ^ bytes[i]) & 0xff] ^ (crc >> 8);
    return crc ^ 0xffffffffu;
}

/* ------------------------------------------------------------ writing */

typedef struct writer {
    unsigned char *bytes;
    size_t size;
    size_t allocated;
    int failed;
} writer;

static void put_bytes(writer *w, const void *data, size_t size)
{
    if (w->failed)
        return;
    if (w->size + size > w->allocated) {
        size_t allocated = w->allocated ? w->allocated : 4096;
        while (allocated < w->size + size)
            allocated *= 2;
        unsigned char *grown = realloc(w->bytes, allocated);
        if (!grown) {
            w->failed = 1;
            return;
        }
        w->bytes = grown;
        w->allocated = allocated;
    }
    memcpy(w->bytes + w->size, data, size);
    w->size += size;
}

static void put_u64(writer *w, uint64_t value)
{
    unsigned char b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (unsigned char)(value >> (8 * i));
    put_bytes(w, b, 8);
}

static void put_u32(writer *w, uint32_t value)
{
    unsigned char b[4];
    for (int i = 0; i < 4; i++)
        b[i] = (unsigned char)(value >> (8 * i));
    put_bytes(w, b, 4);
}

static void put_f64(writer *w, double value)
{
    uint64_t bits;
    memcpy(&bits, &value, 8);
    put_u64(w, bits);
}

static void put_f32(writer *w, float value)
{
    uint32_t bits;
    memcpy(&bits, &value, 4);
    put_u32(w, bits);
}

static void put_reals(writer *w, const rnn_real *values, size_t count)
{
    for (size_t i = 0; i < count; i++)
        put_f32(w, (float)values[i]);
}

/* a tensor: its values and both optimizer moments */
static void put_param(writer *w, const rnn_param *param)
{
    put_reals(w, param->value, param->count);
    put_reals(w, param->moment1, param->count);
    put_reals(w, param->moment2, param->count);
}

static void put_vocab(writer *w, const rnn_vocab *vocab)
{
    int size = rnn_vocab_size(vocab);
    put_u32(w, (uint32_t)rnn_vocab_capacity(vocab));
    put_u32(w, (uint32_t)size);
    for (int i = 0; i < size; i++) {
        const rnn_token *token = rnn_vocab_token(vocab, i);
        unsigned char type = (unsigned char)token->type;
        put_bytes(w, &type, 1);
        if (token->type == RNN_TOKEN_FLOAT) {
            put_f32(w, token->value);
        } else {
            size_t length = strlen(token->text);
            put_u32(w, (uint32_t)length);
            put_bytes(w, token->text, length);
        }
    }
}

/* The window of recent steps, oldest first, so that training goes on
 * after a read exactly as it would have. */
static void put_window(writer *w, const rnn_recurrent *rec)
{
    size_t h = (size_t)rec->hidden;
    size_t step = (size_t)rec->layers * rec->width * h;
    put_u32(w, (uint32_t)rec->count);
    put_u32(w, (uint32_t)rec->untrained);
    put_u32(w, (uint32_t)rec->graded);
    for (int l = 0; l < rec->layers; l++) {
        put_reals(w, rec->layer[l].h_start, h);
        put_reals(w, rec->layer[l].c_start, h);
    }
    for (int i = 0; i < rec->count; i++) {
        int slot = (rec->first + i) % rec->window;
        int index = rec->input_index[slot];
        put_u32(w, index >= 0 ? (uint32_t)index : 0xffffffffu);
        if (index < 0) {
            put_u32(w, (uint32_t)rec->dense_size[slot]);
            put_reals(w, rec->dense[slot], (size_t)rec->dense_size[slot]);
        }
        put_reals(w, rec->cache + slot * step, step);
        put_reals(w, rec->errors + slot * h, h);
    }
}

static void put_body(writer *w, const rnn_model *m)
{
    /* shape and settings */
    put_u32(w, (uint32_t)rnn_model_cell_type(m));
    put_u32(w, (uint32_t)rnn_model_layers(m));
    put_u32(w, (uint32_t)m->has_cell);
    put_u32(w, m->has_cell ? (uint32_t)m->cell.hidden : 0);
    put_u32(w, (uint32_t)rnn_model_input_size(m));
    put_u32(w, (uint32_t)m->has_readout);
    put_u32(w, m->has_readout ? (uint32_t)m->readout.hidden : 0);
    put_u32(w, m->has_readout ? (uint32_t)m->readout.rows : 0);
    put_u32(w, (uint32_t)m->window);
    put_u32(w, (uint32_t)m->every);
    put_u32(w, (uint32_t)m->optim.kind);
    put_u32(w, (uint32_t)m->learn);
    put_u32(w, (uint32_t)m->top_k);
    put_f64(w, m->optim.lr);
    put_f64(w, m->optim.clip);
    put_f64(w, m->optim.beta1);
    put_f64(w, m->optim.beta2);
    put_f64(w, m->optim.epsilon);
    put_f64(w, m->temperature);
    put_u64(w, m->weight_rng.state);
    put_u64(w, m->weight_rng.inc);
    put_u64(w, m->sample_rng.state);
    put_u64(w, m->sample_rng.inc);
    put_vocab(w, m->vocab);

    /* the cell: each layer's weights, optimizer state and state */
    if (m->has_cell) {
        put_u64(w, (uint64_t)m->cell.updates);
        for (int l = 0; l < m->cell.layers; l++) {
            const rnn_layer *layer = &m->cell.layer[l];
            put_param(w, &layer->w_in);
            put_param(w, &layer->w_rec);
            put_param(w, &layer->b_in);
            put_param(w, &layer->b_rec);
            put_reals(w, layer->h, (size_t)m->cell.hidden);
            put_reals(w, layer->c, (size_t)m->cell.hidden);
        }
        put_window(w, &m->cell);
    }

    /* the readout, with the prediction waiting for its target */
    if (m->has_readout) {
        put_u64(w, (uint64_t)m->readout.updates);
        put_u32(w, (uint32_t)m->readout.since_update);
        put_param(w, &m->readout.weight);
        put_param(w, &m->readout.bias);
        put_u32(w, (uint32_t)m->readout.has_pending);
        put_reals(w, m->readout.pending, (size_t)m->readout.hidden);
    }

    /* the recent scores behind the running loss and accuracy */
    put_u32(w, (uint32_t)m->recent_count);
    put_u32(w, (uint32_t)m->recent_next);
    for (int i = 0; i < RNN_SCORE_HISTORY; i++)
        put_f32(w, m->recent_loss[i]);
    put_bytes(w, m->recent_hit, RNN_SCORE_HISTORY);
}

rnn_status rnn_model_to_bytes(rnn_model *model, unsigned char **bytes,
                              size_t *size)
{
    writer w = {0};
    rnn_model_flush(model);
    put_bytes(&w, MAGIC, MAGIC_SIZE);
    put_u32(&w, FORMAT_VERSION);
    put_body(&w, model);
    if (!w.failed)
        put_u32(&w, crc32_of(w.bytes, w.size));
    if (w.failed) {
        free(w.bytes);
        return RNN_ERR_NOMEM;
    }
    *bytes = w.bytes;
    *size = w.size;
    return RNN_OK;
}

/* ------------------------------------------------------------ reading */

typedef struct reader {
    const unsigned char *bytes;
    size_t size;
    size_t at;
    const char *error; /* the first thing found wrong */
} reader;

static int fail(reader *r, const char *why)
{
    if (!r->error)
        r->error = why;
    return 0;
}

static const unsigned char *take(reader *r, size_t size)
{
    if (r->error)
        return NULL;
    if (size > r->size - r->at) {
        fail(r, "the file ends too early (truncated?)");
        return NULL;
    }
    const unsigned char *at = r->bytes + r->at;
    r->at += size;
    return at;
}

static uint64_t get_u64(reader *r)
{
    const unsigned char *b = take(r, 8);
    uint64_t value = 0;
    for (int i = 0; b && i < 8; i++)
        value |= (uint64_t)b[i] << (8 * i);
    return value;
}

static uint32_t get_u32(reader *r)
{
    const unsigned char *b = take(r, 4);
    uint32_t value = 0;
    for (int i = 0; b && i < 4; i++)
        value |= (uint32_t)b[i] << (8 * i);
    return value;
}

static double get_f64(reader *r)
{
    uint64_t bits = get_u64(r);
    double value;
    memcpy(&value, &bits, 8);
    return value;
}

static float get_f32(reader *r)
{
    uint32_t bits = get_u32(r);
    float value;
    memcpy(&value, &bits, 4);
    return value;
}

/* count values, each finite */
static int get_reals(reader *r, rnn_real *values, size_t count)
{
    if (count > (r->size - r->at) / 4)
        return fail(r, "the file ends too early (truncated?)");
    for (size_t i = 0; i < count; i++) {
        float value = get_f32(r);
        if (!isfinite(value))
            return fail(r, "a weight is NaN or infinite");
        values[i] = value;
    }
    return !r->error;
}

static int get_param(reader *r, rnn_param *param)
{
    if (!get_reals(r, param->value, param->count)
        || !get_reals(r, param->moment1, param->count)
        || !get_reals(r, param->moment2, param->count))
        return 0;

    /* Adam's variance and Adagrad's sum of squares are never negative */
    for (size_t i = 0; i < param->count; i++)
        if (param->moment2[i] < 0)
            return fail(r, "an optimizer moment is negative");
    return 1;
}

/* a number of the header within [low, high] */
static int get_count(reader *r, uint32_t low, uint32_t high, int *value)
{
    uint32_t v = get_u32(r);
    *value = (int)low;
    if (r->error)
        return 0;
    if (v < low || v > high)
        return fail(r, "a size or setting is out of range");
    *value = (int)v;
    return 1;
}

static int get_vocab(reader *r, rnn_model *m)
{
    int capacity, size;
    if (!get_count(r, 1, RNN_MAX_VOCAB, &capacity)
        || !get_count(r, 0, (uint32_t)capacity, &size))
        return 0;
    rnn_vocab *vocab = rnn_vocab_new(capacity);
    if (!vocab)
        return fail(r, "out of memory");
    rnn_vocab_free(m->vocab);
    m->vocab = vocab;
    char *text = malloc(MAX_TOKEN_BYTES + 1);
    if (!text)
        return fail(r, "out of memory");
    for (int i = 0; i < size && !r->error; i++) {
        const unsigned char *type = take(r, 1);
        rnn_token token = {RNN_TOKEN_FLOAT, 0, NULL};
        if (!type)
            break;
        if (*type == RNN_TOKEN_FLOAT) {
            token.value = get_f32(r);
        } else if (*type == RNN_TOKEN_SYMBOL) {
            int length;
            if (!get_count(r, 0, MAX_TOKEN_BYTES, &length))
                break;
            const unsigned char *bytes = take(r, (size_t)length);
            if (!bytes)
                break;
            if (memchr(bytes, 0, (size_t)length)) {
                fail(r, "a token holds a NUL byte");
                break;
            }
            memcpy(text, bytes, (size_t)length);
            text[length] = 0;
            token.type = RNN_TOKEN_SYMBOL;
            token.text = text;
        } else {
            fail(r, "a token has an unknown type");
            break;
        }
        int index;
        if (r->error)
            break;
        if (rnn_vocab_add(vocab, &token, &index) != RNN_OK || index != i)
            fail(r, "the vocabulary holds a bad or repeated token");
    }
    free(text);
    return !r->error;
}

/* The shape of the model, as its header gives it. */
typedef struct shape {
    int type, layers, has_cell, hidden, input, has_readout, width, rows;
    rnn_rng weight_rng, sample_rng; /* set last: making the parts uses */
} shape;

static int get_settings(reader *r, rnn_model *m, shape *sh)
{
    int kind = 0;
    int *has_cell = &sh->has_cell, *hidden = &sh->hidden;
    int *has_readout = &sh->has_readout, *width = &sh->width;
    get_count(r, RNN_CELL_ELMAN, RNN_CELL_LSTM, &sh->type);
    get_count(r, 0, RNN_MAX_LAYERS, &sh->layers);
    get_count(r, 0, 1, has_cell);
    get_count(r, 0, RNN_MAX_HIDDEN, hidden);
    get_count(r, 0, RNN_MAX_INPUT, &sh->input);
    get_count(r, 0, 1, has_readout);
    get_count(r, 0, RNN_MAX_HIDDEN, width);
    get_count(r, 0, RNN_MAX_VOCAB, &sh->rows);
    get_count(r, 1, RNN_MAX_WINDOW, &m->window);
    get_count(r, 0, RNN_MAX_WINDOW, &m->every);
    get_count(r, RNN_OPTIM_SGD, RNN_OPTIM_ADAGRAD, &kind);
    get_count(r, 0, 1, &m->learn);
    get_count(r, 0, RNN_MAX_VOCAB, &m->top_k);
    m->optim.kind = (rnn_optim_kind)kind;
    m->optim.lr = get_f64(r);
    m->optim.clip = get_f64(r);
    m->optim.beta1 = get_f64(r);
    m->optim.beta2 = get_f64(r);
    m->optim.epsilon = get_f64(r);
    m->temperature = get_f64(r);
    sh->weight_rng.state = get_u64(r);
    sh->weight_rng.inc = get_u64(r) | 1u;
    sh->sample_rng.state = get_u64(r);
    sh->sample_rng.inc = get_u64(r) | 1u;
    if (r->error)
        return 0;
    if (!(m->optim.lr >= 0 && m->optim.lr <= 10)
        || !(m->optim.clip >= 0 && m->optim.clip <= 1e6)
        || !(m->optim.beta1 >= 0 && m->optim.beta1 < 1)
        || !(m->optim.beta2 >= 0 && m->optim.beta2 < 1)
        || !(m->optim.epsilon > 0 && m->optim.epsilon < 1)
        || !(m->temperature >= 0 && m->temperature <= 1e3))
        return fail(r, "a setting is out of range");
    if (*has_cell != (*hidden > 0) || *has_cell != (sh->layers > 0)
        || *has_readout != (*width > 0)
        || (*has_cell && *has_readout && *hidden != *width))
        return fail(r, "the cell and the readout do not fit together");
    return 1;
}

/* Sizes are checked against the bytes left before anything is allocated,
 * so that a forged header cannot ask for gigabytes. */
static int room_for(reader *r, double values)
{
    if (values * 4 > (double)(r->size - r->at))
        return fail(r, "the file ends too early (truncated?)");
    return 1;
}

static int get_window(reader *r, rnn_recurrent *rec)
{
    size_t h = (size_t)rec->hidden;
    size_t step = (size_t)rec->layers * rec->width * h;
    int count, untrained, graded;
    if (!get_count(r, 0, (uint32_t)rec->window, &count)
        || !get_count(r, 0, (uint32_t)rec->window, &untrained)
        || !get_count(r, 0, RNN_MAX_WINDOW * 4, &graded))
        return 0;
    for (int l = 0; l < rec->layers; l++) {
        get_reals(r, rec->layer[l].h_start, h);
        get_reals(r, rec->layer[l].c_start, h);
    }
    for (int i = 0; i < count && !r->error; i++) {
        uint32_t index = get_u32(r);
        if (index == 0xffffffffu) {
            int size;
            if (!get_count(r, 1, (uint32_t)rec->layer[0].input, &size)
                || !room_for(r, size))
                return 0;
            rec->dense[i] = malloc((size_t)size * sizeof(rnn_real));
            if (!rec->dense[i])
                return fail(r, "out of memory");
            rec->dense_allocated[i] = rec->dense_size[i] = size;
            get_reals(r, rec->dense[i], (size_t)size);
            rec->input_index[i] = -1;
        } else if (index < (uint32_t)rec->layer[0].input) {
            rec->input_index[i] = (int)index;
        } else {
            return fail(r, "a step of the window has a bad input");
        }
        get_reals(r, rec->cache + i * step, step);
        get_reals(r, rec->errors + i * h, h);
    }
    rec->count = count;
    rec->first = 0;
    rec->untrained = untrained < count ? untrained : count;
    rec->graded = graded;
    return !r->error;
}

static int get_cell(reader *r, rnn_model *m, const shape *sh)
{
    double h = sh->hidden, gh = (sh->type == RNN_CELL_LSTM   ? 4
                                 : sh->type == RNN_CELL_GRU ? 3
                                                            : 1) * h;
    double values = 3 * (sh->input * gh + (sh->layers - 1) * h * gh
                         + sh->layers * (gh * h + 2 * gh))
                    + 2 * h * sh->layers;
    if (!room_for(r, values))
        return 0;
    if (rnn_model_set_cell(m, (rnn_cell_type)sh->type, sh->hidden,
                           sh->layers)
        || rnn_recurrent_grow_input(&m->cell, sh->input, &m->weight_rng))
        return fail(r, "out of memory");
    m->cell.updates = (long)(get_u64(r) & 0x7fffffffffffffffULL);
    size_t bytes = (size_t)sh->hidden * sizeof(rnn_real);
    for (int l = 0; l < sh->layers && !r->error; l++) {
        rnn_layer *layer = &m->cell.layer[l];
        get_param(r, &layer->w_in);
        get_param(r, &layer->w_rec);
        get_param(r, &layer->b_in);
        get_param(r, &layer->b_rec);
        get_reals(r, layer->h, (size_t)sh->hidden);
        get_reals(r, layer->c, (size_t)sh->hidden);
        memcpy(layer->h_start, layer->h, bytes);
        memcpy(layer->c_start, layer->c, bytes);
    }
    return !r->error && get_window(r, &m->cell);
}

static int get_readout(reader *r, rnn_model *m, int width, int rows)
{
    if (rows > rnn_vocab_size(m->vocab))
        return fail(r, "the readout has more rows than the vocabulary");
    if (!room_for(r, 3 * ((double)rows * width + rows) + width))
        return 0;
    rnn_readout *readout = &m->readout;
    if (rnn_readout_init(readout, width, &m->weight_rng))
        return fail(r, "out of memory");
    m->has_readout = 1;
    if (rnn_readout_grow(readout, rows, &m->weight_rng))
        return fail(r, "out of memory");
    readout->updates = (long)(get_u64(r) & 0x7fffffffffffffffULL);
    get_count(r, 0, RNN_MAX_WINDOW, &readout->since_update);
    get_param(r, &readout->weight);
    get_param(r, &readout->bias);
    get_count(r, 0, 1, &readout->has_pending);
    get_reals(r, readout->pending, (size_t)width);
    if (!r->error && readout->has_pending && rows > 0)
        rnn_readout_forward(readout);
    else
        readout->has_pending = 0;
    return !r->error;
}

static int get_scores(reader *r, rnn_model *m)
{
    get_count(r, 0, RNN_SCORE_HISTORY, &m->recent_count);
    get_count(r, 0, RNN_SCORE_HISTORY - 1, &m->recent_next);
    m->loss_sum = 0;
    m->hit_sum = 0;
    for (int i = 0; i < RNN_SCORE_HISTORY; i++) {
        float loss = get_f32(r);
        if (!(loss >= 0 && loss < 1e4))
            return fail(r, "a recent loss is out of range");
        m->recent_loss[i] = loss;
    }
    const unsigned char *hits = take(r, RNN_SCORE_HISTORY);
    if (!hits)
        return 0;
    for (int i = 0; i < RNN_SCORE_HISTORY; i++) {
        if (hits[i] > 1)
            return fail(r, "a recent score is out of range");
        m->recent_hit[i] = hits[i];
    }
    /* the sums over the entries in use, as remember_score() keeps them */
    for (int i = 0; i < m->recent_count; i++) {
        int slot = (m->recent_next - 1 - i + 2 * RNN_SCORE_HISTORY)
                   % RNN_SCORE_HISTORY;
        m->loss_sum += m->recent_loss[slot];
        m->hit_sum += m->recent_hit[slot];
    }
    return 1;
}

rnn_model *rnn_model_from_bytes(const unsigned char *bytes, size_t size,
                                char *why, size_t why_size)
{
    reader r = {bytes, size, 0, NULL};

    /* the envelope: magic, version, checksum */
    if (size < MAGIC_SIZE + 8 || memcmp(bytes, MAGIC, MAGIC_SIZE)) {
        snprintf(why, why_size, "not a pd-rnn model file");
        return NULL;
    }
    r.at = MAGIC_SIZE;
    uint32_t version = get_u32(&r);
    if (version != FORMAT_VERSION) {
        snprintf(why, why_size,
                 "model file version %u; this pd-rnn reads version %d",
                 version, FORMAT_VERSION);
        return NULL;
    }
    r.size = size - 4;
    uint32_t stored = 0;
    for (int i = 0; i < 4; i++)
        stored |= (uint32_t)bytes[size - 4 + i] << (8 * i);
    if (crc32_of(bytes, size - 4) != stored) {
        snprintf(why, why_size, "checksum mismatch: the file is damaged");
        return NULL;
    }

    /* the body, into a new model */
    rnn_model *m = rnn_model_new(1);
    if (!m) {
        snprintf(why, why_size, "out of memory");
        return NULL;
    }
    shape sh = {0};
    if (get_settings(&r, m, &sh) && get_vocab(&r, m)
        && (!sh.has_cell || get_cell(&r, m, &sh))
        && (!sh.has_readout || get_readout(&r, m, sh.width, sh.rows))
        && get_scores(&r, m) && r.at != r.size)
        fail(&r, "unexpected bytes after the model");
    if (r.error) {
        snprintf(why, why_size, "%s", r.error);
        rnn_model_free(m);
        return NULL;
    }
    if (m->has_cell)
        m->cell.every = m->every > 0 && m->every < m->window ? m->every
                                                             : m->window;
    m->weight_rng = sh.weight_rng;
    m->sample_rng = sh.sample_rng;
    return m;
}

/* ------------------------------------------------------------ files */

/* The file a save replaces, in memory to free: a symbolic link is
 * followed to the file it names (which may not be there yet), so that the
 * link stays a link; something there that is not an ordinary file (a
 * folder, a device, a pipe) is refused, since the rename would replace
 * it.  NULL with why set when refused. */
static char *save_target(const char *path, char *why, size_t why_size)
{
    char *target = strdup(path);
    for (int links = 0; target; links++) {
        struct stat st;
        if (lstat(target, &st)) {
            if (errno == ENOENT)
                return target; /* a new file */
            snprintf(why, why_size, "cannot look at it (%s)",
                     strerror(errno));
            break;
        }
        if (S_ISREG(st.st_mode))
            return target;
        if (!S_ISLNK(st.st_mode)) {
            snprintf(why, why_size, "%s there, not a file: choose another "
                                    "name",
                     S_ISDIR(st.st_mode) ? "a folder" : "something else");
            break;
        }
        if (links == 40) {
            snprintf(why, why_size, "too many symbolic links");
            break;
        }
        /* the link's text, relative to the link's folder */
        char text[4096];
        ssize_t n = readlink(target, text, sizeof text - 1);
        if (n < 0) {
            snprintf(why, why_size, "cannot read the link (%s)",
                     strerror(errno));
            break;
        }
        text[n] = 0;
        const char *slash = strrchr(target, '/');
        size_t folder = text[0] == '/' || !slash ? 0
                        : (size_t)(slash - target) + 1;
        char *next = malloc(folder + (size_t)n + 1);
        if (!next) {
            snprintf(why, why_size, "out of memory");
            break;
        }
        memcpy(next, target, folder);
        memcpy(next + folder, text, (size_t)n + 1);
        free(target);
        target = next;
    }
    if (!target)
        snprintf(why, why_size, "out of memory");
    free(target);
    return NULL;
}

/* A new temporary file beside the target, its name in memory to free
 * (NULL when out of memory); *fd is -1 when it could not be made, errno
 * saying why. */
static char *temporary_beside(const char *target, int *fd)
{
    size_t length = strlen(target);
    char *temporary = malloc(length + 16);
    *fd = -1;
    if (!temporary)
        return NULL;
    snprintf(temporary, length + 16, "%s.tmp-XXXXXX", target);
    *fd = mkstemp(temporary);
    if (*fd >= 0) {
        /* mkstemp makes it private; a model file is an ordinary file */
        mode_t mask = umask(0);
        umask(mask);
        fchmod(*fd, 0666 & ~mask);
    }
    return temporary;
}

rnn_status rnn_model_save_check(const char *name, char *why,
                                size_t why_size)
{
    char *path = save_target(name, why, why_size);
    if (!path)
        return RNN_ERR_ARG;
    int fd;
    char *temporary = temporary_beside(path, &fd);
    int error = errno;
    free(path);
    if (!temporary) {
        snprintf(why, why_size, "out of memory");
        return RNN_ERR_NOMEM;
    }
    if (fd >= 0) {
        close(fd);
        unlink(temporary);
    }
    free(temporary);
    if (fd < 0) {
        snprintf(why, why_size, "cannot make a file in that folder (%s)",
                 strerror(error));
        return RNN_ERR_STATE;
    }
    return RNN_OK;
}

rnn_status rnn_model_save(rnn_model *model, const char *name, char *why,
                          size_t why_size)
{
    char *path = save_target(name, why, why_size);
    if (!path)
        return RNN_ERR_ARG;
    unsigned char *bytes;
    size_t size;
    if (rnn_model_to_bytes(model, &bytes, &size)) {
        free(path);
        snprintf(why, why_size, "out of memory");
        return RNN_ERR_NOMEM;
    }

    /* a temporary file beside the target, renamed over it when whole */
    int fd;
    char *temporary = temporary_beside(path, &fd);
    if (!temporary) {
        free(bytes);
        free(path);
        snprintf(why, why_size, "out of memory");
        return RNN_ERR_NOMEM;
    }
    FILE *file = fd >= 0 ? fdopen(fd, "wb") : NULL;
    int ok = file != NULL;
    if (!ok && fd >= 0)
        close(fd);
    const char *step = "cannot create a file there";
    if (ok && fwrite(bytes, 1, size, file) != size)
        ok = 0, step = "cannot write";
    if (ok && (fflush(file) || fsync(fileno(file))))
        ok = 0, step = "cannot write";
    if (file && fclose(file))
        ok = 0, step = "cannot write";
    if (ok && rename(temporary, path))
        ok = 0, step = "cannot replace the file";
    if (!ok) {
        snprintf(why, why_size, "%s (%s)", step, strerror(errno));
        if (fd >= 0)
            unlink(temporary);
    }
    free(temporary);
    free(bytes);
    free(path);
    return ok ? RNN_OK : RNN_ERR_STATE;
}

rnn_model *rnn_model_load(const char *path, char *why, size_t why_size)
{
    FILE *file = fopen(path, "rb");
    if (!file) {
        snprintf(why, why_size, "cannot open (%s)", strerror(errno));
        return NULL;
    }
    unsigned char *bytes = NULL;
    size_t size = 0, allocated = 0;
    for (;;) {
        if (size == allocated) {
            allocated = allocated ? allocated * 2 : 65536;
            unsigned char *grown = allocated < ((size_t)1 << 34)
                                       ? realloc(bytes, allocated)
                                       : NULL;
            if (!grown) {
                free(bytes);
                fclose(file);
                snprintf(why, why_size, "out of memory");
                return NULL;
            }
            bytes = grown;
        }
        size_t got = fread(bytes + size, 1, allocated - size, file);
        size += got;
        if (got == 0)
            break;
    }
    int failed = ferror(file);
    fclose(file);
    rnn_model *model = NULL;
    if (failed)
        snprintf(why, why_size, "cannot read (%s)", strerror(errno));
    else
        model = rnn_model_from_bytes(bytes, size, why, why_size);
    free(bytes);
    return model;
}
