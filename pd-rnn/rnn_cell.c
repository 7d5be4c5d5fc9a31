/* [rnn.cell NAME HIDDEN] is the recurrent layer.  A list on the left inlet
 * is one time step and leaves as h(t); a list on the right inlet is
 * dLoss/dh for the most recent output, and every window's worth of them
 * trains the cell by truncated backpropagation through time. */

#include <stdio.h>
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
    int x_keep;             /* -k: the model is saved inside the patch */
    rnn_arrays x_arrays;    /* activations drawn into Pd arrays */
    rnn_cell_type x_type;   /* from -type, for a cell created here */
    int x_layers;           /* from -layers */
    int x_every;            /* from -every, to say when it is cut short */
    t_clock *x_poll;        /* swaps in a worker's results between events */
} t_rnn_cell;

/* While a worker trains, a clock polls for its results, so that they are
 * swapped in even when no event comes; it re-arms itself until done. */
static void rnn_cell_arm_poll(t_rnn_cell *x)
{
    if (rnn_model_threaded(x->x_base.b_shared->s_model))
        clock_delay(x->x_poll, 2);
}

static void rnn_cell_tick(t_rnn_cell *x)
{
    if (rnn_model_poll(x->x_base.b_shared->s_model))
        clock_delay(x->x_poll, 2);
}

static void rnn_cell_list(t_rnn_cell *x, t_symbol *s, int argc, t_atom *argv)
{
    (void)s;
    rnn_model *model = x->x_base.b_shared->s_model;
    if (argc == 0) {
        rnn_error(x, WHAT ": empty list: send one time step's input vector");
        return;
    }
    if (!rnn_list_to_reals(x, WHAT, &x->x_input, argc, argv))
        return;
    const rnn_real *hidden;
    rnn_status status =
        rnn_model_step(model, x->x_input.b_reals, argc, &hidden);
    if (status == RNN_ERR_SIZE) {
        rnn_error(x, WHAT ": input of %d values, expected %d (or the "
                    "vocabulary's size when it has grown)",
                 argc, rnn_model_input_size(model));
        return;
    }
    if (status == RNN_ERR_STATE) {
        rnn_error(x, WHAT ": model '%s' has no cell: this object could not "
                     "make one (see its first error); recreate it",
                  x->x_base.b_shared->s_name->s_name);
        return;
    }
    if (status) {
        rnn_report(x, WHAT, "step", status);
        return;
    }
    rnn_arrays_write_cell(&x->x_base, &x->x_arrays);
    rnn_outlet_reals(x->x_out, &x->x_input, hidden, rnn_model_hidden(model));
    rnn_cell_arm_poll(x);
}

static void rnn_cell_gradient(void *owner, t_symbol *s, int argc,
                              t_atom *argv)
{
    t_rnn_cell *x = owner;
    rnn_model *model = x->x_base.b_shared->s_model;
    int hidden = rnn_model_hidden(model);
    if (s != &s_list && s != &s_float) {
        rnn_error(x, WHAT ": right inlet takes dLoss/dh, a list of %d "
                    "numbers, not '%s'", hidden, s->s_name);
        return;
    }
    if (argc != hidden) {
        rnn_error(x, WHAT ": gradient of %d values, expected %d", argc,
                 hidden);
        return;
    }
    if (!rnn_list_to_reals(x, WHAT, &x->x_grad, argc, argv))
        return;
    int trained;
    rnn_status status =
        rnn_model_cell_gradient(model, x->x_grad.b_reals, argc, &trained);
    if (status == RNN_ERR_STATE)
        rnn_error(x, WHAT ": gradient without an output since the last "
                    "reset: ignored");
    else if (status == RNN_ERR_NONFINITE)
        rnn_report_rejected(&x->x_base);
    else if (status)
        rnn_report(x, WHAT, "gradient", status);
    if (trained)
        rnn_cell_arm_poll(x);
}

/* An every longer than the window trains once a window: said, not an
 * error, since the model keeps it for when the window grows. */
