/* [rnn.cell NAME HIDDEN] is the recurrent layer.  A list on the left inlet
 * is one time step and leaves as h(t); a list on the right inlet is
 * dLoss/dh for the most recent output, and every window's worth of them
 * trains the cell by truncated backpropagation through time. */

#include <stdlib.h>
#include <string.h>

#include "rnn_shared.h"

#define WHAT "rnn.cell"

static t_class *rnn_cell_class;

typedef struct rnn_cell {
    rnn_base x_base;      /* the object, its model and its files */
    rnn_inlet x_grad_inlet; /* right: dLoss/dh(t) */
    t_outlet *x_out;        /* h(t) */
    rnn_buffers x_input;    /* the step's input, and h(t) going out */
    rnn_buffers x_grad;
} t_rnn_cell;

static void rnn_cell_list(t_rnn_cell *x, t_symbol *s, int argc, t_atom *argv)
{
    (void)s;
    rnn_model *model = x->x_base.b_shared->s_model;
    if (argc == 0) {
        pd_error(x, WHAT ": empty list: send one time step's input vector");
        return;
    }
    if (!rnn_list_to_reals(x, WHAT, &x->x_input, argc, argv))
        return;
    const rnn_real *hidden;
    rnn_status status =
        rnn_model_step(model, x->x_input.b_reals, argc, &hidden);
    if (status == RNN_ERR_SIZE) {
        pd_error(x, WHAT ": input of %d values, expected %d (or the "
                    "vocabulary's size when it has grown)",
                 argc, rnn_model_input_size(model));
        return;
    }
    if (status) {
        rnn_report(x, WHAT, "step", status);
        return;
    }
    rnn_outlet_reals(x->x_out, &x->x_input, hidden, rnn_model_hidden(model));
}

static void rnn_cell_gradient(void *owner, t_symbol *s, int argc,
                              t_atom *argv)
{
    t_rnn_cell *x = owner;
    rnn_model *model = x->x_base.b_shared->s_model;
    int hidden = rnn_model_hidden(model);
    if (s != &s_list && s != &s_float) {
        pd_error(x, WHAT ": right inlet takes dLoss/dh, a list of %d "
                    "numbers, not '%s'", hidden, s->s_name);
        return;
    }
    if (argc != hidden) {
        pd_error(x, WHAT ": gradient of %d values, expected %d", argc,
                 hidden);
        return;
    }
    if (!rnn_list_to_reals(x, WHAT, &x->x_grad, argc, argv))
        return;
    int trained;
    rnn_status status =
        rnn_model_cell_gradient(model, x->x_grad.b_reals, argc, &trained);
    if (status == RNN_ERR_STATE)
        pd_error(x, WHAT ": gradient without an output since the last "
                    "reset: ignored");
    else if (status == RNN_ERR_NONFINITE)
        pd_error(x, WHAT ": training step rejected: its gradient was not "
                    "finite; the weights are as they were");
    else if (status)
        rnn_report(x, WHAT, "gradient", status);
}

static void rnn_cell_anything(t_rnn_cell *x, t_symbol *s, int argc,
                              t_atom *argv)
{
    rnn_model *model = x->x_base.b_shared->s_model;
    double value;
    rnn_status status = RNN_OK;
    if (rnn_common_method(&x->x_base, s, argc, argv))
        return;
    if (s == gensym("window")) {
        if (rnn_method_number(x, WHAT, "window", argc, argv, 1,
                              RNN_MAX_WINDOW, &value))
            status = rnn_model_set_window(model, (int)value);
    } else if (s == gensym("every")) {
        if (rnn_method_number(x, WHAT, "every", argc, argv, 0,
                              RNN_MAX_WINDOW, &value))
            status = rnn_model_set_every(model, (int)value);
    } else if (s == gensym("seed")) {
        if (rnn_method_number(x, WHAT, "seed", argc, argv, 0, 4294967295.0,
                              &value))
            rnn_model_seed_weights(model, (uint64_t)value);
    } else if (s == gensym("clip")) {
        if (rnn_method_number(x, WHAT, "clip", argc, argv, 0, 1e6, &value))
            status = rnn_model_set_clip(model, value);
    } else {
        pd_error(x, WHAT ": no method '%s'; the left inlet takes a list (one "
                    "time step) and learn, reset, clear, window, every, lr, "
                    "clip, seed, print", s->s_name);
        return;
    }
    if (status)
        rnn_report(x, WHAT, s->s_name, status);
}

static void rnn_cell_bang(t_rnn_cell *x)
{
    pd_error(x, WHAT ": bang does nothing: send a list, one time step");
}

static void rnn_cell_symbol(t_rnn_cell *x, t_symbol *s)
{
    pd_error(x, WHAT ": symbol '%s' is not an input: send a list of numbers",
             s->s_name);
}

