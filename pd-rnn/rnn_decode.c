/* [rnn.decode NAME] is the softmax readout.  h(t) on the left predicts the
 * next token; a target index on the right scores that prediction, sends
 * dLoss/dh back to the cell and reports the running loss and accuracy. */

#include <stdio.h>
#include <string.h>

#include "rnn_shared.h"

#define WHAT "rnn.decode"

static t_class *rnn_decode_class;

typedef struct rnn_decode {
    rnn_base x_base;      /* the object, its model and its files */
    rnn_inlet x_target_inlet; /* right: the target index */
    t_outlet *x_token;        /* the predicted token */
    t_outlet *x_probs;        /* the probability list */
    t_outlet *x_info;         /* loss, accuracy, size */
    t_outlet *x_grad;         /* dLoss/dh for the cell */
    rnn_buffers x_hidden;     /* h(t) coming in, probabilities going out */
    rnn_buffers x_gradient;   /* dLoss/dh going out */
    rnn_arrays x_arrays;      /* "probs" drawn into Pd arrays */
    long x_skipped;           /* windows skipped, as last reported */
} t_rnn_decode;

/* An empty vocabulary has nothing to predict or score: say what to do,
 * which depends on how the object was made. */
static void rnn_decode_empty(t_rnn_decode *x, const char *doing)
{
    rnn_model *model = x->x_base.b_shared->s_model;
    const char *name = x->x_base.b_shared->s_name->s_name;
    if (!x->x_base.b_named)
        rnn_error(x, WHAT ": %s: this object has no NAME, so it joined "
                     "model '%s', whose vocabulary is empty: give it the "
                     "NAME of its [rnn.encode NAME]",
                  doing, name);
    else if (rnn_model_hidden(model) == 0)
        rnn_error(x, WHAT ": %s: model '%s' has no cell and its vocabulary "
                     "is empty: send events through [rnn.encode %s] and "
                     "h(t) from [rnn.cell %s HIDDEN]",
                  doing, name, name, name);
    else
        rnn_error(x, WHAT ": %s: the vocabulary of model '%s' is empty: "
                     "send events through [rnn.encode %s] first",
                  doing, name, name);
}

static void rnn_decode_list(t_rnn_decode *x, t_symbol *s, int argc,
                            t_atom *argv)
{
    (void)s;
    rnn_model *model = x->x_base.b_shared->s_model;
    if (argc == 0) {
        rnn_error(x, WHAT ": empty list: send h(t), the cell's output");
        return;
    }
    if (!rnn_list_to_reals(x, WHAT, &x->x_hidden, argc, argv))
        return;

    /* before the readout is made, which would fix the size of h(t) */
    if (rnn_vocab_size(rnn_model_vocab(model)) == 0) {
        rnn_decode_empty(x, "h(t) not used, nothing to predict");
        return;
    }
    rnn_status status = rnn_model_predict(model, x->x_hidden.b_reals, argc);
    if (status == RNN_ERR_SIZE) {
        int hidden = rnn_model_hidden(model);
        rnn_error(x, WHAT ": h(t) of %d values, expected %d", argc,
                 hidden ? hidden : argc);
        return;
    }
    if (status) {
        rnn_report(x, WHAT, "predict", status);
        return;
    }

    /* right to left: the probabilities, then the token */
    int count;
    const rnn_real *probs = rnn_model_probabilities(model, &count);
    if (!probs)
        return;
    int index = rnn_model_choose(model);
    for (int i = 0; i < x->x_arrays.a_count; i++)
        rnn_arrays_write(&x->x_base, &x->x_arrays.a_items[i], probs, count);
    rnn_outlet_reals(x->x_probs, &x->x_hidden, probs, count);
    const rnn_token *token =
        rnn_vocab_token(rnn_model_vocab(model), index);
    if (!token)
        return;
    if (token->type == RNN_TOKEN_FLOAT)
        outlet_float(x->x_token, token->value);
    else
        outlet_symbol(x->x_token, gensym(token->text));
}

static void rnn_decode_target(void *owner, t_symbol *s, int argc,
                              t_atom *argv)
{
    t_rnn_decode *x = owner;
    rnn_model *model = x->x_base.b_shared->s_model;
    int size = rnn_vocab_size(rnn_model_vocab(model));
    if ((s != &s_float && s != &s_list) || argc != 1
        || argv[0].a_type != A_FLOAT) {
        rnn_error(x, WHAT ": right inlet takes a target index (a float from "
                    "0 to %d), not '%s'", size - 1, s->s_name);
        return;
    }
    t_float f = argv[0].a_w.w_float;
    if (size == 0) {
        char doing[64];
        snprintf(doing, sizeof doing, "target %g not scored", f);
        rnn_decode_empty(x, doing);
        return;
    }
    if (!(f >= 0 && f < size) || f != (int)f) {
        rnn_error(x, WHAT ": target %g is not an index of the vocabulary "
                    "(0 to %d)", f, size - 1);
        return;
    }

    const rnn_real *grad;
    int scored;
    rnn_score score;
    rnn_status status = rnn_model_score(model, (int)f, &grad, &scored,
                                        &score);
    if (status == RNN_ERR_NONFINITE)
        rnn_report_rejected(&x->x_base);
    else if (status) {
        rnn_report(x, WHAT, "target", status);
        return;
    }
    if (!scored)
        return;

    /* right to left: the gradient leaves at once, then the info */
    if (grad)
        rnn_outlet_reals(x->x_grad, &x->x_gradient, grad,
                         rnn_model_readout_width(model));
    t_atom atom;
    SETFLOAT(&atom, (t_float)score.mean_loss);
    outlet_anything(x->x_info, gensym("loss"), 1, &atom);
    SETFLOAT(&atom, (t_float)score.accuracy);
    outlet_anything(x->x_info, gensym("accuracy"), 1, &atom);
    SETFLOAT(&atom, (t_float)score.size);
    outlet_anything(x->x_info, gensym("size"), 1, &atom);

    /* a worker thread that fell behind skipped windows: say how many */
    long skipped = rnn_model_skipped(model);
    if (skipped != x->x_skipped) {
        x->x_skipped = skipped;
        SETFLOAT(&atom, (t_float)skipped);
        outlet_anything(x->x_info, gensym("skipped"), 1, &atom);
    }
}

