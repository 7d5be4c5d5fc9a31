/* [rnn.encode NAME] turns each event into its vocabulary index and its
 * one-hot vector.  Floats, symbols, lists and any other message are
 * events; with -chars a symbol is split into its characters (Unicode code
 * points), list elements joined by a space. */

#include <math.h>
#include <string.h>

#include "rnn_shared.h"

#define WHAT "rnn.encode"

static t_class *rnn_encode_class;

typedef struct rnn_encode {
    rnn_base x_base;      /* the object, its model and its files */
    int x_chars;          /* split symbols into characters */
    t_outlet *x_onehot;   /* left: the one-hot list */
    t_outlet *x_index;    /* right: the index, first */
    rnn_buffers x_buffers;
} t_rnn_encode;

static void fill_onehot(t_atom *atoms, int n, const void *data)
{
    int index = *(const int *)data;
    for (int i = 0; i < n; i++)
        SETFLOAT(atoms + i, i == index);
}

/* Add a token and send its index, then its one-hot vector. */
static void rnn_encode_token(t_rnn_encode *x, const rnn_token *token)
{
    rnn_vocab *vocab = rnn_model_vocab(x->x_base.b_shared->s_model);
    int index;
    rnn_status status = rnn_vocab_add(vocab, token, &index);
    if (status) {
        if (status == RNN_ERR_FULL)
            rnn_error(x, WHAT ": vocabulary full (%d tokens): token refused",
                     rnn_vocab_capacity(vocab));
        else
            rnn_report(x, WHAT, "adding a token", status);
        return;
    }
    outlet_float(x->x_index, index);
    rnn_outlet_fill(x->x_onehot, &x->x_buffers, rnn_vocab_size(vocab),
                    fill_onehot, &index);
}

/* Each character of a UTF-8 text as a token of its own. */
static void rnn_encode_characters(t_rnn_encode *x, const char *text)
{
    size_t length = strlen(text);
    char character[8];
    rnn_token token = {RNN_TOKEN_SYMBOL, 0, character};
    for (size_t at = 0; at < length;) {
        size_t n = rnn_utf8_char_length(text + at, length - at);
        memcpy(character, text + at, n);
        character[n] = 0;
        rnn_encode_token(x, &token);
        at += n;
    }
}

static void rnn_encode_atom(t_rnn_encode *x, const t_atom *atom)
{
    if (atom->a_type == A_FLOAT) {
        if (x->x_chars) {
            char text[MAXPDSTRING];
            atom_string(atom, text, sizeof text);
            rnn_encode_characters(x, text);
        } else {
            rnn_token token = {RNN_TOKEN_FLOAT, (float)atom->a_w.w_float,
                               NULL};
            rnn_encode_token(x, &token);
        }
    } else if (atom->a_type == A_SYMBOL) {
        const char *text = atom->a_w.w_symbol->s_name;
        if (x->x_chars) {
            rnn_encode_characters(x, text);
        } else {
            rnn_token token = {RNN_TOKEN_SYMBOL, 0, text};
            rnn_encode_token(x, &token);
        }
    } else {
        rnn_error(x, WHAT ": cannot encode a pointer or other non-value atom");
    }
}

/* A message holding a number the core cannot take is refused whole,
 * before any part of it is encoded. */
static int rnn_encode_acceptable(t_rnn_encode *x, int argc,
                                 const t_atom *argv)
{
    for (int i = 0; i < argc; i++) {
        if (argv[i].a_type == A_FLOAT) {
            t_float f = argv[i].a_w.w_float;
            if (!isfinite(f) || fabs(f) > 3.0e38) {
                rnn_error(x, WHAT ": element %d is %s: message refused, "
                            "nothing encoded",
                         i + 1, isnan(f) ? "NaN" : "infinite or too large");
                return 0;
            }
        } else if (argv[i].a_type == A_SYMBOL
                   && !*argv[i].a_w.w_symbol->s_name) {
            rnn_error(x, WHAT ": element %d is the empty symbol (a message "
                        "box's 'symbol 60' sends one: make a symbol of a "
                        "number with [makefilename %%d]): message refused",
                     i + 1);
            return 0;
        } else if (argv[i].a_type != A_SYMBOL) {
            rnn_error(x, WHAT ": element %d is not a number or symbol: "
                        "message refused", i + 1);
            return 0;
        }
    }
    return 1;
}

/* Accepted atoms, in order; `after` says whether an element came before
 * them, which in -chars mode a space then separates from the first. */
static void rnn_encode_atoms(t_rnn_encode *x, int after, int argc,
                             const t_atom *argv)
{
    for (int i = 0; i < argc; i++) {
        if (x->x_chars && (i > 0 || after))
            rnn_encode_characters(x, " ");
        rnn_encode_atom(x, argv + i);
    }
}

/* A list is a sequence of events; in -chars mode its elements are words
 * of one text, a space between each. */
static void rnn_encode_list(t_rnn_encode *x, t_symbol *s, int argc,
                            t_atom *argv)
{
    (void)s;
    if (argc == 0) {
        rnn_error(x, WHAT ": empty list: send a float, symbol or list of "
                    "events");
        return;
    }
    if (!rnn_encode_acceptable(x, argc, argv))
        return;
    rnn_encode_atoms(x, 0, argc, argv);
}

