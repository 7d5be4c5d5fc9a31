/* What the three Pd classes of pd-rnn share: the model that ties the
 * objects of one NAME together, inlets that report wrong messages by the
 * object's name, and the conversions between Pd atoms and the core. */

#ifndef PD_RNN_SHARED_H
#define PD_RNN_SHARED_H

#include "m_pd.h"
#include "core/rnn.h"

/* A model shared by name: bound to a symbol derived from NAME (never NAME
 * itself, which users keep for [send] and [receive]) and freed with the
 * last object that uses it. */
typedef struct rnn_shared {
    t_pd s_pd;
    t_symbol *s_name;     /* the user's NAME */
    t_symbol *s_binding;  /* the symbol it is bound to */
    rnn_model *s_model;
    int s_users;
    int s_warned_nonfinite; /* a rejected update was reported once */
} rnn_shared;

rnn_shared *rnn_shared_get(t_symbol *name);
void rnn_shared_release(rnn_shared *shared);

/* What every object of the library starts with. */
typedef struct rnn_base {
    t_object b_obj;
    rnn_shared *b_shared;
    const char *b_what;   /* the class name, for messages */
    t_canvas *b_canvas;   /* relative file names start from its folder */
    int b_named;          /* NAME was given (else the model is "rnn") */
    t_symbol *b_panel;    /* bound while a file dialog is open */
    int b_panel_writes;   /* that dialog saves, not opens */
    double b_error_since; /* (s, real time) start of the current second */
    int b_error_count;    /* errors shown in it */
    int b_errors_hidden;  /* errors past the limit, not yet reported */
    t_clock *b_error_clock; /* reports them if no error comes after */
} rnn_base;

/* pd_error() for an object of the library, at most RNN_ERRORS_PER_SECOND
 * errors a second (real time) from one object, so that a storm of bad
 * messages leaves the Pd window usable.  The first error held back says
 * so; once the second is over, one line says how many were held back:
 * before the next error shown, or from a clock when none comes, or at the
 * latest when the object is deleted.  Nothing is allocated and nothing is
 * formatted for an error held back.  (Pd's "quit" exits without deleting
 * objects: a count still pending then is lost.) */
