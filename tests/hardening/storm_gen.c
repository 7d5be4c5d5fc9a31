/* The message storm of tests/hardening/storm.pd: COUNT random messages,
 * seeded, one a line in the format of [text sequence -g]: a receiver, then
 * the message.  The receivers are the inlets of four models' objects
 * (storm.pd):
 *
 *   st-M-enc   [rnn.encode]'s inlet     st-M-cell   [rnn.cell]'s left
 *   st-M-cellR [rnn.cell]'s right       st-M-dec    [rnn.decode]'s left
 *   st-M-decR  [rnn.decode]'s right
 *
 * for M = e (Elman), g (GRU, 2 layers), l (LSTM, worker thread): the
 * witnesses, and v (GRU, -chars): the victim.
 *
 * Messages: bang, float, symbol, lists empty, short and long (up to 600
 * atoms), and any selector, method names among them, with missing, extra
 * or mistyped arguments; numbers from an edge-case table (huge, tiny,
 * negative, 1e39 which Pd reads as infinity) and $1, which the patch sets
 * to NaN through [text sequence]'s args.
 *
 * The victim takes everything.  A witness takes only what must leave its
 * model as it was, so that its predictions after the storm (and a reset)
 * can be compared with those before: nothing that is an event for its
 * encoder (an event is a token: it grows the vocabulary and would change
 * every probability), no valid 'learn 1', no 'clear' (even 'clear 1',
 * which is refused with an error yet still clears: see the report), no
 * 'read' of a real model file, no kept model ('rnn-model' with valid
 * base64 cannot come out of this generator).  Everything else a witness
 * takes as well: steps, gradients, predictions and targets with learning
 * off, every setting, write.  A file name is always under TMPDIR, so the
 * storm writes nowhere else.
 *
 * usage: storm_gen SEED COUNT TMPDIR > storm.txt */

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng_state;

/* xorshift64*: plenty for choosing messages, the same everywhere */
static uint32_t next(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (uint32_t)((rng_state * 2685821657736338717ULL) >> 32);
}

static int below(int n)
{
    return (int)(next() % (uint32_t)n);
}

#define COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* An atom as text: a number of the edge-case table, NaN ($1), or a symbol
 * (tokens, method and flag names, UTF-8). */
static const char *const numbers[] = {
    "0",    "-0",     "1",     "-1",      "0.5",   "2",   "3",
    "60",   "62",     "1e-45", "1e-38",   "1e+30", "3e+38", "-3e+38",
    "3.4e+38", "1e39", "-1e39", "16777217", "4096", "4097", "65536",
    "1e+10", "-5",    "3.5",   "1e-04",   "7",     "8",   "100000"};
static const char *const symbols[] = {
    "a",      "b",      "c",     "x",       "reset", "learn", "clear",
    "list",   "float",  "symbol", "bang",   "foo",   "\xc3\xa9",
    "\xe6\x97\xa5\xe6\x9c\xac", "-type", "-chars", "lstm", "adam",
    "sgd",    "adagrad", "probs", "hidden", "state",  "forget", "m",
    "mAAAA",  "m....",  "rnn-model", "window", "pd"};

typedef struct message {
    char text[16384];
    size_t length;
    int events;     /* encoder: this would be an event (a token) */
    int refused;    /* the encoder refuses the whole message (NaN, inf) */
    int changes;    /* changes the model whoever receives it */
} message;

static void put(message *m, const char *text)
{
    size_t n = strlen(text);
    if (m->length + n + 2 >= sizeof m->text)
        return;
    if (m->length)
        m->text[m->length++] = ' ';
    memcpy(m->text + m->length, text, n);
    m->length += n;
    m->text[m->length] = 0;
}

/* An argument: a number, NaN, or a symbol. */
static void put_atom(message *m)
{
    int pick = below(20);
    if (pick < 9) {
        const char *number = numbers[below(COUNT(numbers))];
        put(m, number);
        if (!strcmp(number, "1e39") || !strcmp(number, "-1e39")
            || !strcmp(number, "3.4e+38"))
            m->refused = 1;
    } else if (pick < 11) {
        put(m, "$1");
        m->refused = 1;
    } else {
        put(m, symbols[below(COUNT(symbols))]);
    }
}

static void put_atoms(message *m, int count)
{
    for (int i = 0; i < count; i++)
        put_atom(m);
}

/* How many arguments: mostly none to three, sometimes a long list. */
static int argument_count(void)
{
    int pick = below(20);
    if (pick < 16)
        return below(4);
    if (pick < 19)
        return 4 + below(40);
    return 100 + below(500);
}

/* The methods the objects know, each with a right argument sometimes. */
static const char *const methods[] = {
    "learn",  "reset", "clear", "print",  "lr",    "clip",      "optim",
    "read",   "write", "callback", "window", "every", "seed",   "array",
    "thread", "temperature", "top-k", "rnn-model"};

