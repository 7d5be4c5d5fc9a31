/* Seed corpus of the offline fuzz targets, the binary part: for
 * fuzz/corpus/corpus/ a short sound file of each of two formats (written
 * with libsndfile) and two MIDI files (one written by the core, one put
 * together byte by byte: a chord, running status, note-offs as note-ons of
 * velocity 0, two channels, a tempo); for fuzz/corpus/trainer/ a few runs
 * of windows (see fuzz/trainer.c for the layout).  The texts beside them
 * are committed as they are.  "make fuzz-seeds" writes them; they are
 * committed, so this runs only when a target's layout changes. */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sndfile.h>

#include "../pd-rnn/core/rnn.h"

static int failed;

static FILE *open_in(const char *folder, const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", folder, name);
    FILE *file = fopen(path, "wb");
    if (!file) {
        fprintf(stderr, "make_offline_seeds: cannot write %s\n", path);
        failed = 1;
    }
    return file;
}

static void write_bytes(const char *folder, const char *name,
                        const unsigned char *bytes, size_t size)
{
    FILE *file = open_in(folder, name);
    if (!file)
        return;
    if (fwrite(bytes, 1, size, file) != size)
        failed = 1;
    if (fclose(file))
        failed = 1;
}

/* ------------------------------------------------------------ corpus */

/* frames of a falling two-tone, each channel its own */
static void write_sound(const char *folder, const char *name, int format,
                        int channels, int frames)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", folder, name);
    SF_INFO info;
    memset(&info, 0, sizeof info);
    info.samplerate = 8000;
    info.channels = channels;
    info.format = format;
    SNDFILE *file = sf_open(path, SFM_WRITE, &info);
    if (!file) {
        fprintf(stderr, "make_offline_seeds: %s: %s\n", path,
                sf_strerror(NULL));
        failed = 1;
        return;
    }
    float frame[2];
    for (int f = 0; f < frames; f++) {
        for (int c = 0; c < channels; c++)
            frame[c] = (float)((1 - (double)f / frames)
                               * sin(0.7 * f * (c + 1)));
        if (sf_writef_float(file, frame, 1) != 1)
            failed = 1;
    }
    if (sf_close(file))
        failed = 1;
}

static void write_notes(const char *folder)
{
    /* a phrase at grid 4: pitch * 100 + sixteenths */
    static const float notes[] = {6004, 6202, 6402, 6504, 6708, 6501, 6401};
    char path[1024], why[256] = "";
    snprintf(path, sizeof path, "%s/phrase.mid", folder);
    if (rnn_midi_write(path, notes, sizeof notes / sizeof *notes, 4, why,
                       sizeof why)) {
        fprintf(stderr, "make_offline_seeds: %s\n", why);
        failed = 1;
    }
}

static void write_chords(const char *folder)
{
    static const unsigned char track[] = {
        0x00, 0xff, 0x51, 0x03, 0x07, 0xa1, 0x20, /* tempo, 120 bpm */
        0x00, 0x90, 0x3c, 0x50,                   /* C, E, G together */
        0x00, 0x40, 0x50,                         /* running status */
        0x00, 0x43, 0x50,
        0x60, 0x3c, 0x00, /* a quarter later: off, as velocity 0 */
        0x00, 0x40, 0x00,
        0x00, 0x43, 0x00,
        0x00, 0x91, 0x48, 0x40, /* channel 2: C an octave up */
        0x30, 0x81, 0x48, 0x00, /* an eighth, a note-off */
        0x00, 0x90, 0x3e, 0x50, /* D, open until the end */
        0x18, 0xff, 0x2f, 0x00  /* end of track */
    };
    unsigned char bytes[14 + 8 + sizeof track];
    static const unsigned char header[] = {
        'M', 'T', 'h', 'd', 0, 0, 0, 6, 0, 0, 0, 1, 0, 96};
    memcpy(bytes, header, sizeof header);
    memcpy(bytes + 14, "MTrk", 4);
    bytes[18] = bytes[19] = bytes[20] = 0;
    bytes[21] = (unsigned char)sizeof track;
    memcpy(bytes + 22, track, sizeof track);
    write_bytes(folder, "chords.mid", bytes, sizeof bytes);
}

/* ------------------------------------------------------------ trainer */

/* A run: the model's 12 bytes (type, hidden, layers, window, vocabulary,
 * streams, threads, optimizer, learning rate, clipping, seed, refusals),
 * then `windows` windows of tokens drawn from a small generator, a change
 * (an op below 16 and its byte) before the window of index `change_at`,
 * the last window of mode `last` (224 and above: a token out of range,
 * put first). */
static void write_run(const char *folder, const char *name,
                      const unsigned char model[12], int windows,
                      int change, int change_at, int last, unsigned seed)
{
    int count = (1 + model[5] % 12) * (1 + model[3] % 12);
    size_t size = 12 + (size_t)windows * (3 + count) + 2;
    unsigned char *bytes = malloc(size);
    if (!bytes) {
        failed = 1;
        return;
    }
    memcpy(bytes, model, 12);
    size_t at = 12;
    for (int w = 0; w < windows; w++) {
        if (w == change_at) {
            bytes[at++] = (unsigned char)change;
            bytes[at++] = (unsigned char)(seed >> 24);
        }
        int mode = w == windows - 1 ? last : w * 37;
        bytes[at++] = 16 + (unsigned char)w; /* a window, its mode */
        bytes[at++] = (unsigned char)mode;
        for (int i = 0; i < count; i++) {
            seed = seed * 1103515245u + 12345u;
            int code = 12 + (int)((seed >> 16) % 116);
            if ((seed >> 8) % 9 == 0)
                code = (int)((seed >> 4) % 12); /* skipped */
            int start = (seed >> 12) % 13 == 0;
            bytes[at++] = (unsigned char)(code | start << 7);
        }
        if (mode >= 224)
            bytes[at++] = 0;
    }
    write_bytes(folder, name, bytes, at);
    free(bytes);
}

static void write_runs(const char *folder)
{
    static const unsigned char elman[12] = {0, 7, 0, 3, 4, 1, 0, 2,
                                            0, 0, 3, 0};
    static const unsigned char gru[12] = {1, 11, 1, 5, 22, 11, 1, 1,
                                          1, 1, 4, 0};
    static const unsigned char lstm[12] = {2, 15, 2, 7, 39, 11, 0, 0,
                                           2, 0, 5, 0};
    static const unsigned char sgd_hot[12] = {0, 23, 1, 11, 9, 5, 1, 0,
                                              4, 1, 6, 0xff};
    write_run(folder, "elman", elman, 4, -1, -1, 111, 1);
    write_run(folder, "gru_two_threads", gru, 3, 0x02, 2, 230, 2);
    write_run(folder, "lstm_batched", lstm, 2, 0x03, 1, 37, 3);
    write_run(folder, "sgd_hot_refusals", sgd_hot, 4, 0x00, 2, 225, 4);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: make_offline_seeds CORPUS_FOLDER "
                        "TRAINER_FOLDER\n");
        return 2;
    }
    write_sound(argv[1], "tone.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 1,
                48);
    write_sound(argv[1], "stereo.au", SF_FORMAT_AU | SF_FORMAT_FLOAT, 2,
                12);
    write_notes(argv[1]);
    write_chords(argv[1]);
    write_runs(argv[2]);
    return failed;
}
