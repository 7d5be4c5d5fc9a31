/* Corpus readers for offline training: UTF-8 text as characters, token
 * lines as words or numbers, sound files through libsndfile as mu-law
 * classes, and MIDI files through libsmf as notes.  Only the command line
 * links this file (and libsndfile and libsmf); the Pd library does not
 * need it. */

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <smf.h>
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
               && text[end] != '\n' && text[end] != '\r' && text[end] != '\f'
               && text[end] != '\v' && text[end] != 0)
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
        /* a file that is not there, or one libsndfile does not know */
        FILE *there = fopen(path, "rb");
        if (!there)
            snprintf(why, why_size, "%s: %s", path, strerror(errno));
        else
            snprintf(why, why_size, "%s: not a sound file libsndfile reads "
                                    "(%s)",
                     path, sf_strerror(NULL));
        if (there)
            fclose(there);
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

/* ------------------------------------------------------------ MIDI */

/* MIDI files are small: a larger file is taken for something else. */
#define MAX_MIDI_BYTES (64L << 20)
/* ticks per quarter note in the files written */
#define MIDI_PPQN 480
#define MIDI_VELOCITY 80

/* One note of a file, in quarter notes from its start. */
typedef struct midi_note {
    double onset;
    double length; /* below 0 until its note-off */
    int pitch;
    long order; /* its place among the note-ons, for a stable sort */
} midi_note;

typedef struct midi_notes {
    midi_note *note; /* (count) in the order of their note-ons */
    long count;
    long allocated;
    long open[16][128]; /* the sounding note of a channel and pitch, or -1 */
} midi_notes;

/* libsmf says what is wrong with a file through GLib's log, which would
 * print it; its first complaint becomes the reason of the failure. */
typedef struct midi_complaint {
    const char *path;
    const char *trouble; /* "not a valid MIDI file"; NULL: "cannot write"
                          * alone, libsmf's words being of reading */
    char *why;
    size_t why_size;
    int count;
} midi_complaint;

static void midi_complain(const gchar *domain, GLogLevelFlags level,
                          const gchar *message, gpointer data)
{
    midi_complaint *complaint = data;
    (void)domain;
    if (!(level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL
                   | G_LOG_LEVEL_WARNING)))
        return;
    if (complaint->count++)
        return;
    if (!strncmp(message, "SMF error: ", 11))
        message += 11;
    else if (!strncmp(message, "SMF warning: ", 13))
        message += 13;
    if (complaint->trouble)
        snprintf(complaint->why, complaint->why_size, "%s: %s (%s)",
                 complaint->path, complaint->trouble, message);
    else
        snprintf(complaint->why, complaint->why_size, "%s: cannot write",
                 complaint->path);
}

static guint midi_listen(midi_complaint *complaint)
{
    return g_log_set_handler("libsmf",
                             G_LOG_LEVEL_MASK | G_LOG_FLAG_FATAL
                                 | G_LOG_FLAG_RECURSION,
                             midi_complain, complaint);
}

static uint32_t big_endian(const unsigned char *bytes)
{
    return (uint32_t)bytes[0] << 24 | (uint32_t)bytes[1] << 16
           | (uint32_t)bytes[2] << 8 | bytes[3];
}

/* A variable-length number of at most four bytes at data[*at], within
 * length; -1 when it runs past. */
static long midi_number(const unsigned char *data, size_t length,
                        size_t *at)
{
    long value = 0;
    for (int i = 0; i < 4 && *at < length; i++) {
        unsigned char byte = data[(*at)++];
        value = value << 7 | (byte & 0x7f);
        if (!(byte & 0x80))
            return value;
    }
    return -1;
}

/* The events of one track, as far as libsmf (1.3) needs them right: it
 * stops on an assertion, taking the program down, on a track that runs
 * out before its end-of-track event, an escaped (F7) event, a data byte
 * after a system-exclusive event, and it misreads a meta event of more
 * than 127 bytes.  Such tracks are refused here first.  NULL, or what is
 * wrong. */
static const char *midi_track_problem(const unsigned char *data,
                                      size_t length)
{
    size_t at = 0;
    int running = 0; /* the status of the last channel message */
    while (at < length) {
        if (midi_number(data, length, &at) < 0 || at >= length)
            break;
        int status = data[at] & 0x80 ? data[at++] : running;
        long size;
        if (status == 0xff) {
            if (length - at < 2)
                break;
            int type = data[at];
            size = data[at + 1];
            if (size & 0x80)
                return "a meta event of more than 127 bytes";
            at += 2;
            if (type == 0x2f)
                return NULL; /* end of track */
            running = 0;
        } else if (status == 0xf0) {
            size = midi_number(data, length, &at);
            running = 0;
        } else if (status == 0xf7) {
            return "an escaped (F7) event";
        } else if (status > 0xf0) {
            return "a system message in a track";
        } else if (status == 0) {
            return "a data byte without a status";
        } else {
            int kind = status & 0xf0;
            size = kind == 0xc0 || kind == 0xd0 ? 1 : 2;
            running = status;
        }
        if (size < 0 || (size_t)size > length - at)
            break;
        at += (size_t)size;
    }
    return "a track does not end with an end-of-track event";
}

