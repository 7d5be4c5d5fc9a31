/* The glue the three classes share: see rnn_shared.h. */

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rnn_shared.h"
#include "g_canvas.h"
#include "s_stuff.h"

/* Set once in the library's setup, like every Pd class pointer. */
static t_class *rnn_shared_class;
static t_class *rnn_inlet_class;

/* ------------------------------------------------------------ the model */

static t_symbol *binding_of(t_symbol *name)
{
    char text[MAXPDSTRING];
    snprintf(text, sizeof text, "pd-rnn.model:%s", name->s_name);
    return gensym(text);
}

rnn_shared *rnn_shared_get(t_symbol *name)
{
    t_symbol *binding = binding_of(name);
    rnn_shared *shared =
        (rnn_shared *)pd_findbyclass(binding, rnn_shared_class);
    if (shared) {
        shared->s_users++;
        return shared;
    }
    shared = (rnn_shared *)pd_new(rnn_shared_class);
    shared->s_name = name;
    shared->s_binding = binding;
    shared->s_model = rnn_model_new(1);
    shared->s_users = 1;
    if (!shared->s_model) {
        pd_free(&shared->s_pd);
        return NULL;
    }
    pd_bind(&shared->s_pd, binding);
    return shared;
}

void rnn_shared_release(rnn_shared *shared)
{
    if (!shared || --shared->s_users > 0)
        return;
    pd_unbind(&shared->s_pd, shared->s_binding);
    rnn_model_free(shared->s_model);
    pd_free(&shared->s_pd);
}

/* ------------------------------------------------------------ inlets */

static void rnn_inlet_anything(rnn_inlet *inlet, t_symbol *s, int argc,
                               t_atom *argv)
{
    inlet->i_method(inlet->i_owner, s, argc, argv);
}

static void rnn_inlet_list(rnn_inlet *inlet, t_symbol *s, int argc,
                           t_atom *argv)
{
    (void)s;
    inlet->i_method(inlet->i_owner, &s_list, argc, argv);
}

static void rnn_inlet_float(rnn_inlet *inlet, t_float f)
{
    t_atom atom;
    SETFLOAT(&atom, f);
    inlet->i_method(inlet->i_owner, &s_float, 1, &atom);
}

static void rnn_inlet_bang(rnn_inlet *inlet)
{
    inlet->i_method(inlet->i_owner, &s_bang, 0, NULL);
}

static void rnn_inlet_symbol(rnn_inlet *inlet, t_symbol *s)
{
    t_atom atom;
    SETSYMBOL(&atom, s);
    inlet->i_method(inlet->i_owner, &s_symbol, 1, &atom);
}

void rnn_inlet_init(rnn_inlet *inlet, t_object *owner, rnn_inlet_method m)
{
    inlet->i_pd = rnn_inlet_class;
    inlet->i_owner = owner;
    inlet->i_method = m;
    inlet_new(owner, &inlet->i_pd, 0, 0);
}

/* ------------------------------------------------------------ buffers */

int rnn_buffers_atoms(rnn_buffers *b, int n)
{
    if (n <= b->b_atoms_size)
        return 1;
    int size = b->b_atoms_size ? b->b_atoms_size : 64;
    while (size < n)
        size *= 2;
    t_atom *atoms = resizebytes(b->b_atoms, b->b_atoms_size * sizeof(t_atom),
                                size * sizeof(t_atom));
    if (!atoms)
        return 0;
    b->b_atoms = atoms;
    b->b_atoms_size = size;
    return 1;
}

int rnn_buffers_reals(rnn_buffers *b, int n)
{
    if (n <= b->b_reals_size)
        return 1;
    int size = b->b_reals_size ? b->b_reals_size : 64;
    while (size < n)
        size *= 2;
    rnn_real *reals = resizebytes(b->b_reals,
                                  b->b_reals_size * sizeof(rnn_real),
                                  size * sizeof(rnn_real));
    if (!reals)
        return 0;
    b->b_reals = reals;
    b->b_reals_size = size;
    return 1;
}