static void rnn_encode_float(t_rnn_encode *x, t_float f)
{
    t_atom atom;
    SETFLOAT(&atom, f);
    rnn_encode_list(x, &s_list, 1, &atom);
}

static void rnn_encode_symbol(t_rnn_encode *x, t_symbol *s)
{
    t_atom atom;
    SETSYMBOL(&atom, s);
    rnn_encode_list(x, &s_list, 1, &atom);
}

static void rnn_encode_bang(t_rnn_encode *x)
{
    rnn_error(x, WHAT ": bang is not an event: send a float, symbol or list");
}

/* Methods first; any other message is a selector and its arguments, each
 * an event (a token named like a method is sent as "symbol reset"). */
static void rnn_encode_anything(t_rnn_encode *x, t_symbol *s, int argc,
                                t_atom *argv)
{
    if (rnn_common_method(&x->x_base, s, argc, argv))
        return;
    if (!rnn_encode_acceptable(x, argc, argv))
        return;

    /* the selector, then its arguments: no list is built for them */
    t_atom selector;
    SETSYMBOL(&selector, s);
    rnn_encode_atom(x, &selector);
    rnn_encode_atoms(x, 1, argc, argv);
}

/* -capacity N: memory for the whole vocabulary now, so that growing it
 * allocates nothing while the patch runs.  It is the model's, shared by
 * all its objects: a change of a capacity set before is said, and a
 * capacity below the tokens already there refused. */
static void rnn_encode_capacity(t_rnn_encode *x, int capacity)
{
    rnn_model *model = x->x_base.b_shared->s_model;
    rnn_vocab *vocab = rnn_model_vocab(model);
    const char *name = x->x_base.b_shared->s_name->s_name;
    int size = rnn_vocab_size(vocab), before = rnn_vocab_capacity(vocab);
    int set_before =
        rnn_model_reserved(model) > 0 || before != RNN_DEFAULT_CAPACITY;
    if (capacity < size) {
        rnn_error(x, WHAT ": -capacity %d is less than the %d tokens model "
                     "'%s' already holds: use at least %d; the capacity "
                     "stays %d",
                  capacity, size, name, size, before);
        return;
    }
    rnn_status status = rnn_model_reserve(model, capacity);
    if (status) {
        rnn_report(x, WHAT, "reserving the vocabulary", status);
        return;
    }
    if (rnn_vocab_capacity(vocab) > capacity)
        rnn_vocab_set_capacity(vocab, capacity);
    if (set_before && capacity != before)
        rnn_error(x, WHAT ": model '%s' had a vocabulary capacity of %d; "
                     "this -capacity %d changes it for every object of the "
                     "model (give its encoders the same -capacity)",
                  name, before, capacity);
}

static void *rnn_encode_new(t_symbol *s, int argc, t_atom *argv)
{
    (void)s;
    t_rnn_encode *x = (t_rnn_encode *)pd_new(rnn_encode_class);
    t_symbol *name = NULL;
    double capacity = 0;
    for (int i = 0; i < argc; i++) {
        t_symbol *word = atom_getsymbol(argv + i);
        int flag = argv[i].a_type == A_SYMBOL && word->s_name[0] == '-';
        if (flag && !strcmp(word->s_name, "-chars"))
            x->x_chars = 1;
        else if (flag && !strcmp(word->s_name, "-capacity")) {
            if (!rnn_flag_number(x, WHAT, "-capacity",
                                 i + 1 < argc ? argv + i + 1 : NULL, 1,
                                 RNN_MAX_VOCAB, 1, "ignored", &capacity))
                capacity = 0;
            i++;
        } else if (flag) {
            rnn_error(x, WHAT ": unknown flag '%s' ignored; the flags are "
                         "-chars and -capacity 1..%d",
                      word->s_name, RNN_MAX_VOCAB);
            /* a number after it was its value: one error is enough */
            i += i + 1 < argc && argv[i + 1].a_type == A_FLOAT;
        } else if (argv[i].a_type == A_SYMBOL && !name)
            name = word;
        else {
            char given[MAXPDSTRING];
            atom_string(argv + i, given, sizeof given);
            rnn_error(x, WHAT ": extra argument '%s' ignored; use "
                         "[rnn.encode NAME -chars -capacity N]",
                      given);
        }
    }
    if (!rnn_base_init(&x->x_base, WHAT, name)) {
        pd_free(&x->x_base.b_obj.ob_pd);
        return NULL;
    }
    if (capacity > 0)
        rnn_encode_capacity(x, (int)capacity);
    x->x_onehot = outlet_new(&x->x_base.b_obj, &s_list);
    x->x_index = outlet_new(&x->x_base.b_obj, &s_float);
    return x;
}

static void rnn_encode_free(t_rnn_encode *x)
{
    rnn_buffers_free(&x->x_buffers);
    rnn_base_free(&x->x_base);
}

void rnn_encode_setup(void)
{
    rnn_encode_class = class_new(gensym("rnn.encode"),
                                 (t_newmethod)rnn_encode_new,
                                 (t_method)rnn_encode_free,
                                 sizeof(t_rnn_encode), 0, A_GIMME, 0);
    class_addbang(rnn_encode_class, rnn_encode_bang);
    class_addfloat(rnn_encode_class, rnn_encode_float);
    class_addsymbol(rnn_encode_class, rnn_encode_symbol);
    class_addlist(rnn_encode_class, rnn_encode_list);
    class_addanything(rnn_encode_class, rnn_encode_anything);
}
