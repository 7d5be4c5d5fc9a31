/* bin/pd-rnn: train a pd-rnn model offline on text, token, sound or MIDI
 * corpora, evaluate it, and sample from it.  It writes the model file the
 * Pd objects read: train at home, load in a performance, keep learning.
 *
 *   pd-rnn train CORPUS... -o MODEL [options]
 *   pd-rnn eval MODEL CORPUS...
 *   pd-rnn sample MODEL [--prime TEXT] [-n N] [-o FILE] [options]
 *
 * Errors are one line on stderr and a non-zero exit. */

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sndfile.h>

#include "../core/rnn.h"

#define MAX_FILES 256

typedef struct options {
    const char *command;
    const char *files[MAX_FILES];
    int file_count;
    const char *output;
    const char *val;
    const char *resume;
    const char *prime;
    rnn_cell_type type;
    int hidden, layers, window, batch, threads, classes, rate, top_k;
    long epochs, events, count;
    double lr, clip, temperature;
    int optim;          /* -1: the model's own */
    long long seed;
    int tokens;         /* rnn_token_kind, or -1: from the model */
    int midi_grid;      /* steps a quarter note of MIDI durations; 0: none */
    /* given on the command line, not defaults: what --resume checks */
    int given_type, given_hidden, given_layers, given_window, given_epochs;
    int given_classes;
} options;