void rnn_buffers_free(rnn_buffers *b)
{
    if (b->b_atoms)
        freebytes(b->b_atoms, b->b_atoms_size * sizeof(t_atom));
    if (b->b_reals)
        freebytes(b->b_reals, b->b_reals_size * sizeof(rnn_real));
    memset(b, 0, sizeof *b);
}

/* ------------------------------------------------------------ lists */

/* Pd's t_float becomes the core's float here and only here. */
int rnn_list_to_reals(void *x, const char *what, rnn_buffers *b, int argc,
                      const t_atom *argv)
{
    if (!rnn_buffers_reals(b, argc)) {
        rnn_error(x, "%s: out of memory for a list of %d", what, argc);
        return 0;
    }
    for (int i = 0; i < argc; i++) {
        if (argv[i].a_type != A_FLOAT) {
            rnn_error(x, "%s: list element %d is not a number", what, i + 1);
            return 0;
        }
        t_float f = atom_getfloat(argv + i);
        if (!isfinite(f) || fabs(f) > 3.0e38) {
            rnn_error(x, "%s: list element %d is %s; nothing was done", what,
                     i + 1, isnan(f) ? "NaN" : "infinite or too large");
            return 0;
        }
        b->b_reals[i] = (rnn_real)f;
    }
    return 1;
}

void rnn_outlet_fill(t_outlet *out, rnn_buffers *b, int n,
                     rnn_fill_method fill, const void *data)
{
    if (b->b_busy) {
        t_atom *atoms = getbytes(n * sizeof *atoms);
        if (!atoms)
            return;
        fill(atoms, n, data);
        outlet_list(out, &s_list, n, atoms);
        freebytes(atoms, n * sizeof *atoms);
        return;
    }
    if (!rnn_buffers_atoms(b, n))
        return;
    fill(b->b_atoms, n, data);
    b->b_busy = 1;
    outlet_list(out, &s_list, n, b->b_atoms);
    b->b_busy = 0;
}

static void fill_reals(t_atom *atoms, int n, const void *data)
{
    const rnn_real *v = data;
    for (int i = 0; i < n; i++)
        SETFLOAT(atoms + i, (t_float)v[i]);
}

void rnn_outlet_reals(t_outlet *out, rnn_buffers *b, const rnn_real *v,
                      int n)
{
    rnn_outlet_fill(out, b, n, fill_reals, v);
}

/* ------------------------------------------------------------ arrays */

int rnn_parse_cell_type(const char *name, rnn_cell_type *type)
{
    static const rnn_cell_type all[] = {RNN_CELL_ELMAN, RNN_CELL_GRU,
                                        RNN_CELL_LSTM};
    for (int i = 0; i < 3; i++)
        if (!strcmp(name, rnn_cell_type_name(all[i]))) {
            *type = all[i];
            return 1;
        }
    return 0;
}

int rnn_parse_optim(const char *name, rnn_model *model)
{
    static const rnn_optim_kind all[] = {RNN_OPTIM_SGD, RNN_OPTIM_ADAM,
                                         RNN_OPTIM_ADAGRAD};
    for (int i = 0; i < 3; i++)
        if (!strcmp(name, rnn_optim_name(all[i])))
            return rnn_model_set_optim(model, all[i]) == RNN_OK;
    return 0;
}

/* The array named `name`, or 0 after a pd_error saying why it cannot
 * be drawn into. */
static t_garray *rnn_array_find(rnn_base *b, t_symbol *name)
{
    t_garray *array = (t_garray *)pd_findbyclass(name, garray_class);
    int size;
    t_word *words;
    if (!array)
        rnn_error(b, "%s: %s: no such array: make it first (e.g. [array "
                     "define %s]); nothing changed",
                  b->b_what, name->s_name, name->s_name);
    else if (!garray_getfloatwords(array, &size, &words)) {
        rnn_error(b, "%s: %s: bad template for an array: draw into an "
                     "array of floats; nothing changed",
                  b->b_what, name->s_name);
        array = 0;
    }
    return array;
}