static void rnn_cell_say_every(t_rnn_cell *x, rnn_model *model, int every)
{
    (void)x;
    if (every > 0 && rnn_model_every(model) < every)
        post(WHAT ": 'every %d' is more than the window of %d steps: "
             "training every %d steps (once a window) while the window is "
             "shorter",
             every, rnn_model_window(model), rnn_model_every(model));
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
        int every = rnn_model_every_setting(model);
        if (rnn_method_whole(x, WHAT, "window", argc, argv, 1,
                             RNN_MAX_WINDOW, &value)
            && !(status = rnn_model_set_window(model, (int)value))
            && every > 0 && (int)value < every)
            post(WHAT ": the window of %d steps is shorter than 'every "
                 "%d': training every %d steps (once a window) while the "
                 "window is shorter",
                 (int)value, every, (int)value);
    } else if (s == gensym("every")) {
        if (rnn_method_whole(x, WHAT, "every", argc, argv, 0, RNN_MAX_WINDOW,
                             &value)
            && !(status = rnn_model_set_every(model, (int)value)))
            rnn_cell_say_every(x, model, (int)value);
    } else if (s == gensym("seed")) {
        if (rnn_method_whole(x, WHAT, "seed", argc, argv, 0, 4294967295.0,
                             &value))
            rnn_model_seed_weights(model, (uint64_t)value);
    } else if (s == gensym("array")) {
        t_float layer = argc == 3 ? atom_getfloat(argv + 2) : 0;
        int layers = rnn_model_layers(model);
        if (argc == 3 && argv[2].a_type == A_FLOAT
            && !(layer >= 0 && layer < layers && layer == (int)layer))
            rnn_error(x, WHAT ": 'array WHAT ARRAY LAYER' takes a LAYER from "
                         "0 to %d (the cell has %d layer%s), not %g",
                      layers - 1, layers, layers == 1 ? "" : "s", layer);
        else if (argc >= 1 && argv[0].a_type == A_SYMBOL
                 && !rnn_arrays_cell_what(&x->x_base, argv[0].a_w.w_symbol))
            return;
        else
            rnn_arrays_method(&x->x_base, &x->x_arrays, argc, argv);
    } else if (s == gensym("thread")) {
        if (rnn_method_whole(x, WHAT, "thread", argc, argv, 0, 1, &value))
            status = rnn_model_set_threaded(model, value != 0);
    } else {
        rnn_error(x, WHAT ": no method '%s'; the left inlet takes a list (one "
                    "time step) and learn, reset, clear, window, every, lr, "
                    "clip, optim, seed, array, thread, read, write, print",
                 s->s_name);
        return;
    }
    if (status)
        rnn_report(x, WHAT, s->s_name, status);
}

static void rnn_cell_bang(t_rnn_cell *x)
{
    rnn_error(x, WHAT ": bang does nothing: send a list, one time step");
}

static void rnn_cell_symbol(t_rnn_cell *x, t_symbol *s)
{
    rnn_error(x, WHAT ": symbol '%s' is not an input: send a list of numbers",
             s->s_name);
}

/* [rnn.cell NAME HIDDEN -type T -layers N -window K -every N -optim O -lr X
 * -clip X -seed N -thread -k]: flags before or after the name and the
 * size.  Those with a value, and its range when it is a number: */
typedef struct rnn_cell_flag_spec {
    const char *name;
    double low, high;
    int whole;
} rnn_cell_flag_spec;

static const rnn_cell_flag_spec cell_flags[] = {
    {"-type", 0, 0, 0},
    {"-layers", 1, RNN_MAX_LAYERS, 1},
    {"-window", 1, RNN_MAX_WINDOW, 1},
    {"-every", 0, RNN_MAX_WINDOW, 1},
    {"-optim", 0, 0, 0},
    {"-lr", 0, 10, 0},
    {"-clip", 0, 1e6, 0},
    {"-seed", 0, 4294967295.0, 1},
};
#define CELL_FLAGS (int)(sizeof cell_flags / sizeof cell_flags[0])

static const rnn_cell_flag_spec *rnn_cell_find_flag(const char *word)
{
    for (int i = 0; i < CELL_FLAGS; i++)
        if (!strcmp(word, cell_flags[i].name))
            return &cell_flags[i];
    return NULL;
}

/* How many atoms after a flag are its value: none for -k and -thread, one
 * for the others, and for an unknown flag the number after it, if any, so
 * that a typo costs one error. */