static int fail(const char *format, ...)
{
    va_list args;
    va_start(args, format);
    fputs("pd-rnn: ", stderr);
    vfprintf(stderr, format, args);
    fputc('\n', stderr);
    va_end(args);
    return 1;
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

/* The README's synopsis is this text, as tests/cli.sh checks. */
static const char usage[] =
    "usage:\n"
    "  pd-rnn train CORPUS... -o MODEL [--type elman|gru|lstm] [--hidden N]\n"
    "         [--layers N] [--window K] [--batch B] [--optim sgd|adam|"
    "adagrad]\n"
    "         [--lr X] [--clip X] [--epochs N | --events N] [--val FILE]\n"
    "         [--seed N] [--threads N] [--tokens chars|words|audio|midi]\n"
    "         [--classes N] [--midi-durations N] [--resume MODEL]\n"
    "  pd-rnn eval MODEL CORPUS... [--tokens chars|words|audio|midi]\n"
    "         [--classes N] [--midi-durations N]\n"
    "  pd-rnn sample MODEL [--prime TEXT] [-n N] [--temperature X] "
    "[--top-k N]\n"
    "         [--seed N] [-o FILE] [--rate HZ] [--tokens chars|words|audio|"
    "midi]\n"
    "         [--classes N] [--midi-durations N]\n"
    "  pd-rnn --version\n"
    "A corpus named *.mid or *.midi is read as MIDI, and one named as a\n"
    "sound file (.wav .aif .aiff .aifc .flac .ogg .oga .opus .au .snd .caf\n"
    ".w64 .rf64 .mp3) as sound, unless --tokens says otherwise.  sample -o\n"
    "FILE writes a MIDI or a sound file when FILE is named as one, else "
    "text.\n";

/* ------------------------------------------------------------ options */

static int number(const char *text, double low, double high, double *value)
{
    char *end;
    double v = strtod(text, &end);
    if (!*text || *end || !(v >= low && v <= high))
        return 0;
    *value = v;
    return 1;
}

/* A whole number written in decimal digits, no fraction, sign or
 * exponent. */
static int whole(const char *text, double low, double high, double *value)
{
    return *text && strspn(text, "0123456789") == strlen(text)
           && number(text, low, high, value);
}

/* Every option takes a value. */
static int known_option(const char *arg)
{
    static const char *const names[] = {
        "-o",        "--val",     "--resume",  "--prime", "--type",
        "--optim",   "--tokens",  "--hidden",  "--layers", "--window",
        "--batch",   "--threads", "--midi-durations",     "--classes",
        "--rate",    "--top-k",   "--epochs",  "--events", "-n",
        "--lr",      "--clip",    "--temperature",        "--seed"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (!strcmp(arg, names[i]))
            return 1;
    return 0;
}

/* Options and files in any order; each option that takes a value takes
 * the next word. */
static int parse(int argc, char **argv, options *o)
{
    memset(o, 0, sizeof *o);
    o->type = RNN_CELL_GRU;
    o->hidden = 128;
    o->layers = 1;
    o->window = 32;
    o->batch = 16;
    o->threads = 1;
    o->classes = 256;
    o->rate = 16000;
    o->epochs = 1;
    o->count = 200;
    o->lr = -1;
    o->clip = -1;
    o->optim = -1;
    o->seed = 1;
    o->tokens = -1;
    o->command = argv[1];
    for (int i = 2; i < argc; i++) {
        const char *arg = argv[i];
        if (arg[0] != '-' || !arg[1]) {
            if (o->file_count == MAX_FILES)
                return fail("at most %d files", MAX_FILES);
            o->files[o->file_count++] = arg;
            continue;
        }
        if (!known_option(arg))
            return fail("unknown option %s (see pd-rnn --help)", arg);
        if (i + 1 >= argc)
            return fail("option %s needs a value", arg);
        const char *value = argv[++i];
        double v;

        /* what was given, to tell it from a default */
        o->given_type |= !strcmp(arg, "--type");
        o->given_hidden |= !strcmp(arg, "--hidden");
        o->given_layers |= !strcmp(arg, "--layers");
        o->given_window |= !strcmp(arg, "--window");
        o->given_epochs |= !strcmp(arg, "--epochs");
        o->given_classes |= !strcmp(arg, "--classes");
        int ok = 1;
        if (!strcmp(arg, "-o"))
            o->output = value;
        else if (!strcmp(arg, "--val"))
            o->val = value;
        else if (!strcmp(arg, "--resume"))
            o->resume = value;
        else if (!strcmp(arg, "--prime"))
            o->prime = value;
        else if (!strcmp(arg, "--type"))
            ok = !strcmp(value, "elman")  ? (o->type = RNN_CELL_ELMAN, 1)
                 : !strcmp(value, "gru")  ? (o->type = RNN_CELL_GRU, 1)
                 : !strcmp(value, "lstm") ? (o->type = RNN_CELL_LSTM, 1)
                                          : 0;
        else if (!strcmp(arg, "--optim"))
            ok = !strcmp(value, "sgd")       ? (o->optim = RNN_OPTIM_SGD, 1)
                 : !strcmp(value, "adam")    ? (o->optim = RNN_OPTIM_ADAM, 1)
                 : !strcmp(value, "adagrad") ? (o->optim = RNN_OPTIM_ADAGRAD,
                                                1)
                                             : 0;
        else if (!strcmp(arg, "--tokens"))
            ok = !strcmp(value, "chars")   ? (o->tokens = RNN_TOKENS_CHARS, 1)
                 : !strcmp(value, "words") ? (o->tokens = RNN_TOKENS_WORDS, 1)
                 : !strcmp(value, "audio") ? (o->tokens = RNN_TOKENS_AUDIO, 1)
                 : !strcmp(value, "midi")  ? (o->tokens = RNN_TOKENS_MIDI, 1)
                                           : 0;
        else if (!strcmp(arg, "--hidden"))
            ok = whole(value, 1, RNN_MAX_HIDDEN, &v) && (o->hidden = (int)v);
        else if (!strcmp(arg, "--layers"))
            ok = whole(value, 1, RNN_MAX_LAYERS, &v) && (o->layers = (int)v);
        else if (!strcmp(arg, "--window"))
            ok = whole(value, 1, RNN_MAX_WINDOW, &v) && (o->window = (int)v);
        else if (!strcmp(arg, "--batch"))
            ok = whole(value, 1, 4096, &v) && (o->batch = (int)v);
        else if (!strcmp(arg, "--threads"))
            ok = whole(value, 1, 64, &v) && (o->threads = (int)v);
        else if (!strcmp(arg, "--midi-durations"))
            ok = whole(value, 1, RNN_MIDI_MAX_GRID, &v)
                 && (o->midi_grid = (int)v);
        else if (!strcmp(arg, "--classes"))
            ok = whole(value, 2, 65536, &v) && (o->classes = (int)v);
        else if (!strcmp(arg, "--rate"))
            ok = whole(value, 1, 1e6, &v) && (o->rate = (int)v);
        else if (!strcmp(arg, "--top-k"))
            ok = whole(value, 0, RNN_MAX_VOCAB, &v) && ((o->top_k = (int)v),
                                                          1);
        else if (!strcmp(arg, "--epochs"))
            ok = whole(value, 1, 1e6, &v) && (o->epochs = (long)v);
        else if (!strcmp(arg, "--events"))
            ok = whole(value, 1, 1e15, &v) && (o->events = (long)v);
        else if (!strcmp(arg, "-n"))
            ok = whole(value, 0, 1e9, &v) && ((o->count = (long)v), 1);
        else if (!strcmp(arg, "--lr"))
            ok = number(value, 0, 10, &o->lr);
        else if (!strcmp(arg, "--clip"))
            ok = number(value, 0, 1e6, &o->clip);
        else if (!strcmp(arg, "--temperature"))
            ok = number(value, 0, 1000, &o->temperature);
        else if (!strcmp(arg, "--seed"))
            ok = whole(value, 0, 4294967295.0, &v)
                 && ((o->seed = (long long)v), 1);
        else
            return fail("unknown option %s (see pd-rnn --help)", arg);
        if (!ok)
            return fail("bad value '%s' for %s", value, arg);
    }

    if (o->given_epochs && o->events)
        return fail("--epochs and --events together: give one of them");

    /* durations are of notes: they make a MIDI corpus of any file */
    if (o->midi_grid && o->tokens < 0)
        o->tokens = RNN_TOKENS_MIDI;
    if (o->midi_grid && o->tokens != RNN_TOKENS_MIDI)
        return fail("--midi-durations is for MIDI corpora (--tokens midi)");
    return 0;
}

/* ------------------------------------------------------------ tokens */

/* What a model's tokens are, when not said: single characters, numbers
 * that are mu-law classes (only for sound output), or words. */
static rnn_token_kind kind_of(rnn_model *model, const options *o,
                              int sound_out)
{
    if (o->tokens >= 0)
        return (rnn_token_kind)o->tokens;
    rnn_vocab *vocab = rnn_model_vocab(model);
    int chars = 1, classes = 1;
    for (int i = 0; i < rnn_vocab_size(vocab); i++) {
        const rnn_token *t = rnn_vocab_token(vocab, i);
        if (t->type != RNN_TOKEN_SYMBOL
            || rnn_utf8_char_length(t->text, strlen(t->text))
                   != strlen(t->text))
            chars = 0;
        if (t->type != RNN_TOKEN_FLOAT || t->value != floorf(t->value)
            || t->value < 0 || t->value >= o->classes)
            classes = 0;
    }
    if (classes && sound_out)
        return RNN_TOKENS_AUDIO;
    return chars ? RNN_TOKENS_CHARS : RNN_TOKENS_WORDS;
}

/* A file named as a MIDI file (*.mid, *.midi) */
static int midi_file(const char *path)
{
    const char *dot = path ? strrchr(path, '.') : NULL;
    return dot && (!strcasecmp(dot, ".mid") || !strcasecmp(dot, ".midi"));
}

/* Sound files by the ends of their names, each as libsndfile (1.2)
 * reads it, and the format sample -o writes it in. */
typedef struct sound_type {
    const char *extension;
    int format;
} sound_type;

static const sound_type sound_types[] = {
    {".wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16},
    {".aif", SF_FORMAT_AIFF | SF_FORMAT_PCM_16},
    {".aiff", SF_FORMAT_AIFF | SF_FORMAT_PCM_16},
    {".aifc", SF_FORMAT_AIFF | SF_FORMAT_FLOAT}, /* written as AIFC */
    {".flac", SF_FORMAT_FLAC | SF_FORMAT_PCM_16},
    {".ogg", SF_FORMAT_OGG | SF_FORMAT_VORBIS},
    {".oga", SF_FORMAT_OGG | SF_FORMAT_VORBIS},
    {".opus", SF_FORMAT_OGG | SF_FORMAT_OPUS},
    {".au", SF_FORMAT_AU | SF_FORMAT_PCM_16},
    {".snd", SF_FORMAT_AU | SF_FORMAT_PCM_16},
    {".caf", SF_FORMAT_CAF | SF_FORMAT_PCM_16},
    {".w64", SF_FORMAT_W64 | SF_FORMAT_PCM_16},
    {".rf64", SF_FORMAT_RF64 | SF_FORMAT_PCM_16},
    {".mp3", SF_FORMAT_MPEG | SF_FORMAT_MPEG_LAYER_III},
};

/* The sound type a file is named as, or NULL */
static const sound_type *sound_file(const char *path)
{
    const char *dot = path ? strrchr(path, '.') : NULL;
    for (size_t i = 0; dot && i < sizeof sound_types / sizeof *sound_types;
         i++)
        if (!strcasecmp(dot, sound_types[i].extension))
            return &sound_types[i];
    return NULL;
}

/* How a file is read: as --tokens says; else a file named as a MIDI or
 * sound file as one; else as the corpus's kind. */
static rnn_token_kind file_kind(const char *path, rnn_token_kind kind,
                                const options *o)
{
    if (o->tokens >= 0)
        return (rnn_token_kind)o->tokens;
    if (midi_file(path))
        return RNN_TOKENS_MIDI;
    if (sound_file(path))
        return RNN_TOKENS_AUDIO;
    return kind;
}

/* What the tokens of a vocabulary are, to tell whether a corpus of some
 * kind goes with them. */
typedef struct token_summary {
    int symbols;     /* symbol tokens */
    int words;       /* symbols of more than one character */
    int spaces;      /* symbols of white space, which only characters are */
    int floats;      /* float tokens */
    int fractions;   /* floats that are no whole number from 0 up */
    float low, high; /* the range of the floats */
} token_summary;

static token_summary summarize(rnn_vocab *vocab)
{
    token_summary s = {0};
    for (int i = 0; i < rnn_vocab_size(vocab); i++) {
        const rnn_token *t = rnn_vocab_token(vocab, i);
        if (t->type == RNN_TOKEN_FLOAT) {
            if (!s.floats || t->value < s.low)
                s.low = t->value;
            if (!s.floats || t->value > s.high)
                s.high = t->value;
            s.floats++;
            s.fractions += !(t->value >= 0 && t->value == floorf(t->value));
        } else {
            size_t length = strlen(t->text);
            s.symbols++;
            s.words += rnn_utf8_char_length(t->text, length) != length;
            s.spaces += length == 1 && strchr(" \t\n\r\f\v", t->text[0]);
        }
    }
    return s;
}

static void describe_tokens(const token_summary *s, char *text, size_t size)
{
    if (s->symbols && s->floats)
        snprintf(text, size, "words and numbers");
    else if (s->symbols)
        snprintf(text, size, "%s", s->words ? "words" : "characters");
    else
        snprintf(text, size, "numbers %g to %g", s->low, s->high);
}

static const char *kind_name(rnn_token_kind kind, int grid)
{
    switch (kind) {
    case RNN_TOKENS_CHARS:
        return "characters";
    case RNN_TOKENS_WORDS:
        return "words";
    case RNN_TOKENS_AUDIO:
        return "sound (mu-law classes)";
    default:
        return grid ? "MIDI notes (pitch * 100 + steps)" : "MIDI pitches";
    }
}

/* Whether a corpus read as `kind` goes with the tokens a vocabulary has:
 * characters are symbols of one character, words never white space,
 * sound whole numbers below --classes, MIDI notes whole numbers that
 * rnn_midi_note() takes.  1: they do not; else 0, after a warning when
 * they fit but look like another kind. */
static int check_fit(rnn_vocab *vocab, rnn_token_kind kind, const char *path,
                     const char *source, const options *o, int *warned)
{
    token_summary s = summarize(vocab);
    if (s.symbols + s.floats == 0)
        return 0;
    int misfit = 0, grid = kind == RNN_TOKENS_MIDI ? o->midi_grid : 0;
    if (kind == RNN_TOKENS_CHARS)
        misfit = s.floats || s.words;
    else if (kind == RNN_TOKENS_WORDS)
        misfit = s.spaces > 0;
    else if (kind == RNN_TOKENS_AUDIO)
        misfit = s.symbols || s.fractions || s.high >= o->classes;
    else
        misfit = s.symbols || s.fractions;
    for (int i = 0; kind == RNN_TOKENS_MIDI && !misfit
                    && i < rnn_vocab_size(vocab);
         i++) {
        int pitch, steps;
        misfit = !rnn_midi_note(rnn_vocab_token(vocab, i)->value, grid,
                                &pitch, &steps);
    }
    char tokens[96], hint[64] = "";
    describe_tokens(&s, tokens, sizeof tokens);
    int numbers = !s.symbols && !s.fractions;
    if (misfit) {
        if (kind == RNN_TOKENS_AUDIO && numbers)
            snprintf(hint, sizeof hint, ": --classes %d is too few",
                     o->classes);
        else if (kind == RNN_TOKENS_MIDI && numbers && !grid)
            snprintf(hint, sizeof hint, ": give --midi-durations as in "
                                        "training");
        else if (o->tokens < 0)
            snprintf(hint, sizeof hint, "; --tokens says how to read it");
        return fail("%s read as %s does not go with the tokens of %s (%s)%s",
                    path, kind_name(kind, grid), source, tokens, hint);
    }

    /* the same numbers could be of another kind: a doubt, said once */
    int silence = rnn_mulaw_encode(0, o->classes);
    rnn_token quiet = {RNN_TOKEN_FLOAT, (float)silence, NULL};
    if (*warned)
        return 0;
    if (kind == RNN_TOKENS_AUDIO && rnn_vocab_find(vocab, &quiet) < 0) {
        fprintf(stderr, "pd-rnn: warning: the tokens of %s (%s) have no "
                        "mu-law class of silence (%d of %d): are they "
                        "sound?\n",
                source, tokens, silence, o->classes);
        *warned = 1;
    } else if (kind == RNN_TOKENS_MIDI && grid && s.high <= 127) {
        fprintf(stderr, "pd-rnn: warning: the tokens of %s (%s) look like "
                        "MIDI pitches alone, not pitch * 100 + steps\n",
                source, tokens);
        *warned = 1;
    }
    return 0;
}

/* Append a file to a corpus, read as file_kind() says, after checking
 * that it goes with the tokens of the model (from `source`) so far. */
static int read_corpus(rnn_corpus *corpus, rnn_model *model,
                       const char *path, rnn_token_kind kind, int grow,
                       const options *o, int *rate, const char *source,
                       int *warned)
{
    char why[512];
    rnn_status status;
    kind = file_kind(path, kind, o);
    if (o->given_classes && kind != RNN_TOKENS_AUDIO)
        return fail("%s: --classes is for sound, and it is read as %s", path,
                    kind_name(kind, o->midi_grid));
    if (check_fit(rnn_model_vocab(model), kind, path, source, o, warned))
        return 1;
    if (kind == RNN_TOKENS_MIDI)
        status = rnn_corpus_read_midi(corpus, rnn_model_vocab(model), path,
                                      grow, o->midi_grid, why, sizeof why);
    else
        status = rnn_corpus_read(corpus, rnn_model_vocab(model), path, kind,
                                 grow, o->classes, rate, why, sizeof why);
    if (status)
        return fail("%s", why);
    return 0;
}

/* ------------------------------------------------------------ eval */

/* Bits per event of a corpus, one stream, learning off; each sequence
 * starts from a reset state. */
static double evaluate(rnn_model *model, const rnn_corpus *corpus,
                       long *scored)
{
    int was_learning = rnn_model_learning(model);
    rnn_model_set_learn(model, 0);
    rnn_model_reset(model);
    int hidden = rnn_model_hidden(model);
    double bits = 0;
    *scored = 0;
    for (long i = 0; i < corpus->length; i++) {
        if (corpus->starts[i] && i > 0)
            rnn_model_reset(model);
        const rnn_real *grad, *h;
        int was_scored;
        rnn_score score;
        rnn_model_score(model, corpus->tokens[i], &grad, &was_scored,
                        &score);
        if (was_scored) {
            bits += score.loss;
            ++*scored;
        }
        if (rnn_model_step_index(model, corpus->tokens[i], &h) == RNN_OK)
            rnn_model_predict(model, h, hidden);
    }
    rnn_model_reset(model);
    rnn_model_set_learn(model, was_learning);
    return *scored ? bits / *scored : 0;
}

static int command_eval(const options *o)
{
    if (o->file_count < 2)
        return fail("eval needs MODEL and CORPUS (see pd-rnn --help)");
    char why[512];
    rnn_model *model = rnn_model_load(o->files[0], why, sizeof why);
    if (!model)
        return fail("%s: %s", o->files[0], why);
    rnn_corpus corpus = {0};
    rnn_token_kind kind = kind_of(model, o, 0);
    int rate, warned = 0;
    for (int f = 1; f < o->file_count; f++)
        if (read_corpus(&corpus, model, o->files[f], kind, 0, o, &rate,
                        o->files[0], &warned)) {
            rnn_corpus_free(&corpus);
            rnn_model_free(model);
            return 1;
        }
    if (corpus.unknown)
        fprintf(stderr, "pd-rnn: skipped %ld tokens the model never saw\n",
                corpus.unknown);
    long scored;
    double bits = evaluate(model, &corpus, &scored);
    rnn_corpus_free(&corpus);
    rnn_model_free(model);
    if (scored == 0)
        return fail("nothing to score: the corpus has no known tokens");
    printf("events: %ld\nbits_per_event: %.4f\n", scored, bits);
    return 0;
}

/* ------------------------------------------------------------ train */

/* A resumed model keeps its shape: --type, --hidden and --layers, when
 * given, must be its own.  --window sets its window.  0, or 1 after the
 * refusal. */
static int resume_shape(rnn_model *model, const options *o)
{
    rnn_cell_type type = rnn_model_cell_type(model);
    int hidden = rnn_model_hidden(model), layers = rnn_model_layers(model);
    char differ[96] = "";
    size_t n = 0;
    if (o->given_type && o->type != type)
        n += snprintf(differ + n, sizeof differ - n, ", --type %s",
                      rnn_cell_type_name(o->type));
    if (o->given_hidden && o->hidden != hidden)
        n += snprintf(differ + n, sizeof differ - n, ", --hidden %d",
                      o->hidden);
    if (o->given_layers && o->layers != layers)
        n += snprintf(differ + n, sizeof differ - n, ", --layers %d",
                      o->layers);
    if (n)
        return fail("%s: %s, %d layer%s of %d units: %s do%s not fit it "
                    "(a resumed model keeps its shape)",
                    o->resume, rnn_cell_type_name(type), layers,
                    layers > 1 ? "s" : "", hidden, differ + 2,
                    strchr(differ + 2, ',') ? "" : "es");
    if (o->given_window && rnn_model_set_window(model, o->window))
        return fail("%s: cannot take a window of %d", o->resume, o->window);
    return 0;
}

static rnn_model *model_for_training(const options *o)
{
    char why[512];
    rnn_model *model;
    if (o->resume) {
        model = rnn_model_load(o->resume, why, sizeof why);
        if (!model) {
            fail("%s: %s", o->resume, why);
            return NULL;
        }
        if (rnn_model_hidden(model) == 0) {
            rnn_model_free(model);
            fail("%s: the model has no cell to train", o->resume);
            return NULL;
        }
        if (resume_shape(model, o)) {
            rnn_model_free(model);
            return NULL;
        }
    } else {
        model = rnn_model_new((uint64_t)o->seed);
        if (!model) {
            fail("out of memory");
            return NULL;
        }
        rnn_model_set_window(model, o->window);
        rnn_model_set_every(model, 0);
        if (rnn_model_set_cell(model, o->type, o->hidden, o->layers)) {
            rnn_model_free(model);
            fail("cannot make a cell of that size");
            return NULL;
        }
    }
    if (o->optim >= 0)
        rnn_model_set_optim(model, (rnn_optim_kind)o->optim);
    if (o->lr >= 0)
        rnn_model_set_lr(model, o->lr);
    else if (o->optim == RNN_OPTIM_ADAM) /* 0.03 makes Adam diverge */
        rnn_model_set_lr(model, 0.002);
    if (o->clip >= 0)
        rnn_model_set_clip(model, o->clip);
    rnn_model_set_learn(model, 1);
    rnn_model_seed_sampling(model, (uint64_t)o->seed);
    return model;
}

/* Progress: on a terminal a line rewritten about once a second; else one
 * line an epoch.  train_bits is NaN while no target was scored. */
static void progress(int tty, long done, long total, double start,
                     double train_bits, int final, long epoch)
{
    double elapsed = now() - start;
    double rate = elapsed > 0 ? done / elapsed : 0;
    double left = rate > 0 ? (total - done) / rate : 0;
    char loss[64] = "no target scored";
    if (!isnan(train_bits))
        snprintf(loss, sizeof loss, "train %.3f bits", train_bits);
    if (tty)
        fprintf(stderr, "\rpd-rnn: %ld/%ld events, %.0f events/s, %s, "
                        "%.0f s left   %s",
                done, total, rate, loss, left, final ? "\n" : "");
    else if (final)
        fprintf(stderr, "pd-rnn: epoch %ld: %ld events, %.0f events/s, "
                        "%s\n",
                epoch, done, rate, loss);
}

/* Fill one window for every stream from its part of the corpus, with at
 * most `left` tokens: the steps past them are skipped (-1), from the
 * window's end back, in every stream alike.  The tokens filled. */
static long fill_window(const rnn_corpus *corpus, long *position,
                        const long *end, int streams, int window,
                        int *tokens, unsigned char *starts,
                        const long *begin, long left)
{
    long filled = 0;
    for (int t = 0; t < window; t++)
        for (int s = 0; s < streams; s++) {
            long at = position[s]++;
            long i = (long)s * window + t;
            if (at < end[s] && filled < left) {
                tokens[i] = corpus->tokens[at];
                starts[i] = corpus->starts[at] || at == begin[s];
                filled++;
            } else {
                tokens[i] = -1;
                starts[i] = 0;
            }
        }
    return filled;
}

static int train_epochs(rnn_model *model, const rnn_corpus *corpus,
                        const rnn_corpus *val, const options *o, int streams,
                        int threads)
{
    int window = rnn_model_window(model);
    rnn_status status;
    rnn_trainer *trainer = rnn_trainer_new(model, streams, threads, &status);
    if (!trainer)
        return fail("cannot start training: %s", rnn_strerror(status));
    int *tokens = malloc((size_t)streams * window * sizeof(int));
    unsigned char *starts = malloc((size_t)streams * window);
    long *begin = malloc((size_t)streams * sizeof(long));
    long *end = malloc((size_t)streams * sizeof(long));
    long *position = malloc((size_t)streams * sizeof(long));
    if (!tokens || !starts || !begin || !end || !position) {
        rnn_trainer_free(trainer);
        free(tokens), free(starts), free(begin), free(end), free(position);
        return fail("out of memory");
    }

    /* each stream its own stretch of the corpus */
    for (int s = 0; s < streams; s++) {
        begin[s] = corpus->length * s / streams;
        end[s] = corpus->length * (s + 1) / streams;
    }
    long total = o->events ? o->events : o->epochs * corpus->length;
    long done = 0;
    int tty = isatty(2);
    double start = now(), shown = start, bits = 0;
    long scored = 0;
    long longest = 0; /* the longest stretch: the last, by rounding */
    for (int s = 0; s < streams; s++)
        if (end[s] - begin[s] > longest)
            longest = end[s] - begin[s];
    for (long epoch = 1; done < total; epoch++) {
        memcpy(position, begin, (size_t)streams * sizeof(long));
        double epoch_bits = 0;
        long epoch_scored = 0;
        for (long read = 0; done < total && read < longest; read += window) {
            done += fill_window(corpus, position, end, streams, window,
                                tokens, starts, begin, total - done);
            double window_bits;
            long window_scored;
            rnn_trainer_window(trainer, tokens, starts, &window_bits,
                               &window_scored);
            epoch_bits += window_bits;
            epoch_scored += window_scored;
            bits = bits * 0.98 + window_bits;
            scored = (long)(scored * 0.98) + window_scored;
            if (tty && now() - shown > 1) {
                shown = now();
                progress(tty, done, total, start,
                         scored ? bits / scored : NAN, 0, epoch);
            }
        }
        progress(tty, done, total, start,
                 epoch_scored ? epoch_bits / epoch_scored : NAN, 1, epoch);
        if (val) {
            long val_scored;
            double val_bits = evaluate(model, val, &val_scored);
            if (val_scored)
                fprintf(stderr, "pd-rnn: epoch %ld: validation %.4f bits "
                                "over %ld events\n",
                        epoch, val_bits, val_scored);
            else
                fprintf(stderr, "pd-rnn: epoch %ld: validation: no target "
                                "scored (the file is too short, or holds "
                                "no token the model knows)\n",
                        epoch);
        }
    }
    rnn_trainer_free(trainer);
    free(tokens), free(starts), free(begin), free(end), free(position);
    return 0;
}

/* The model is written to a temporary file beside the output (beside
 * the file a link names), then renamed over it.  Before the training,
 * rather than after it: the output must be a regular file or not be
 * there yet, and a file must be possible beside it.  0, or 1 after the
 * refusal. */
static int check_output(const char *path, const char *what)
{
    struct stat info;
    if (stat(path, &info) == 0) {
        if (S_ISDIR(info.st_mode))
            return fail("%s: a folder; -o takes the name of the %s to "
                        "write",
                        path, what);
        if (!S_ISREG(info.st_mode))
            return fail("%s: not a regular file (a device, a FIFO or a "
                        "socket); -o takes the name of a %s",
                        path, what);
    } else if (errno != ENOENT) {
        return fail("%s: %s", path, strerror(errno));
    }

    /* a file beside the one it names, as the writer makes one */
    char why[512];
    if (rnn_model_save_check(path, why, sizeof why))
        return fail("%s: %s", path, why);
    return 0;
}

/* 1 when two paths name one file that is there */
static int same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    return !stat(a, &sa) && !stat(b, &sb) && sa.st_dev == sb.st_dev
           && sa.st_ino == sb.st_ino;
}

/* An output that is a file the command reads would be lost: 0, or 1
 * after the refusal. */
static int output_is_input(const char *output, const char *input)
{
    if (!input || !same_file(output, input))
        return 0;
    return fail("%s: -o names %s, which this command reads; write to "
                "another file",
                output, input);
}

static int command_train(const options *o)
{
    if (o->file_count < 1)
        return fail("train needs at least one CORPUS file");
    if (!o->output)
        return fail("train needs -o MODEL, the file to write");
    if (check_output(o->output, "model file"))
        return 1;
    /* the model resumed may be written over: it is read first */
    for (int f = 0; f < o->file_count; f++)
        if (output_is_input(o->output, o->files[f]))
            return 1;
    if (output_is_input(o->output, o->val))
        return 1;
    rnn_model *model = model_for_training(o);
    if (!model)
        return 1;
    rnn_token_kind kind = o->tokens >= 0 ? (rnn_token_kind)o->tokens
                          : o->resume    ? kind_of(model, o, 0)
                                         : RNN_TOKENS_CHARS;
    rnn_corpus corpus = {0}, val = {0};
    int rate = 0, failed = 0, warned = 0;
    for (int f = 0; f < o->file_count && !failed; f++)
        failed = read_corpus(&corpus, model, o->files[f], kind, 1, o, &rate,
                             o->resume ? o->resume : "the files before it",
                             &warned);
    if (!failed && o->val) {
        failed = read_corpus(&val, model, o->val, kind, 0, o, &rate,
                             o->resume ? o->resume : "the corpus", &warned);
        if (!failed && val.unknown)
            fprintf(stderr, "pd-rnn: the validation file has %ld tokens "
                            "the corpus does not; they are skipped\n",
                    val.unknown);
    }

    /* streams: as many as the corpus has windows for, a window being at
     * least two events, so that each stream has a target to score */
    int window = rnn_model_window(model);
    long windows = corpus.length / (window > 1 ? window : 2);
    int streams = o->batch;
    if (!failed && windows < 1)
        failed = fail("the corpus (%ld events) is shorter than one window "
                      "(%d)",
                      corpus.length, window);
    if (!failed && windows < streams) {
        streams = (int)windows;
        fprintf(stderr, "pd-rnn: the corpus has only %ld windows: training "
                        "%d streams instead of %d\n",
                windows, streams, o->batch);
    }

    /* threads: no more than streams, each thread taking some */
    int threads = o->threads < streams ? o->threads : streams;
    if (!failed && threads < o->threads)
        fprintf(stderr, "pd-rnn: %d streams keep %d threads busy, not %d\n",
                streams, threads, o->threads);
    if (!failed)
        fprintf(stderr, "pd-rnn: %ld events, vocabulary %d, %s %dx%d, "
                        "window %d, %d stream%s, %d thread%s\n",
                corpus.length, rnn_vocab_size(rnn_model_vocab(model)),
                rnn_cell_type_name(rnn_model_cell_type(model)),
                rnn_model_layers(model), rnn_model_hidden(model), window,
                streams, streams == 1 ? "" : "s", threads,
                threads == 1 ? "" : "s");
    if (!failed)
        failed = train_epochs(model, &corpus, o->val ? &val : NULL, o,
                              streams, threads);
    char why[512];
    if (!failed && rnn_model_save(model, o->output, why, sizeof why))
        failed = fail("%s: %s", o->output, why);
    rnn_corpus_free(&corpus);
    rnn_corpus_free(&val);
    rnn_model_free(model);
    return failed;
}

/* ------------------------------------------------------------ sample */

/* The prime, as the tokens a corpus of that kind would give. */
static int prime(rnn_model *model, const options *o, rnn_token_kind kind)
{
    char path[] = "/tmp/pd-rnn-prime-XXXXXX";
    if (!o->prime || !*o->prime)
        return 0;
    if (kind == RNN_TOKENS_AUDIO)
        return fail("--prime is for text and token models");
    if (kind == RNN_TOKENS_MIDI)
        kind = RNN_TOKENS_WORDS; /* notes as numbers */
    int fd = mkstemp(path);
    FILE *file = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!file)
        return fail("cannot make a temporary file for the prime");
    fputs(o->prime, file);
    fclose(file);
    rnn_corpus corpus = {0};
    char why[512];
    rnn_status status = rnn_corpus_read(&corpus, rnn_model_vocab(model), path,
                                        kind, 0, o->classes, NULL, why,
                                        sizeof why);
    unlink(path);
    if (corpus.unknown)
        fprintf(stderr, "pd-rnn: the prime has %ld tokens the model never "
                        "saw; they are skipped\n",
                corpus.unknown);
    int hidden = rnn_model_hidden(model);
    for (long i = 0; status == RNN_OK && i < corpus.length; i++) {
        const rnn_real *h;
        if (rnn_model_step_index(model, corpus.tokens[i], &h) == RNN_OK)
            rnn_model_predict(model, h, hidden);
    }
    rnn_corpus_free(&corpus);
    return 0;
}

static void print_token(FILE *out, const rnn_token *token,
                        rnn_token_kind kind, long i)
{
    if ((kind == RNN_TOKENS_WORDS || kind == RNN_TOKENS_MIDI) && i > 0)
        fputc(' ', out);
    if (token->type == RNN_TOKEN_FLOAT)
        fprintf(out, "%g", token->value);
    else
        fputs(token->text, out);
}

static int write_sound(const options *o, const float *samples, long count)
{
    SF_INFO info;
    memset(&info, 0, sizeof info);
    info.samplerate = o->rate;
    info.channels = 1;
    info.format = sound_file(o->output)->format;
    struct stat before;
    int existed = stat(o->output, &before) == 0;
    SNDFILE *file = sf_open(o->output, SFM_WRITE, &info);
    if (!file) {
        /* libsndfile may leave an empty file when it refuses a setting */
        const char *why = sf_strerror(NULL);
        if (!existed)
            unlink(o->output);
        return fail("%s: %s", o->output, why);
    }
    sf_count_t written = sf_writef_float(file, samples, count);
    int closed = sf_close(file);
    if (written != count || closed)
        return fail("%s: write failed", o->output);
    return 0;
}

/* Whether every token of a model is a note of the grid, for a MIDI file */
static int midi_model(rnn_model *model, int grid)
{
    rnn_vocab *vocab = rnn_model_vocab(model);
    for (int i = 0; i < rnn_vocab_size(vocab); i++) {
        const rnn_token *t = rnn_vocab_token(vocab, i);
        int pitch, steps;
        if (t->type != RNN_TOKEN_FLOAT
            || !rnn_midi_note(t->value, grid, &pitch, &steps))
            return 0;
    }
    return 1;
}

static int command_sample(const options *o)
{
    if (o->file_count != 1)
        return fail("sample needs one MODEL (see pd-rnn --help)");
    if (o->output
        && (check_output(o->output, "file")
            || output_is_input(o->output, o->files[0])))
        return 1;
    char why[512];
    rnn_model *model = rnn_model_load(o->files[0], why, sizeof why);
    if (!model)
        return fail("%s: %s", o->files[0], why);
    int hidden = rnn_model_hidden(model);
    rnn_vocab *vocab = rnn_model_vocab(model);
    if (hidden == 0 || rnn_vocab_size(vocab) == 0) {
        rnn_model_free(model);
        return fail("%s: the model has no cell or no vocabulary", o->files[0]);
    }
    if (!rnn_model_has_readout(model)) {
        rnn_model_free(model);
        return fail("%s: the model has no readout: it was never trained, so "
                    "it has nothing to say yet",
                    o->files[0]);
    }
    int sound = sound_file(o->output) != NULL;
    int midi = midi_file(o->output)
               && (o->tokens < 0 || o->tokens == RNN_TOKENS_MIDI);
    rnn_token_kind kind = midi ? RNN_TOKENS_MIDI : kind_of(model, o, sound);
    if (sound && kind != RNN_TOKENS_AUDIO) {
        rnn_model_free(model);
        return fail("%s: a sound file needs a model of mu-law classes "
                    "(trained with --tokens audio)",
                    o->output);
    }
    if (midi && !midi_model(model, o->midi_grid)) {
        rnn_model_free(model);
        return fail("%s: a MIDI file needs a model of notes (trained with "
                    "--tokens midi%s)",
                    o->output,
                    o->midi_grid ? " and the same --midi-durations"
                                 : "; give --midi-durations as in training");
    }
    rnn_model_set_learn(model, 0);
    rnn_model_set_temperature(model, o->temperature);
    rnn_model_set_top_k(model, o->top_k);
    rnn_model_seed_sampling(model, (uint64_t)o->seed);
    if (prime(model, o, kind)) {
        rnn_model_free(model);
        return 1;
    }

    /* with no prime, the first token starts the generation */
    int have = rnn_model_probabilities(model, &(int){0}) != NULL;
    if (!have) {
        const rnn_real *h;
        rnn_model_step_index(model, 0, &h);
        rnn_model_predict(model, h, hidden);
    }
    FILE *out = stdout;
    if (o->output && !sound && !midi && !(out = fopen(o->output, "w"))) {
        rnn_model_free(model);
        return fail("%s: cannot write", o->output);
    }

    /* sound: samples; MIDI: the tokens' values */
    int file = sound || midi;
    float *samples = file ? malloc((size_t)(o->count + 1) * sizeof(float))
                          : NULL;
    if (file && !samples) {
        rnn_model_free(model);
        return fail("out of memory");
    }
    int ends_line = 1; /* the text written so far is empty or a line's */
    for (long i = 0; i < o->count; i++) {
        int index = rnn_model_choose(model);
        const rnn_token *token = rnn_vocab_token(vocab, index);
        if (!token)
            break;
        if (sound)
            samples[i] = (float)rnn_mulaw_decode((int)token->value,
                                                 o->classes);
        else if (midi)
            samples[i] = token->value;
        else {
            print_token(out, token, kind, i);
            ends_line = token->type == RNN_TOKEN_SYMBOL && *token->text
                        && token->text[strlen(token->text) - 1] == '\n';
        }
        const rnn_real *h;
        rnn_model_step_index(model, index, &h);
        rnn_model_predict(model, h, hidden);
    }
    int failed = 0;
    if (sound)
        failed = write_sound(o, samples, o->count);
    else if (midi
             && rnn_midi_write(o->output, samples, o->count, o->midi_grid,
                               why, sizeof why))
        failed = fail("%s", why);
    else if (kind == RNN_TOKENS_WORDS || kind == RNN_TOKENS_MIDI)
        fputc('\n', out);
    else if (!ends_line && (out != stdout || isatty(fileno(out))))
        fputc('\n', out); /* a text file, or a terminal's prompt, after it;
                            * into a pipe the characters alone */
    if (out != stdout && fclose(out))
        failed = fail("%s: write failed", o->output);
    free(samples);
    rnn_model_free(model);
    return failed;
}

int main(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        fputs(usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("pd-rnn %s\n", RNN_VERSION);
        return 0;
    }
    options o;
    if (parse(argc, argv, &o))
        return 2;
    if (!strcmp(o.command, "train"))
        return command_train(&o);
    if (!strcmp(o.command, "eval"))
        return command_eval(&o);
    if (!strcmp(o.command, "sample"))
        return command_sample(&o);
    fprintf(stderr, "pd-rnn: unknown command '%s'\n%s", o.command, usage);
    return 2;
}