void rnn_arrays_method(rnn_base *b, rnn_arrays *arrays, int argc,
                       t_atom *argv)
{
    int ok = argc >= 1 && argc <= 3 && argv[0].a_type == A_SYMBOL
             && (argc < 2 || argv[1].a_type == A_SYMBOL)
             && (argc < 3 || argv[2].a_type == A_FLOAT);
    if (!ok) {
        rnn_error(b, "%s: 'array' takes WHAT, then ARRAY to draw into (and "
                    "a LAYER number), or nothing to stop",
                 b->b_what);
        return;
    }
    t_symbol *what = argv[0].a_w.w_symbol;
    t_float f = argc > 2 ? argv[2].a_w.w_float : -1;
    if (argc > 2 && !(f >= 0 && f < RNN_MAX_LAYERS && f == floor(f))) {
        rnn_error(b, "%s: 'array' takes WHAT, then ARRAY to draw into, "
                     "then a LAYER number from 0 to %d, not %g",
                  b->b_what, RNN_MAX_LAYERS - 1, f);
        return;
    }
    int layer = (int)f;

    /* WHAT alone stops every array that shows it */
    if (argc == 1) {
        int stopped = 0;
        for (int i = arrays->a_count - 1; i >= 0; i--)
            if (arrays->a_items[i].a_what == what) {
                arrays->a_items[i] = arrays->a_items[--arrays->a_count];
                stopped++;
            }
        if (!stopped)
            rnn_error(b, "%s: 'array %s' stops drawing %s, but no array "
                         "shows it: to draw, send 'array %s ARRAY'",
                      b->b_what, what->s_name, what->s_name, what->s_name);
        return;
    }
    if (!rnn_array_find(b, argv[1].a_w.w_symbol))
        return;

    /* the same WHAT and LAYER draws into the new array instead */
    for (int i = 0; i < arrays->a_count; i++) {
        rnn_array_binding *item = &arrays->a_items[i];
        if (item->a_what == what && item->a_layer == layer) {
            item->a_array = argv[1].a_w.w_symbol;
            item->a_missing = 0;
            return;
        }
    }
    if (arrays->a_count == RNN_MAX_ARRAYS) {
        rnn_error(b, "%s: at most %d arrays; stop one with 'array WHAT'",
                 b->b_what, RNN_MAX_ARRAYS);
        return;
    }
    rnn_array_binding *item = &arrays->a_items[arrays->a_count++];
    item->a_what = what;
    item->a_array = argv[1].a_w.w_symbol;
    item->a_layer = layer;
    item->a_missing = 0;
}

void rnn_arrays_write(rnn_base *b, rnn_array_binding *item,
                      const rnn_real *values, int n)
{
    t_garray *array =
        (t_garray *)pd_findbyclass(item->a_array, garray_class);
    int size;
    t_word *words;
    if (!array || !values) {
        if (!item->a_missing)
            rnn_error(b, "%s: %s: %s", b->b_what, item->a_array->s_name,
                     array ? "the cell has no such activation yet"
                           : "no such array");
        item->a_missing = 1;
        return;
    }
    item->a_missing = 0;
    if (!garray_getfloatwords(array, &size, &words)) {
        rnn_error(b, "%s: %s: bad template for an array", b->b_what,
                 item->a_array->s_name);
        return;
    }
    if (size != n) {
        garray_resize_long(array, n);
        if (!garray_getfloatwords(array, &size, &words) || size != n)
            return;
    }
    for (int i = 0; i < n; i++)
        words[i].w_float = (t_float)values[i];
    garray_redraw(array);
}

static void rnn_arrays_what_error(rnn_base *b, t_symbol *what)
{
    rnn_model *model = b->b_shared->s_model;
    if (rnn_model_hidden(model) == 0)
        rnn_error(b, "%s: model '%s' has no cell, so no activation '%s' "
                     "to draw",
                  b->b_what, b->b_shared->s_name->s_name, what->s_name);
    else
        rnn_error(b, "%s: %s %s cell has no activation '%s' (hidden, and "
                     "the gates: gru reset update new, lstm input forget "
                     "cell output state)",
                  b->b_what,
                  rnn_model_cell_type(model) == RNN_CELL_GRU ? "a" : "an",
                  rnn_cell_type_name(rnn_model_cell_type(model)),
                  what->s_name);
}