/* The header chunk as libsmf (1.3) reads it: it refuses any other, and
 * then leaks what it made for the file.  NULL, or what is wrong. */
static const char *midi_header_problem(const unsigned char *bytes,
                                       size_t size)
{
    if (size < 14 || big_endian(bytes + 4) != 6)
        return "a header chunk not of 6 bytes";
    int format = bytes[8] << 8 | bytes[9];
    if (format == 2)
        return "format 2 (independent sequences) is not read";
    if (format > 2)
        return "an unknown format";
    if (!(bytes[10] | bytes[11]))
        return "no track in it";
    if (bytes[12] & 0x80)
        return "timed in SMPTE frames, which is not read";
    if (!(bytes[12] | bytes[13]))
        return "a division of 0 ticks";
    return NULL;
}

/* The chunks of a file, each within it, and the events of its tracks.
 * NULL, or what is wrong. */
static const char *midi_file_problem(const unsigned char *bytes,
                                     size_t size)
{
    size_t at = 0;
    int tracks = 0;
    const char *header = midi_header_problem(bytes, size);
    if (header)
        return header;
    while (size - at >= 8) {
        uint32_t length = big_endian(bytes + at + 4);
        const unsigned char *data = bytes + at + 8;
        if (length > size - at - 8)
            return "a chunk runs past the end: truncated?";
        if (!memcmp(bytes + at, "MTrk", 4)) {
            const char *problem = midi_track_problem(data, length);
            if (problem)
                return problem;
            tracks++;
        }
        at += 8 + (size_t)length;
    }
    return tracks ? NULL : "no track in it";
}

/* A file libsmf read without a complaint, or NULL with the reason. */
static smf_t *midi_load(const char *path, char *why, size_t why_size)
{
    /* the header and the size first, for a clear word on any other file */
    FILE *file = fopen(path, "rb");
    if (!file) {
        snprintf(why, why_size, "%s: %s", path, strerror(errno));
        return NULL;
    }
    char magic[4];
    size_t got = fread(magic, 1, sizeof magic, file);
    long size = fseek(file, 0, SEEK_END) ? -1 : ftell(file);
    fclose(file);
    if (got != sizeof magic || memcmp(magic, "MThd", sizeof magic)) {
        snprintf(why, why_size, "%s: not a MIDI file (no MThd header)",
                 path);
        return NULL;
    }
    if (size < 0 || size > MAX_MIDI_BYTES) {
        snprintf(why, why_size, "%s: too large for a MIDI file", path);
        return NULL;
    }

    /* the chunks, then libsmf's reading of the same bytes */
    size_t length;
    char *bytes = read_whole(path, &length, why, why_size);
    if (!bytes)
        return NULL;
    const char *problem =
        midi_file_problem((const unsigned char *)bytes, length);
    if (problem || length > MAX_MIDI_BYTES) {
        snprintf(why, why_size, "%s: not a valid MIDI file (%s)", path,
                 problem ? problem : "too large");
        free(bytes);
        return NULL;
    }
    midi_complaint complaint = {path, "not a valid MIDI file", why, why_size,
                                0};
    guint handler = midi_listen(&complaint);
    smf_t *smf = smf_load_from_memory(bytes, (int)length);
    g_log_remove_handler("libsmf", handler);
    free(bytes);
    if (smf && complaint.count) {
        smf_delete(smf);
        return NULL;
    }
    if (!smf && !complaint.count)
        snprintf(why, why_size, "%s: not a valid MIDI file", path);
    return smf;
}

static rnn_status midi_start_note(midi_notes *notes, double onset,
                                  int pitch)
{
    if (notes->count == notes->allocated) {
        long grown = notes->allocated ? notes->allocated * 2 : 1024;
        if (grown > MAX_CORPUS)
            return RNN_ERR_SIZE;
        midi_note *note = realloc(notes->note, (size_t)grown * sizeof *note);
        if (!note)
            return RNN_ERR_NOMEM;
        notes->note = note;
        notes->allocated = grown;
    }
    midi_note *note = &notes->note[notes->count];
    note->onset = onset;
    note->length = -1;
    note->pitch = pitch;
    note->order = notes->count;
    notes->count++;
    return RNN_OK;
}