static int rnn_cell_flag_arity(const char *word, int argc, const t_atom *argv,
                               int i)
{
    if (!strcmp(word, "-k") || !strcmp(word, "-thread"))
        return 0;
    if (rnn_cell_find_flag(word))
        return 1;
    return i + 1 < argc && argv[i + 1].a_type == A_FLOAT;
}

static void rnn_cell_unknown_flag(t_rnn_cell *x, const char *word)
{
    char text[MAXPDSTRING];
    size_t used = 0;
    for (int i = 0; i < CELL_FLAGS && used < sizeof text; i++) {
        const rnn_cell_flag_spec *f = &cell_flags[i];
        if (!strcmp(f->name, "-type"))
            used += snprintf(text + used, sizeof text - used,
                             "-type elman|gru|lstm, ");
        else if (!strcmp(f->name, "-optim"))
            used += snprintf(text + used, sizeof text - used,
                             "-optim sgd|adam|adagrad, ");
        else
            used += snprintf(text + used, sizeof text - used,
                             "%s %.10g..%.10g, ", f->name, f->low, f->high);
    }
    rnn_error(x, WHAT ": unknown flag '%s' ignored; the flags are %s-thread "
                 "and -k",
              word, used < sizeof text ? text : "");
}

static void rnn_cell_flag(t_rnn_cell *x, rnn_model *model,
                          const rnn_cell_flag_spec *flag, const t_atom *value)
{
    const char *name = flag->name;
    double f;
    if (!strcmp(name, "-type") || !strcmp(name, "-optim")) {
        int type = !strcmp(name, "-type");
        const char *word =
            value && value->a_type == A_SYMBOL ? value->a_w.w_symbol->s_name
                                               : NULL;
        if (word && (type ? rnn_parse_cell_type(word, &x->x_type)
                          : rnn_parse_optim(word, model)))
            return;
        const char *names = type ? "elman, gru or lstm"
                                 : "sgd, adam or adagrad";
        char given[MAXPDSTRING];
        if (!value) {
            rnn_error(x, WHAT ": %s needs %s: ignored", name, names);
            return;
        }
        atom_string(value, given, sizeof given);
        rnn_error(x, WHAT ": %s takes %s, not '%s': ignored", name, names,
                  given);
        return;
    }
    if (!rnn_flag_number(x, WHAT, name, value, flag->low, flag->high,
                         flag->whole, "ignored", &f))
        return;
    if (!strcmp(name, "-layers"))
        x->x_layers = (int)f;
    else if (!strcmp(name, "-window"))
        rnn_model_set_window(model, (int)f);
    else if (!strcmp(name, "-every")) {
        rnn_model_set_every(model, (int)f);
        x->x_every = (int)f;
    } else if (!strcmp(name, "-lr"))
        rnn_model_set_lr(model, f);
    else if (!strcmp(name, "-clip"))
        rnn_model_set_clip(model, f);
    else if (!strcmp(name, "-seed"))
        rnn_model_seed_weights(model, (uint64_t)f);
}

/* ------------------------------------------------------------ -k */

/* With -k the model is kept inside the patch, after the object's own line,
 * as "#A rnn-model" and the model file's bytes in base64, cut into
 * symbols that Pd's parser leaves alone (each starts with a letter, none
 * holds a character Pd escapes): bit-exact, unlike floats in a patch. */
#define KEEP_CHUNK 960
static const char base64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void rnn_cell_save(t_gobj *z, t_binbuf *bb)
{
    t_rnn_cell *x = (t_rnn_cell *)z;
    t_object *ob = &x->x_base.b_obj;
    binbuf_addv(bb, "ssii", gensym("#X"), gensym("obj"), (int)ob->te_xpix,
                (int)ob->te_ypix);
    binbuf_addbinbuf(bb, ob->te_binbuf);
    binbuf_addsemi(bb);
    unsigned char *bytes;
    size_t size;
    if (x->x_keep
        && !rnn_model_to_bytes(x->x_base.b_shared->s_model, &bytes, &size)) {
        binbuf_addv(bb, "ss", gensym("#A"), gensym("rnn-model"));
        char chunk[KEEP_CHUNK + 8];
        int used = 0;
        chunk[used++] = 'm';
        for (size_t i = 0; i < size; i += 3) {
            uint32_t group = (uint32_t)bytes[i] << 16;
            int count = size - i < 3 ? (int)(size - i) : 3;
            if (count > 1)
                group |= (uint32_t)bytes[i + 1] << 8;
            if (count > 2)
                group |= bytes[i + 2];
            for (int k = 0; k < 4; k++)
                chunk[used++] = k <= count ? base64[(group >> (18 - 6 * k))
                                                    & 63]
                                           : '.';
            if (used >= KEEP_CHUNK || i + 3 >= size) {
                chunk[used] = 0;
                binbuf_addv(bb, "s", gensym(chunk));
                used = 0;
                chunk[used++] = 'm';
            }
        }
        binbuf_addsemi(bb);
        free(bytes);
    }
    obj_saveformat(ob, bb);
}