int rnn_arrays_cell_what(rnn_base *b, t_symbol *what)
{
    rnn_model *model = b->b_shared->s_model;
    if (rnn_model_activation_code(model, what->s_name) >= 0)
        return 1;
    rnn_arrays_what_error(b, what);
    return 0;
}

/* A WHAT checked when it was bound may be gone since: a file read gave the
 * model a cell of another type. */
void rnn_arrays_write_cell(rnn_base *b, rnn_arrays *arrays)
{
    rnn_model *model = b->b_shared->s_model;
    for (int i = 0; i < arrays->a_count; i++) {
        rnn_array_binding *item = &arrays->a_items[i];
        int layer = item->a_layer >= 0 ? item->a_layer
                                       : rnn_model_layers(model) - 1;
        int code = rnn_model_activation_code(model, item->a_what->s_name);
        if (code < 0) {
            if (!item->a_missing)
                rnn_arrays_what_error(b, item->a_what);
            item->a_missing = 1;
            continue;
        }
        rnn_arrays_write(b, item, rnn_model_activation(model, layer, code),
                         rnn_model_hidden(model));
    }
}

/* ------------------------------------------------------------ methods */

/* One number argument of a method, a whole one when `whole`.  Ranges are
 * printed with %.10g, so that 1048576 does not read 1.04858e+06. */
static int parse_number(void *x, const char *what, const char *method,
                        int argc, const t_atom *argv, double low,
                        double high, int whole, double *value)
{
    const char *kind = whole ? "a whole number" : "one number";
    if (argc != 1 || argv[0].a_type != A_FLOAT) {
        if (whole && low == 0 && high == 1)
            rnn_error(x, "%s: '%s' takes 0 (off) or 1 (on)", what, method);
        else
            rnn_error(x, "%s: '%s' takes %s from %.10g to %.10g", what,
                      method, kind, low, high);
        return 0;
    }
    double f = atom_getfloat(argv);
    if (!isfinite(f)) {
        rnn_error(x, "%s: '%s' takes a finite number, not %s", what, method,
                 isnan(f) ? "NaN" : "infinity");
        return 0;
    }
    if (!(f >= low && f <= high)) {
        rnn_error(x, "%s: '%s %g' is out of range: use %.10g to %.10g", what,
                  method, f, low, high);
        return 0;
    }
    if (whole && f != floor(f)) {
        if (low == 0 && high == 1)
            rnn_error(x, "%s: '%s' takes 0 (off) or 1 (on), not %g", what,
                      method, f);
        else
            rnn_error(x, "%s: '%s' takes a whole number from %.10g to "
                         "%.10g, not %g",
                      what, method, low, high, f);
        return 0;
    }
    *value = f;
    return 1;
}

int rnn_method_number(void *x, const char *what, const char *method,
                      int argc, const t_atom *argv, double low, double high,
                      double *value)
{
    return parse_number(x, what, method, argc, argv, low, high, 0, value);
}

int rnn_method_whole(void *x, const char *what, const char *method,
                     int argc, const t_atom *argv, double low, double high,
                     double *value)
{
    return parse_number(x, what, method, argc, argv, low, high, 1, value);
}

int rnn_flag_number(void *x, const char *what, const char *flag,
                    const t_atom *value, double low, double high, int whole,
                    const char *instead, double *result)
{
    char given[MAXPDSTRING];
    const char *kind = whole ? "a whole number" : "a number";
    if (!value) {
        rnn_error(x, "%s: %s needs %s from %.10g to %.10g: %s", what, flag,
                  kind, low, high, instead);
        return 0;
    }
    if (value->a_type == A_FLOAT) {
        double f = value->a_w.w_float;
        if (f >= low && f <= high && (!whole || f == floor(f))) {
            *result = f;
            return 1;
        }
        snprintf(given, sizeof given, "%g", f);
    } else {
        given[0] = '\'';
        atom_string(value, given + 1, sizeof given - 2);
        strcat(given, "'");
    }
    rnn_error(x, "%s: %s takes %s from %.10g to %.10g, not %s: %s", what,
              flag, kind, low, high, given, instead);
    return 0;
}