#define RNN_ERRORS_PER_SECOND 100
void rnn_error(void *object, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

/* Join the model NAME (0 after a pd_error when memory runs out). */
int rnn_base_init(rnn_base *b, const char *what, t_symbol *name);
void rnn_base_free(rnn_base *b);

/* An extra inlet whose messages go to one handler, so that every message
 * to it, right or wrong, is answered by the owning object. */
typedef void (*rnn_inlet_method)(void *owner, t_symbol *s, int argc,
                                 t_atom *argv);
typedef struct rnn_inlet {
    t_pd i_pd;
    void *i_owner;
    rnn_inlet_method i_method;
} rnn_inlet;

void rnn_inlet_init(rnn_inlet *inlet, t_object *owner, rnn_inlet_method m);

/* Growable buffers an object keeps for its lists, so that the per-event
 * path allocates only when a list grows. */
typedef struct rnn_buffers {
    t_atom *b_atoms;
    int b_atoms_size;
    rnn_real *b_reals;
    int b_reals_size;
    int b_busy;          /* a list from b_atoms is on its way out */
} rnn_buffers;

int rnn_buffers_atoms(rnn_buffers *b, int n);
int rnn_buffers_reals(rnn_buffers *b, int n);
void rnn_buffers_free(rnn_buffers *b);

/* A list of floats as core numbers in b->b_reals; 0 after one pd_error
 * naming the object (what) when an atom is not a float or not finite. */
int rnn_list_to_reals(void *x, const char *what, rnn_buffers *b, int argc,
                      const t_atom *argv);
/* Send a list of n atoms built by fill(), from the object's buffer, or
 * from a fresh one when a feedback loop re-enters the object while its
 * buffer is still being sent. */
typedef void (*rnn_fill_method)(t_atom *atoms, int n, const void *data);
void rnn_outlet_fill(t_outlet *out, rnn_buffers *b, int n,
                     rnn_fill_method fill, const void *data);
/* Send n core numbers as a list. */
void rnn_outlet_reals(t_outlet *out, rnn_buffers *b, const rnn_real *v,
                      int n);

/* Parse one number argument of a method: 0 after a pd_error when it is
 * missing, extra, not a number, not finite, or outside [low, high]. */
int rnn_method_number(void *x, const char *what, const char *method,
                      int argc, const t_atom *argv, double low, double high,
                      double *value);

/* The same for a whole number: 0 after a pd_error when it has a
 * fraction (16.0 is whole, 16.5 is not). */
int rnn_method_whole(void *x, const char *what, const char *method,
                     int argc, const t_atom *argv, double low, double high,
                     double *value);

/* A creation flag's value, a number in [low, high] (a whole one when
 * `whole`), or 0 after a pd_error that names the flag, its range and what
 * became of it (`instead`: "ignored", "using 64").  value is 0 when the
 * flag came last, with no value. */
int rnn_flag_number(void *x, const char *what, const char *flag,
                    const t_atom *value, double low, double high, int whole,
                    const char *instead, double *result);

/* Make `loaded` (read from `source`, a file or the patch) the model of
 * b's NAME, or refuse it with one pd_error and free it: a file without a
 * cell is refused by a model that has one.  The worker thread and the
 * memory reserved for the vocabulary carry over; a change of shape is
 * said in one line.  1 when it was taken. */
int rnn_shared_adopt(rnn_base *b, rnn_model *loaded, const char *source);

/* The methods every object of a model takes (learn, lr, reset, clear,
 * print, read, write); 1 when s was one of them. */
int rnn_common_method(rnn_base *b, t_symbol *s, int argc, t_atom *argv);

/* A training step whose gradient was not finite was dropped: said once
 * per model, so a diverging model cannot flood the Pd window. */
void rnn_report_rejected(rnn_base *b);

/* Report a core status as one pd_error. */
void rnn_report(void *x, const char *what, const char *doing,
                rnn_status status);

/* Names of settings; 0 after nothing when the name is unknown. */
int rnn_parse_cell_type(const char *name, rnn_cell_type *type);
int rnn_parse_optim(const char *name, rnn_model *model);

/* Pd arrays that show the network thinking: "array WHAT ARRAY [LAYER]"
 * binds one, "array WHAT" unbinds it; each is written on every step and
 * resized as needed.  WHAT is an activation of the cell (hidden, a gate)
 * or, on the decoder, "probs". */
#define RNN_MAX_ARRAYS 16
typedef struct rnn_array_binding {
    t_symbol *a_what;
    t_symbol *a_array;
    int a_layer;
    int a_missing;     /* the array was not found: said once */
} rnn_array_binding;
typedef struct rnn_arrays {
    rnn_array_binding a_items[RNN_MAX_ARRAYS];
    int a_count;
} rnn_arrays;

/* WHAT names an activation of the model's cell; else 0 after a
 * pd_error listing them. */
int rnn_arrays_cell_what(rnn_base *b, t_symbol *what);
/* Binds, rebinds or stops one, refusing at once an ARRAY that does not
 * exist or holds no floats, a LAYER that is no whole number, and a stop
 * of what no array shows.  The caller checks WHAT. */
void rnn_arrays_method(rnn_base *b, rnn_arrays *arrays, int argc,
                       t_atom *argv);
void rnn_arrays_write_cell(rnn_base *b, rnn_arrays *arrays);
void rnn_arrays_write(rnn_base *b, rnn_array_binding *item,
                      const rnn_real *values, int n);

void rnn_encode_setup(void);
void rnn_cell_setup(void);
void rnn_decode_setup(void);
void rnn_shared_setup(void);

#endif /* PD_RNN_SHARED_H */