static int base64_value(char c)
{
    const char *at = c ? strchr(base64, c) : NULL;
    return at ? (int)(at - base64) : -1;
}

/* While a patch loads, "#A" goes to the newest object that bound it, as
 * Pd's own [text define -k] does. */
static void rnn_cell_unbind_keep(t_rnn_cell *x)
{
    t_symbol *asym = gensym("#A");
    if (pd_findbyclass(asym, rnn_cell_class) == &x->x_base.b_obj.ob_pd)
        pd_unbind(&x->x_base.b_obj.ob_pd, asym);
}

/* "#A rnn-model m... m...": the model kept in the patch comes back. */
static void rnn_cell_restore(t_rnn_cell *x, t_symbol *s, int argc,
                             t_atom *argv)
{
    (void)s;
    rnn_cell_unbind_keep(x);
    size_t room = 0;
    for (int i = 0; i < argc; i++)
        if (argv[i].a_type == A_SYMBOL)
            room += strlen(argv[i].a_w.w_symbol->s_name);
    unsigned char *bytes = malloc(room + 4);
    if (!bytes) {
        rnn_error(x, WHAT ": out of memory for the model kept in the patch");
        return;
    }
    size_t size = 0;
    int ok = 1;
    for (int i = 0; i < argc && ok; i++) {
        const char *text = atom_getsymbol(argv + i)->s_name;
        ok = argv[i].a_type == A_SYMBOL && text[0] == 'm'
             && (strlen(text) - 1) % 4 == 0;
        for (const char *q = text + 1; ok && *q; q += 4) {
            uint32_t group = 0;
            int count = 0;
            for (int k = 0; k < 4; k++) {
                int v = q[k] == '.' ? 0 : base64_value(q[k]);
                ok &= v >= 0;
                count += q[k] != '.';
                group = (group << 6) | (uint32_t)(v < 0 ? 0 : v);
            }
            for (int k = 0; k < count - 1; k++)
                bytes[size++] = (unsigned char)(group >> (16 - 8 * k));
        }
    }
    char why[256] = "not base64 text";
    rnn_model *model =
        ok ? rnn_model_from_bytes(bytes, size, why, sizeof why) : NULL;
    free(bytes);
    if (!model) {
        rnn_error(x, WHAT ": the model kept in the patch is damaged (%s); "
                     "the model is unchanged", why);
        return;
    }
    rnn_shared_adopt(&x->x_base, model, "the model kept in the patch");
}