void rnn_report_rejected(rnn_base *b)
{
    if (b->b_shared->s_warned_nonfinite)
        return;
    b->b_shared->s_warned_nonfinite = 1;
    rnn_error(b, "%s: a training step was rejected: its gradient was not "
                "finite (lower lr, or clip); the weights are as they were "
                "and training goes on ('print' counts rejected steps)",
             b->b_what);
}

void rnn_report(void *x, const char *what, const char *doing,
                rnn_status status)
{
    rnn_error(x, "%s: %s: %s", what, doing, rnn_strerror(status));
}

/* ------------------------------------------------------------ errors */

/* The limit counts seconds of real time, not Pd's logical time: the Pd
 * window is read in real time, and in -batch logical time runs far ahead
 * of it. */
static double seconds_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

/* Say how many errors were held back, if any.  The owner is 0 once the
 * object is being deleted, so that Pd's "Find last error" does not look
 * for it. */
static void rnn_error_report_hidden(rnn_base *b, const void *owner)
{
    if (b->b_errors_hidden > 0)
        pd_error(owner, "%s: %d more errors like the above were not shown",
                 b->b_what, b->b_errors_hidden);
    b->b_errors_hidden = 0;
}

/* Milliseconds left of the current second, at least 1. */
static double rnn_error_ms_left(const rnn_base *b, double now)
{
    double left = (b->b_error_since + 1 - now) * 1000;
    return left < 1 ? 1 : left;
}

/* The clock, for errors that stopped coming: once the second is over in
 * real time, say how many were held back.  When logical time ran ahead
 * (-batch, fast-forward), it waits for the rest of the second. */
static void rnn_error_tick(rnn_base *b)
{
    if (b->b_errors_hidden == 0)
        return;
    double now = seconds_now();
    if (now - b->b_error_since < 1)
        clock_delay(b->b_error_clock, rnn_error_ms_left(b, now));
    else
        rnn_error_report_hidden(b, b);
}

void rnn_error(void *object, const char *format, ...)
{
    rnn_base *b = object;
    char text[MAXPDSTRING];
    va_list args;
    if (!b->b_what) { /* not made yet: nothing to count with */
        va_start(args, format);
        vsnprintf(text, sizeof text, format, args);
        va_end(args);
        pd_error(b, "%s", text);
        return;
    }

    /* a new second: first what the last one held back */
    double now = seconds_now();
    if (now - b->b_error_since >= 1) {
        rnn_error_report_hidden(b, b);
        b->b_error_since = now;
        b->b_error_count = 0;
    }

    /* past the limit: counted, not even formatted; the first one says so
     * and sets the clock that reports the count */
    if (b->b_error_count >= RNN_ERRORS_PER_SECOND) {
        if (b->b_errors_hidden++ == 0) {
            pd_error(b,
                     "%s: over %d errors in a second: the rest are "
                     "counted, not shown",
                     b->b_what, RNN_ERRORS_PER_SECOND);
            if (b->b_error_clock)
                clock_delay(b->b_error_clock, rnn_error_ms_left(b, now));
        }
        return;
    }
    b->b_error_count++;
    va_start(args, format);
    vsnprintf(text, sizeof text, format, args);
    va_end(args);
    pd_error(b, "%s", text);
}

/* ------------------------------------------------------------ objects */