static void rnn_decode_anything(t_rnn_decode *x, t_symbol *s, int argc,
                                t_atom *argv)
{
    rnn_model *model = x->x_base.b_shared->s_model;
    double value;
    if (rnn_common_method(&x->x_base, s, argc, argv))
        return;
    if (s == gensym("temperature")) {
        if (rnn_method_number(x, WHAT, "temperature", argc, argv, 0, 1000,
                              &value))
            rnn_model_set_temperature(model, value);
    } else if (s == gensym("top-k")) {
        if (rnn_method_whole(x, WHAT, "top-k", argc, argv, 0, RNN_MAX_VOCAB,
                             &value))
            rnn_model_set_top_k(model, (int)value);
    } else if (s == gensym("seed")) {
        if (rnn_method_whole(x, WHAT, "seed", argc, argv, 0, 4294967295.0,
                             &value))
            rnn_model_seed_sampling(model, (uint64_t)value);
    } else if (s == gensym("array")) {
        if (argc >= 1 && atom_getsymbol(argv) != gensym("probs"))
            rnn_error(x, WHAT ": 'array probs ARRAY' draws the probabilities; "
                        "there is nothing else to draw here");
        else if (argc > 2)
            rnn_error(x, WHAT ": 'array probs ARRAY' takes no layer");
        else
            rnn_arrays_method(&x->x_base, &x->x_arrays, argc, argv);
    } else {
        rnn_error(x, WHAT ": no method '%s'; the left inlet takes h(t) (a "
                    "list) and temperature, top-k, seed, array, learn, lr, "
                    "clip, optim, reset, clear, read, write, print",
                 s->s_name);
    }
}

static void rnn_decode_bang(t_rnn_decode *x)
{
    rnn_error(x, WHAT ": bang does nothing: send h(t), a list");
}

static void rnn_decode_symbol(t_rnn_decode *x, t_symbol *s)
{
    rnn_error(x, WHAT ": symbol '%s' is not h(t): send a list of numbers",
             s->s_name);
}

static void *rnn_decode_new(t_symbol *s, int argc, t_atom *argv)
{
    (void)s;
    t_rnn_decode *x = (t_rnn_decode *)pd_new(rnn_decode_class);
    t_symbol *name = NULL;
    for (int i = 0; i < argc; i++) {
        const char *word = atom_getsymbol(argv + i)->s_name;
        char given[MAXPDSTRING];
        atom_string(argv + i, given, sizeof given);
        if (argv[i].a_type == A_SYMBOL && word[0] == '-') {
            rnn_error(x, WHAT ": unknown flag '%s' ignored: [rnn.decode "
                         "NAME] takes no flags",
                      word);
            /* a number after it was its value: one error is enough */
            i += i + 1 < argc && argv[i + 1].a_type == A_FLOAT;
        } else if (argv[i].a_type == A_SYMBOL && !name)
            name = argv[i].a_w.w_symbol;
        else
            rnn_error(x, WHAT ": extra argument '%s' ignored; use "
                         "[rnn.decode NAME]",
                      given);
    }
    if (!rnn_base_init(&x->x_base, WHAT, name)) {
        pd_free(&x->x_base.b_obj.ob_pd);
        return NULL;
    }
    rnn_inlet_init(&x->x_target_inlet, &x->x_base.b_obj, rnn_decode_target);
    x->x_token = outlet_new(&x->x_base.b_obj, 0);
    x->x_probs = outlet_new(&x->x_base.b_obj, &s_list);
    x->x_info = outlet_new(&x->x_base.b_obj, 0);
    x->x_grad = outlet_new(&x->x_base.b_obj, &s_list);
    return x;
}

static void rnn_decode_free(t_rnn_decode *x)
{
    rnn_buffers_free(&x->x_hidden);
    rnn_buffers_free(&x->x_gradient);
    rnn_base_free(&x->x_base);
}

void rnn_decode_setup(void)
{
    rnn_decode_class = class_new(gensym("rnn.decode"),
                                 (t_newmethod)rnn_decode_new,
                                 (t_method)rnn_decode_free,
                                 sizeof(t_rnn_decode), 0, A_GIMME, 0);
    class_addlist(rnn_decode_class, rnn_decode_list);
    class_addbang(rnn_decode_class, rnn_decode_bang);
    class_addsymbol(rnn_decode_class, rnn_decode_symbol);
    class_addanything(rnn_decode_class, rnn_decode_anything);
}