static void *rnn_cell_new(t_symbol *s, int argc, t_atom *argv)
{
    (void)s;
    t_rnn_cell *x = (t_rnn_cell *)pd_new(rnn_cell_class);
    t_symbol *name = NULL;
    x->x_type = RNN_CELL_ELMAN;
    x->x_layers = 1;
    double hidden = RNN_DEFAULT_HIDDEN;
    int have_hidden = 0;

    /* the name first: flags act on the model it names */
    int name_at = -1;
    for (int i = 0; i < argc; i++) {
        if (argv[i].a_type != A_SYMBOL)
            continue;
        const char *word = argv[i].a_w.w_symbol->s_name;
        if (word[0] == '-') {
            i += rnn_cell_flag_arity(word, argc, argv, i);
            continue;
        }
        name = argv[i].a_w.w_symbol;
        name_at = i;
        break;
    }
    if (!rnn_base_init(&x->x_base, WHAT, name)) {
        pd_free(&x->x_base.b_obj.ob_pd);
        return NULL;
    }
    rnn_model *model = x->x_base.b_shared->s_model;
    for (int i = 0; i < argc; i++) {
        const char *word = atom_getsymbol(argv + i)->s_name;
        const rnn_cell_flag_spec *flag = rnn_cell_find_flag(word);
        if (i == name_at)
            continue;
        if (argv[i].a_type == A_FLOAT && !have_hidden) {
            char instead[32];
            snprintf(instead, sizeof instead, "using %d", RNN_DEFAULT_HIDDEN);
            have_hidden = 1;
            if (!rnn_flag_number(x, WHAT, "HIDDEN", argv + i, 1,
                                 RNN_MAX_HIDDEN, 1, instead, &hidden))
                hidden = RNN_DEFAULT_HIDDEN;
        } else if (argv[i].a_type == A_SYMBOL && !strcmp(word, "-k")) {
            x->x_keep = 1;
        } else if (argv[i].a_type == A_SYMBOL && !strcmp(word, "-thread")) {
            if (rnn_model_set_threaded(model, 1))
                rnn_error(x, WHAT ": no worker thread could be started; "
                            "training stays on Pd's thread");
        } else if (argv[i].a_type == A_SYMBOL && flag) {
            rnn_cell_flag(x, model, flag, i + 1 < argc ? argv + i + 1 : 0);
            i++;
        } else if (argv[i].a_type == A_SYMBOL && word[0] == '-') {
            rnn_cell_unknown_flag(x, word);
            i += rnn_cell_flag_arity(word, argc, argv, i);
        } else {
            char given[MAXPDSTRING];
            atom_string(argv + i, given, sizeof given);
            rnn_error(x, WHAT ": extra argument '%s' ignored; use [rnn.cell "
                         "NAME HIDDEN -FLAG VALUE...]",
                      given);
        }
    }
    rnn_cell_say_every(x, model, x->x_every);
    rnn_status status =
        rnn_model_set_cell(model, x->x_type, (int)hidden, x->x_layers);
    if (status == RNN_ERR_STATE && rnn_model_hidden(model) == 0)
        rnn_error(x, WHAT ": model '%s' cannot take a cell of %d units: its "
                     "decoder already reads h(t) of %d values (lists sent "
                     "to [rnn.decode %s] before there was a cell); make "
                     "this [rnn.cell %s %d]",
                  x->x_base.b_shared->s_name->s_name, (int)hidden,
                  rnn_model_readout_width(model),
                  x->x_base.b_shared->s_name->s_name,
                  x->x_base.b_shared->s_name->s_name,
                  rnn_model_readout_width(model));
    else if (status == RNN_ERR_STATE)
        rnn_error(x, WHAT ": model '%s' already has a cell (%s, %d layer(s) "
                    "of %d units); this object shares it (its other flags "
                    "set the shared model)",
                 x->x_base.b_shared->s_name->s_name,
                 rnn_cell_type_name(rnn_model_cell_type(model)),
                 rnn_model_layers(model), rnn_model_hidden(model));
    else if (status) {
        rnn_report(x, WHAT, "creating the cell", status);
        pd_free(&x->x_base.b_obj.ob_pd);
        return NULL;
    }
    if (x->x_keep) {
        t_symbol *asym = gensym("#A");
        asym->s_thing = 0; /* at most the newest object holds it */
        pd_bind(&x->x_base.b_obj.ob_pd, asym);
    }
    x->x_poll = clock_new(x, (t_method)rnn_cell_tick);
    rnn_inlet_init(&x->x_grad_inlet, &x->x_base.b_obj, rnn_cell_gradient);
    x->x_out = outlet_new(&x->x_base.b_obj, &s_list);
    return x;
}

static void rnn_cell_free(t_rnn_cell *x)
{
    if (x->x_poll)
        clock_free(x->x_poll);
    if (x->x_keep)
        rnn_cell_unbind_keep(x);
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
    class_addmethod(rnn_cell_class, (t_method)rnn_cell_restore,
                    gensym("rnn-model"), A_GIMME, 0);
    class_setsavefn(rnn_cell_class, rnn_cell_save);
}