int rnn_base_init(rnn_base *b, const char *what, t_symbol *name)
{
    b->b_what = what;
    b->b_named = name != NULL;
    b->b_error_clock = clock_new(b, (t_method)rnn_error_tick);
    b->b_canvas = canvas_getcurrent();
    b->b_shared = rnn_shared_get(name ? name : gensym("rnn"));
    if (!b->b_shared) {
        rnn_error(b, "%s: out of memory for a model", what);
        return 0;
    }
    return 1;
}

void rnn_base_free(rnn_base *b)
{
    /* errors still held back are counted now or never */
    rnn_error_report_hidden(b, 0);
    if (b->b_error_clock)
        clock_free(b->b_error_clock);
    b->b_error_clock = 0;
    if (b->b_panel)
        pd_unbind(&b->b_obj.ob_pd, b->b_panel);
    rnn_shared_release(b->b_shared);
    b->b_shared = NULL;
}

/* ------------------------------------------------------------ files */

static void rnn_file_write(rnn_base *b, t_symbol *file)
{
    char path[MAXPDSTRING], why[256];
    canvas_makefilename(b->b_canvas, file->s_name, path, MAXPDSTRING);
    if (rnn_model_save(b->b_shared->s_model, path, why, sizeof why))
        rnn_error(b, "%s: cannot write '%s': %s; the old file, if any, is "
                    "unchanged", b->b_what, path, why);
}

/* "elman, 1 layer of 8 units": the model's cell, for messages. */
static void rnn_describe_shape(const rnn_model *model, char *text,
                               size_t size)
{
    int layers = rnn_model_layers(model);
    snprintf(text, size, "%s, %d layer%s of %d units",
             rnn_cell_type_name(rnn_model_cell_type(model)), layers,
             layers == 1 ? "" : "s", rnn_model_hidden(model));
}

int rnn_shared_adopt(rnn_base *b, rnn_model *loaded, const char *source)
{
    rnn_shared *shared = b->b_shared;
    rnn_model *old = shared->s_model;
    char was[128], now[128];
    rnn_describe_shape(old, was, sizeof was);
    rnn_describe_shape(loaded, now, sizeof now);

    /* a cell cannot be taken away from an [rnn.cell] that steps it */
    if (rnn_model_hidden(old) > 0 && rnn_model_hidden(loaded) == 0) {
        rnn_error(b, "%s: %s holds no cell (it was written by a model "
                     "without [rnn.cell]) and model '%s' has one (%s): the "
                     "model is unchanged; read such a file into a model "
                     "with no [rnn.cell]",
                  b->b_what, source, shared->s_name->s_name, was);
        rnn_model_free(loaded);
        return 0;
    }
    int reshaped = rnn_model_hidden(old) > 0 && strcmp(was, now) != 0;
    if (rnn_model_threaded(old))
        rnn_model_set_threaded(loaded, 1);
    if (rnn_model_reserved(old) > rnn_vocab_size(rnn_model_vocab(loaded)))
        rnn_model_reserve(loaded, rnn_model_reserved(old));
    shared->s_model = loaded;
    rnn_model_free(old);
    if (reshaped)
        post("%s: model '%s' takes the shape of %s: %s (was %s)", b->b_what,
             shared->s_name->s_name, source, now, was);
    return 1;
}

/* The file is parsed into a new model, which replaces the old one only
 * when every check passed. */
static void rnn_file_read(rnn_base *b, t_symbol *file)
{
    char path[MAXPDSTRING], why[256], source[MAXPDSTRING + 2];
    canvas_makefilename(b->b_canvas, file->s_name, path, MAXPDSTRING);
    rnn_model *loaded = rnn_model_load(path, why, sizeof why);
    if (!loaded) {
        rnn_error(b, "%s: cannot read '%s': %s; the model is unchanged",
                 b->b_what, path, why);
        return;
    }
    snprintf(source, sizeof source, "'%s'", file->s_name);
    rnn_shared_adopt(b, loaded, source);
}

/* With no file name, a dialog asks for one (with Pd's GUI only); its
 * answer comes back as "callback FILE" to a symbol bound to the object. */