static void put_method(message *m, const char *tmpdir)
{
    const char *name = methods[below(COUNT(methods))];
    char path[1024];
    put(m, name);
    if (!strcmp(name, "clear")) {
        m->changes = 1;
        if (below(2))
            put_atoms(m, 1 + below(2));
        return;
    }
    if (!strcmp(name, "read") || !strcmp(name, "write")
        || !strcmp(name, "callback")) {
        /* no argument opens a dialog, after which 'callback' reads or
         * writes: every file is in TMPDIR; "model-*.rnn" are real models
         * (storm.pd writes them first) */
        static const char *const files[] = {"missing.rnn", "garbage.rnn",
                                            "empty.rnn", "model-e.rnn",
                                            "model-g.rnn", "model-l.rnn",
                                            "out.rnn", "no/such/dir/x.rnn"};
        int pick = below(12);
        /* what a witness may read (missing, garbage, empty) is never
         * written: only read takes those three names */
        if (pick < 3 && strcmp(name, "read"))
            pick += 3;
        if (pick < 8) {
            snprintf(path, sizeof path, "%s/%s", tmpdir, files[pick]);
            put(m, path);
            /* reading anything that may be a model replaces the model */
            if (pick >= 3 && pick != 7 && strcmp(name, "write"))
                m->changes = 1;
            if (below(6) == 0)
                put_atom(m); /* extra */
        } else if (pick < 10) {
            put(m, numbers[below(COUNT(numbers))]);
        }
        if (!strcmp(name, "callback"))
            m->changes = 1; /* may read a model a dialog asked for */
        return;
    }
    if (!strcmp(name, "learn")) {
        int pick = below(5);
        if (pick == 0) {
            put(m, "1");
            m->changes = 1;
        } else if (pick == 1) {
            put(m, "0");
        } else {
            put_atoms(m, argument_count());
            m->changes = 1; /* "learn 3" is refused, but be sure */
        }
        return;
    }
    if (!strcmp(name, "array")) {
        static const char *const whats[] = {"hidden", "probs", "reset",
                                            "state", "nothing"};
        if (below(4)) {
            put(m, whats[below(COUNT(whats))]);
            if (below(3))
                put(m, below(2) ? "no-such-array" : "60");
            if (below(3) == 0)
                put(m, numbers[below(COUNT(numbers))]);
            return;
        }
    }
    if (!strcmp(name, "optim") && below(2)) {
        static const char *const kinds[] = {"sgd", "adam", "adagrad",
                                            "rmsprop"};
        put(m, kinds[below(COUNT(kinds))]);
        return;
    }
    if (!strcmp(name, "rnn-model"))
        m->changes = 1; /* a kept model: never valid here, but be sure */
    put_atoms(m, argument_count());
}

/* One message of any kind. */
static void make_message(message *m, const char *tmpdir)
{
    memset(m, 0, sizeof *m);
    int pick = below(20);
    if (pick < 2) {
        put(m, "bang");
        if (below(4) == 0)
            put_atoms(m, 1 + below(2));
    } else if (pick < 5) {
        put(m, "float");
        if (below(6))
            put_atom(m);
        if (below(8) == 0) {
            /* an extra argument: [receive] passes the first on alone */
            int refused = m->refused;
            put_atom(m);
            m->refused = refused;
        }
        m->events = 1;
    } else if (pick < 7) {
        put(m, "symbol");
        if (below(5))
            put(m, symbols[below(COUNT(symbols))]);
        else
            m->refused = 1; /* the empty symbol */
        m->events = 1;
    } else if (pick < 12) {
        put(m, "list");
        int count = argument_count();
        put_atoms(m, count);
        m->events = count > 0;
    } else if (pick < 17) {
        put_method(m, tmpdir);
        m->events = 0;
    } else {
        /* any other selector (not a method's name: those come above, with
         * the arguments they take): for the encoder, tokens */
        const char *selector;
        int is_method;
        do {
            selector = symbols[below(COUNT(symbols))];
            /* 'float X ...' and 'symbol X ...' pass X on alone: they
             * come from their own branches above */
            is_method = !strcmp(selector, "float")
                        || !strcmp(selector, "symbol");
            for (int i = 0; i < COUNT(methods); i++)
                is_method |= !strcmp(selector, methods[i]);
        } while (is_method);
        put(m, selector);
        put_atoms(m, argument_count());
        m->events = 1;
    }
}

/* Would a witness's object of this kind be left as it was? */
static int harmless(const message *m, const char *inlet)
{
    if (m->changes)
        return 0;
    if (!strcmp(inlet, "enc")) {
        /* for the encoder every selector but the methods all objects
         * take is an event ('window 3' is two tokens) */
        static const char *const common[] = {"learn", "reset", "print",
                                             "lr",    "clip",  "optim",
                                             "read",  "write"};
        int method = 0;
        for (int i = 0; i < COUNT(common); i++) {
            size_t n = strlen(common[i]);
            if (!strncmp(m->text, common[i], n)
                && (m->text[n] == ' ' || !m->text[n]))
                method = 1;
        }
        if (method || !strcmp(m->text, "bang") || !strcmp(m->text, "list")
            || !strncmp(m->text, "bang ", 5))
            return 1;
        return m->refused; /* refused whole, before any part is encoded */
    }
    return 1;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: storm_gen SEED COUNT TMPDIR\n");
        return 2;
    }
    rng_state = strtoull(argv[1], NULL, 10) * 0x9e3779b97f4a7c15ULL + 1;
    long count = strtol(argv[2], NULL, 10);
    const char *tmpdir = argv[3];
    static const char *const models[] = {"e", "g", "l", "v"};
    static const char *const inlets[] = {"enc", "cell", "cellR", "dec",
                                         "decR"};
    static message m;
    long witness = 0;
    for (long i = 0; i < count; i++) {
        const char *model = models[below(4)];
        const char *inlet = inlets[below(5)];
        do
            make_message(&m, tmpdir);
        while (strcmp(model, "v") && !harmless(&m, inlet));
        witness += strcmp(model, "v") != 0;
        printf("st-%s-%s %s;\n", model, inlet, m.text);
    }
    fprintf(stderr, "storm_gen: %ld messages, %ld to the witnesses\n", count,
            witness);
    return 0;
}