/* [rnn.cell NAME HIDDEN -window K -every N -lr X -seed N]: flags before or
 * after the name and the size. */
static int rnn_cell_flag(t_rnn_cell *x, rnn_model *model, const char *flag,
                         const t_atom *value)
{
    double f = atom_getfloat(value);
    int ok = value->a_type == A_FLOAT;
    if (!strcmp(flag, "-window"))
        ok = ok && f >= 1 && f <= RNN_MAX_WINDOW
             && !rnn_model_set_window(model, (int)f);
    else if (!strcmp(flag, "-every"))
        ok = ok && f >= 0 && f <= RNN_MAX_WINDOW
             && !rnn_model_set_every(model, (int)f);
    else if (!strcmp(flag, "-lr"))
        ok = ok && !rnn_model_set_lr(model, f);
    else if (!strcmp(flag, "-clip"))
        ok = ok && !rnn_model_set_clip(model, f);
    else if (!strcmp(flag, "-seed") && ok && f >= 0 && f <= 4294967295.0)
        rnn_model_seed_weights(model, (uint64_t)f);
    else
        ok = 0;
    if (!ok)
        pd_error(x, WHAT ": bad flag or value '%s': ignored (flags: -window "
                    "K, -every N, -lr X, -clip X, -seed N)", flag);
    return ok;
}

static void *rnn_cell_new(t_symbol *s, int argc, t_atom *argv)
{
    (void)s;
    t_rnn_cell *x = (t_rnn_cell *)pd_new(rnn_cell_class);
    t_symbol *name = NULL;
    double hidden = RNN_DEFAULT_HIDDEN;
    int have_hidden = 0;

    /* the name first: flags act on the model it names */
    for (int i = 0; i < argc; i++) {
        if (argv[i].a_type != A_SYMBOL)
            continue;
        const char *word = argv[i].a_w.w_symbol->s_name;
        if (word[0] == '-') {
            i++;
            continue;
        }
        name = argv[i].a_w.w_symbol;
        break;
    }
    if (!rnn_base_init(&x->x_base, WHAT, name)) {
        pd_free(&x->x_base.b_obj.ob_pd);
        return NULL;
    }
    rnn_model *model = x->x_base.b_shared->s_model;
    for (int i = 0; i < argc; i++) {
        if (argv[i].a_type == A_FLOAT && !have_hidden) {
            hidden = argv[i].a_w.w_float;
            have_hidden = 1;
        } else if (argv[i].a_type == A_SYMBOL
                   && argv[i].a_w.w_symbol->s_name[0] == '-') {
            if (i + 1 < argc)
                rnn_cell_flag(x, model, argv[i].a_w.w_symbol->s_name,
                              argv + i + 1);
            else
                pd_error(x, WHAT ": flag '%s' needs a value",
                         argv[i].a_w.w_symbol->s_name);
            i++;
        } else if (argv[i].a_type != A_SYMBOL
                   || argv[i].a_w.w_symbol != name) {
            pd_error(x, WHAT ": extra argument ignored; use [rnn.cell NAME "
                        "HIDDEN -window K -lr X -seed N]");
        }
    }
    if (!(hidden >= 1 && hidden <= RNN_MAX_HIDDEN)) {
        pd_error(x, WHAT ": hidden size %g out of range 1..%d: using %d",
                 hidden, RNN_MAX_HIDDEN, RNN_DEFAULT_HIDDEN);
        hidden = RNN_DEFAULT_HIDDEN;
    }
    rnn_status status = rnn_model_set_cell(model, (int)hidden);
    if (status == RNN_ERR_STATE)
        pd_error(x, WHAT ": model '%s' already has a cell of %d units; this "
                    "object shares it",
                 x->x_base.b_shared->s_name->s_name, rnn_model_hidden(model));
    else if (status) {
        rnn_report(x, WHAT, "creating the cell", status);
        pd_free(&x->x_base.b_obj.ob_pd);
        return NULL;
    }
    rnn_inlet_init(&x->x_grad_inlet, &x->x_base.b_obj, rnn_cell_gradient);
    x->x_out = outlet_new(&x->x_base.b_obj, &s_list);
    return x;
}

static void rnn_cell_free(t_rnn_cell *x)
{
    rnn_buffers_free(&x->x_input);
    rnn_buffers_free(&x->x_grad);
    rnn_base_free(&x->x_base);
}

void rnn_cell_setup(void)
{
    rnn_cell_class = class_new(gensym("rnn.cell"), (t_newmethod)rnn_cell_new,
                               (t_method)rnn_cell_free, sizeof(t_rnn_cell),
                               0, A_GIMME, 0);
    class_addlist(rnn_cell_class, rnn_cell_list);
    class_addbang(rnn_cell_class, rnn_cell_bang);
    class_addsymbol(rnn_cell_class, rnn_cell_symbol);
    class_addanything(rnn_cell_class, rnn_cell_anything);
}