static void midi_end_note(midi_notes *notes, int channel, int pitch,
                          double time)
{
    long open = notes->open[channel][pitch];
    if (open < 0)
        return;
    notes->note[open].length = time - notes->note[open].onset;
    notes->open[channel][pitch] = -1;
}

/* When an event happens, in quarter notes: from its ticks, or at 120
 * beats per minute from its seconds in a file timed in SMPTE frames. */
static double midi_time(const smf_t *smf, const smf_event_t *event)
{
    if (smf->ppqn > 0)
        return (double)event->time_pulses / smf->ppqn;
    return event->time_seconds * 2;
}

/* Every note of every track and channel, with its length: a note ends at
 * its note-off (or a note-on of velocity 0), at the next note-on of the
 * same channel and pitch, or at the end of the file. */
static rnn_status midi_collect(smf_t *smf, midi_notes *notes)
{
    for (int channel = 0; channel < 16; channel++)
        for (int pitch = 0; pitch < 128; pitch++)
            notes->open[channel][pitch] = -1;
    smf_rewind(smf);
    smf_event_t *event;
    double end = 0;
    rnn_status status = RNN_OK;
    while (status == RNN_OK && (event = smf_get_next_event(smf))) {
        double time = midi_time(smf, event);
        if (time > end)
            end = time;
        if (smf_event_is_metadata(event) || event->midi_buffer_length < 3)
            continue;
        const unsigned char *bytes = event->midi_buffer;
        int kind = bytes[0] & 0xf0, channel = bytes[0] & 0x0f;
        int pitch = bytes[1], velocity = bytes[2];
        if ((kind != 0x80 && kind != 0x90) || pitch > 127)
            continue;
        midi_end_note(notes, channel, pitch, time);
        if (kind == 0x90 && velocity > 0) {
            status = midi_start_note(notes, time, pitch);
            if (status == RNN_OK)
                notes->open[channel][pitch] = notes->count - 1;
        }
    }
    for (int channel = 0; channel < 16; channel++)
        for (int pitch = 0; pitch < 128; pitch++)
            midi_end_note(notes, channel, pitch, end);
    return status;
}

/* In time order; notes that start together from the lowest pitch up. */
static int midi_note_order(const void *a, const void *b)
{
    const midi_note *x = a, *y = b;
    if (x->onset != y->onset)
        return x->onset < y->onset ? -1 : 1;
    if (x->pitch != y->pitch)
        return x->pitch < y->pitch ? -1 : 1;
    return (x->order > y->order) - (x->order < y->order);
}

static float midi_value(const midi_note *note, int grid)
{
    if (grid == 0)
        return (float)note->pitch;
    double steps = floor(note->length * grid + 0.5);
    if (steps < 1)
        steps = 1;
    if (steps > RNN_MIDI_MAX_STEPS)
        steps = RNN_MIDI_MAX_STEPS;
    return (float)(note->pitch * 100 + steps);
}

static rnn_status read_midi(rnn_corpus *corpus, rnn_vocab *vocab,
                            const char *path, int grow, int grid,
                            long *allocated, char *why, size_t why_size)
{
    smf_t *smf = midi_load(path, why, why_size);
    if (!smf)
        return RNN_ERR_ARG;
    midi_notes *notes = calloc(1, sizeof *notes);
    if (!notes) {
        smf_delete(smf);
        return RNN_ERR_NOMEM;
    }
    rnn_status status = midi_collect(smf, notes);
    smf_delete(smf);
    if (status == RNN_OK && notes->count > 1)
        qsort(notes->note, (size_t)notes->count, sizeof *notes->note,
              midi_note_order);
    int start = 1;
    for (long i = 0; status == RNN_OK && i < notes->count; i++) {
        rnn_token token = {RNN_TOKEN_FLOAT, midi_value(&notes->note[i], grid),
                           NULL};
        status = corpus_token(corpus, vocab, &token, grow, &start,
                              allocated);
    }
    free(notes->note);
    free(notes);
    return status;
}

int rnn_midi_note(double value, int grid, int *pitch, int *steps)
{
    if (!(value >= 0 && value < 1e6) || value != floor(value))
        return 0;
    int whole = (int)value;
    if (grid == 0) {
        if (whole > 127)
            return 0;
        *pitch = whole;
        *steps = 0;
        return 1;
    }
    if (grid < 0 || grid > RNN_MIDI_MAX_GRID || whole / 100 > 127
        || whole % 100 < 1)
        return 0;
    *pitch = whole / 100;
    *steps = whole % 100;
    return 1;
}