static void rnn_file_dialog(rnn_base *b, int writes)
{
    if (!b->b_panel) {
        char name[64];
        snprintf(name, sizeof name, "rnn-file-%lx", (unsigned long)b);
        b->b_panel = gensym(name);
        pd_bind(&b->b_obj.ob_pd, b->b_panel);
    }
    b->b_panel_writes = writes;
    pdgui_vmess(writes ? "pdtk_savepanel" : "pdtk_openpanel", "ss",
                b->b_panel->s_name, canvas_getdir(b->b_canvas)->s_name);
}

static void rnn_file_method(rnn_base *b, const char *method, int argc,
                            t_atom *argv)
{
    int writes = method[0] == 'w'
                 || (method[0] == 'c' && b->b_panel_writes);
    if (argc == 0 && method[0] != 'c') {
        if (sys_havegui())
            rnn_file_dialog(b, writes);
        else
            rnn_error(b, "%s: '%s' needs a file name here: Pd runs without "
                         "its GUI, so no dialog can ask for one; send '%s "
                         "FILE'",
                      b->b_what, method, method);
        return;
    }
    if (argc != 1 || argv[0].a_type != A_SYMBOL) {
        rnn_error(b, "%s: '%s' takes one file name", b->b_what, method);
        return;
    }
    if (writes)
        rnn_file_write(b, argv[0].a_w.w_symbol);
    else
        rnn_file_read(b, argv[0].a_w.w_symbol);
}

/* ------------------------------------------------------------ methods */

int rnn_common_method(rnn_base *b, t_symbol *s, int argc, t_atom *argv)
{
    rnn_model *model = b->b_shared->s_model;
    const char *name = s->s_name, *what = b->b_what;
    double value;
    if (!strcmp(name, "reset") || !strcmp(name, "clear")
        || !strcmp(name, "print")) {
        if (argc > 0) {
            rnn_error(b, "%s: '%s' takes no argument: nothing done", what,
                      name);
            return 1;
        }
        if (name[0] == 'r')
            rnn_model_reset(model);
        else if (name[0] == 'c')
            rnn_model_clear(model);
        else {
            char text[512];
            rnn_model_describe(model, text, sizeof text);
            post("%s %s: %s", what, b->b_shared->s_name->s_name, text);
        }
    } else if (!strcmp(name, "learn")) {
        if (rnn_method_whole(b, what, name, argc, argv, 0, 1, &value))
            rnn_model_set_learn(model, value != 0);
    } else if (!strcmp(name, "lr")) {
        if (rnn_method_number(b, what, name, argc, argv, 0, 10, &value))
            rnn_model_set_lr(model, value);
    } else if (!strcmp(name, "clip")) {
        if (rnn_method_number(b, what, name, argc, argv, 0, 1e6, &value))
            rnn_model_set_clip(model, value);
    } else if (!strcmp(name, "optim")) {
        if (argc != 1 || argv[0].a_type != A_SYMBOL
            || !rnn_parse_optim(argv[0].a_w.w_symbol->s_name, model))
            rnn_error(b, "%s: 'optim' takes sgd, adam or adagrad", what);
    } else if (!strcmp(name, "read") || !strcmp(name, "write")
               || (!strcmp(name, "callback") && b->b_panel)) {
        rnn_file_method(b, name, argc, argv);
    } else {
        return 0;
    }
    return 1;
}

/* ------------------------------------------------------------ setup */

void rnn_shared_setup(void)
{
    rnn_shared_class = class_new(gensym("rnn-shared-model"), 0, 0,
                                 sizeof(rnn_shared), CLASS_PD, 0);
    rnn_inlet_class = class_new(gensym("rnn-inlet"), 0, 0, sizeof(rnn_inlet),
                                CLASS_PD, 0);
    class_addanything(rnn_inlet_class, rnn_inlet_anything);
    class_addlist(rnn_inlet_class, rnn_inlet_list);
    class_addfloat(rnn_inlet_class, rnn_inlet_float);
    class_addbang(rnn_inlet_class, rnn_inlet_bang);
    class_addsymbol(rnn_inlet_class, rnn_inlet_symbol);
}