/* Add one note to a track being written; 0 when libsmf has no memory. */
static int midi_add_note(smf_track_t *track, int pitch, int at, int length)
{
    smf_event_t *on = smf_event_new_from_bytes(0x90, pitch, MIDI_VELOCITY);
    smf_event_t *off = smf_event_new_from_bytes(0x80, pitch, 0);
    if (!on || !off) {
        if (on)
            smf_event_delete(on);
        if (off)
            smf_event_delete(off);
        return 0;
    }
    smf_track_add_event_pulses(track, on, at);
    smf_track_add_event_pulses(track, off, at + length);
    return 1;
}

rnn_status rnn_midi_write(const char *path, const float *values, long count,
                          int grid, char *why, size_t why_size)
{
    /* every value first, so that nothing is written for a bad one */
    long total = 0;
    for (long i = 0; i < count; i++) {
        int pitch, steps;
        if (!rnn_midi_note(values[i], grid, &pitch, &steps)) {
            snprintf(why, why_size, "%g is not a MIDI note%s", values[i],
                     grid ? " written as pitch * 100 + steps"
                          : " number (0 to 127)");
            return RNN_ERR_ARG;
        }
        total += grid ? steps * MIDI_PPQN / grid : MIDI_PPQN / 2;
        if (total > (1L << 30)) {
            snprintf(why, why_size, "too many notes for a MIDI file");
            return RNN_ERR_ARG;
        }
    }

    /* one track, the notes one after another */
    midi_complaint complaint = {path, NULL, why, why_size, 0};
    guint handler = midi_listen(&complaint);
    smf_t *smf = smf_new();
    smf_track_t *track = smf ? smf_track_new() : NULL;
    int ok = track && smf_set_ppqn(smf, MIDI_PPQN) == 0;
    if (track)
        smf_add_track(smf, track);
    int at = 0;
    for (long i = 0; ok && i < count; i++) {
        int pitch = 0, steps = 0;
        rnn_midi_note(values[i], grid, &pitch, &steps); /* checked above */
        int length = grid ? steps * MIDI_PPQN / grid : MIDI_PPQN / 2;
        if (length < 1)
            length = 1;
        ok = midi_add_note(track, pitch, at, length);
        at += length;
    }
    int saved = ok && smf_save(smf, path) == 0;
    if (smf)
        smf_delete(smf);
    g_log_remove_handler("libsmf", handler);
    if (saved)
        return RNN_OK;
    if (!ok)
        snprintf(why, why_size, "out of memory");
    else if (!complaint.count)
        snprintf(why, why_size, "%s: cannot write", path);
    return ok ? RNN_ERR_ARG : RNN_ERR_NOMEM;
}

/* ------------------------------------------------------------ any */

/* The reason of a failure, or of a file that gave nothing. */
static rnn_status corpus_finish(const rnn_corpus *corpus, long before,
                                const char *path, rnn_status status,
                                char *why, size_t why_size)
{
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

rnn_status rnn_corpus_read_midi(rnn_corpus *corpus, rnn_vocab *vocab,
                                const char *path, int grow, int grid,
                                char *why, size_t why_size)
{
    long allocated = corpus->length; /* grown from there at the next push */
    long before = corpus->length;
    if (grid < 0 || grid > RNN_MIDI_MAX_GRID) {
        snprintf(why, why_size, "the MIDI grid must be 0 to %d",
                 RNN_MIDI_MAX_GRID);
        return RNN_ERR_ARG;
    }
    rnn_status status = read_midi(corpus, vocab, path, grow, grid,
                                  &allocated, why, why_size);
    if (status == RNN_ERR_ARG)
        return status; /* why has the reason */
    return corpus_finish(corpus, before, path, status, why, why_size);
}

rnn_status rnn_corpus_read(rnn_corpus *corpus, rnn_vocab *vocab,
                           const char *path, rnn_token_kind kind, int grow,
                           int classes, int *rate, char *why,
                           size_t why_size)
{
    long allocated = corpus->length; /* grown from there at the next push */
    long before = corpus->length;
    rnn_status status;
    if (kind == RNN_TOKENS_MIDI)
        return rnn_corpus_read_midi(corpus, vocab, path, grow, 0, why,
                                    why_size);
    if (kind == RNN_TOKENS_AUDIO) {
        if (classes < 2 || classes > 65536) {
            snprintf(why, why_size, "classes must be 2 to 65536");
            return RNN_ERR_ARG;
        }
        status = read_audio(corpus, vocab, path, grow, classes, rate,
                            &allocated, why, why_size);
        if (status == RNN_ERR_ARG)
            return status; /* why has the reason */
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
    return corpus_finish(corpus, before, path, status, why, why_size);
}
