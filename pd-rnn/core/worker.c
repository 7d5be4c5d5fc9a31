/* Training on a worker thread, so that the thread that feeds the model
 * (Pd's, which also runs its audio) never waits for a backward pass.
 *
 * The feeding thread keeps stepping forward with the current weights.  When
 * a window is due it copies the window (the ring of recent steps) into the
 * job and wakes the worker, which runs the backward pass over the copy and
 * writes the updated weights into each tensor's `next` buffer: it reads the
 * current weights and writes only the gradients, the optimizer moments and
 * `next`, none of which the feeding thread touches meanwhile.  The feeding
 * thread learns that the job is done by polling, at each event and from a
 * clock of its own, with a try-lock that never waits (the worker holds the
 * lock only to hand a job over), and swaps `next` in: a pointer swap per
 * tensor.  A window that falls due while a job runs is skipped, never
 * queued.  The worker calls nothing but the core and the C library. */

#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct rnn_worker {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;     /* a job is ready, or the worker must stop */
    pthread_cond_t finished; /* the job is done */
    int has_job;             /* under lock */
    int stop;                /* under lock */
    int done;                /* under lock: the results wait in `next` */
    int in_flight;           /* the feeding thread's view: a job was given */

    /* the job: the window copied, and what to train it with */
    rnn_recurrent shadow;    /* shares the weights, owns its ring */
    rnn_layer *shadow_layers;
    rnn_real *starts;        /* (layers x 2 x hidden) h and c before it */
    rnn_optim optim;
    long updates;            /* the cell's update count, for Adam */
    rnn_status status;
};

static void *worker_main(void *arg)
{
    rnn_worker *w = arg;
    pthread_mutex_lock(&w->lock);
    for (;;) {
        while (!w->has_job && !w->stop)
            pthread_cond_wait(&w->wake, &w->lock);
        if (w->stop)
            break;
        pthread_mutex_unlock(&w->lock);

        /* the backward pass over the copy, the update into `next` */
        rnn_param *params[4 * RNN_MAX_LAYERS];
        int count =
            rnn_recurrent_params(&w->shadow, params, 4 * RNN_MAX_LAYERS);
        rnn_recurrent_backward(&w->shadow);
        w->status = rnn_optim_apply(&w->optim, params, count, &w->updates, 1);

        pthread_mutex_lock(&w->lock);
        w->has_job = 0;
        w->done = 1;
        pthread_cond_signal(&w->finished);
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

static void free_shadow(rnn_worker *w)
{
    rnn_recurrent *s = &w->shadow;
    for (int i = 0; s->dense && i < s->window; i++)
        free(s->dense[i]);
    free(s->cache);
    free(s->errors);
    free(s->input_index);
    free(s->dense);
    free(s->dense_size);
    free(s->dense_allocated);
    free(w->shadow_layers);
    free(w->starts);
    memset(s, 0, sizeof *s);
    w->shadow_layers = NULL;
    w->starts = NULL;
}

/* Room for a copy of the cell's ring, allocated once for its shape. */
static rnn_status alloc_shadow(rnn_worker *w, const rnn_recurrent *rec)
{
    rnn_recurrent *s = &w->shadow;
    size_t step = (size_t)rec->layers * rec->width * rec->hidden;
    if (s->cache && s->window == rec->window && s->layers == rec->layers
        && s->hidden == rec->hidden && s->width == rec->width)
        return RNN_OK;
    free_shadow(w);
    s->window = rec->window;
    s->layers = rec->layers;
    s->hidden = rec->hidden;
    s->width = rec->width;
    s->cache = malloc((size_t)rec->window * step * sizeof(rnn_real));
    s->errors = malloc((size_t)rec->window * rec->hidden * sizeof(rnn_real));
    s->input_index = malloc((size_t)rec->window * sizeof(int));
    s->dense = calloc((size_t)rec->window, sizeof(rnn_real *));
    s->dense_size = calloc((size_t)rec->window, sizeof(int));
    s->dense_allocated = calloc((size_t)rec->window, sizeof(int));
    w->shadow_layers = malloc((size_t)rec->layers * sizeof(rnn_layer));
    w->starts = malloc((size_t)rec->layers * 2 * rec->hidden
                       * sizeof(rnn_real));
    if (!s->cache || !s->errors || !s->input_index || !s->dense
        || !s->dense_size || !s->dense_allocated || !w->shadow_layers
        || !w->starts) {
        free_shadow(w);
        return RNN_ERR_NOMEM;
    }
    return RNN_OK;
}

/* Copy the window in time order (the copy's ring starts at slot 0). */
static rnn_status copy_window(rnn_worker *w, const rnn_recurrent *rec)
{
    rnn_recurrent *s = &w->shadow;
    size_t step = (size_t)rec->layers * rec->width * rec->hidden;
    size_t h = (size_t)rec->hidden;
    for (int i = 0; i < rec->count; i++) {
        int slot = (rec->first + i) % rec->window;
        memcpy(s->cache + i * step, rec->cache + slot * step,
               step * sizeof(rnn_real));
        memcpy(s->errors + i * h, rec->errors + slot * h,
               h * sizeof(rnn_real));
        s->input_index[i] = rec->input_index[slot];
        if (rec->input_index[slot] >= 0)
            continue;
        int n = rec->dense_size[slot];
        if (n > s->dense_allocated[i]) {
            rnn_real *grown = realloc(s->dense[i], (size_t)n * sizeof *grown);
            if (!grown)
                return RNN_ERR_NOMEM;
            s->dense[i] = grown;
            s->dense_allocated[i] = n;
        }
        memcpy(s->dense[i], rec->dense[slot], (size_t)n * sizeof(rnn_real));
        s->dense_size[i] = n;
    }

    /* the layers share the weights and scratch, not the starting states */
    for (int l = 0; l < rec->layers; l++) {
        rnn_layer *layer = &w->shadow_layers[l];
        *layer = rec->layer[l];
        layer->h_start = w->starts + (size_t)(2 * l) * h;
        layer->c_start = w->starts + (size_t)(2 * l + 1) * h;
        memcpy(layer->h_start, rec->layer[l].h_start, h * sizeof(rnn_real));
        memcpy(layer->c_start, rec->layer[l].c_start, h * sizeof(rnn_real));
    }
    s->type = rec->type;
    s->gates = rec->gates;
    s->layer = w->shadow_layers;
    s->count = rec->count;
    s->first = 0;
    s->untrained = rec->untrained;
    s->graded = rec->graded;
    s->grad_below = rec->grad_below;
    s->grad_total = rec->grad_total;
    return RNN_OK;
}

/* The worker runs at ordinary priority, whatever its creator's: a thread
 * that inherited Pd's real-time priority could starve, or stall, Pd. */
static int start_thread(rnn_worker *w)
{
    pthread_attr_t attr;
    struct sched_param param = {0};
    int failed = pthread_attr_init(&attr);
    if (!failed) {
        pthread_attr_setinheritsched(&attr, PTHREAD_EXPLICIT_SCHED);
        pthread_attr_setschedpolicy(&attr, SCHED_OTHER);
        pthread_attr_setschedparam(&attr, &param);
        failed = pthread_create(&w->thread, &attr, worker_main, w);
        pthread_attr_destroy(&attr);
    }
    if (failed) /* as the creator is, then */
        failed = pthread_create(&w->thread, NULL, worker_main, w);
    return failed;
}

rnn_worker *rnn_worker_new(rnn_recurrent *rec)
{
    rnn_worker *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    rnn_param *params[4 * RNN_MAX_LAYERS];
    int count = rnn_recurrent_params(rec, params, 4 * RNN_MAX_LAYERS);
    for (int p = 0; p < count; p++)
        if (rnn_param_enable_next(params[p])) {
            while (p-- > 0)
                rnn_param_drop_next(params[p]);
            free(w);
            return NULL;
        }
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->wake, NULL);
    pthread_cond_init(&w->finished, NULL);
    if (start_thread(w)) {
        for (int p = 0; p < count; p++)
            rnn_param_drop_next(params[p]);
        pthread_mutex_destroy(&w->lock);
        pthread_cond_destroy(&w->wake);
        pthread_cond_destroy(&w->finished);
        free(w);
        return NULL;
    }
    return w;
}

int rnn_worker_busy(const rnn_worker *w)
{
    return w->in_flight;
}

/* The job's results, when it is done: the new weights swapped in. */
static void take_results(rnn_worker *w, rnn_recurrent *rec, int *rejected)
{
    rnn_param *params[4 * RNN_MAX_LAYERS];
    int count = rnn_recurrent_params(rec, params, 4 * RNN_MAX_LAYERS);
    if (w->status == RNN_OK)
        for (int p = 0; p < count; p++)
            rnn_param_swap_next(params[p]);
    else
        (*rejected)++;
    rec->updates = w->updates;
    w->in_flight = 0;
}

int rnn_worker_poll(rnn_worker *w, rnn_recurrent *rec, int *rejected)
{
    if (!w->in_flight)
        return 0;
    if (pthread_mutex_trylock(&w->lock))
        return 1;
    int done = w->done;
    w->done = 0;
    pthread_mutex_unlock(&w->lock);
    if (!done)
        return 1;
    take_results(w, rec, rejected);
    return 0;
}

void rnn_worker_wait(rnn_worker *w, rnn_recurrent *rec, int *rejected)
{
    if (!w->in_flight)
        return;
    pthread_mutex_lock(&w->lock);
    while (!w->done)
        pthread_cond_wait(&w->finished, &w->lock);
    w->done = 0;
    pthread_mutex_unlock(&w->lock);
    take_results(w, rec, rejected);
}

rnn_status rnn_worker_submit(rnn_worker *w, rnn_recurrent *rec,
                             const rnn_optim *optim)
{
    if (w->in_flight)
        return RNN_ERR_STATE;
    rnn_status status = alloc_shadow(w, rec);
    if (status == RNN_OK)
        status = copy_window(w, rec);
    if (status)
        return status;
    w->optim = *optim;
    w->updates = rec->updates;
    w->in_flight = 1;
    pthread_mutex_lock(&w->lock);
    w->has_job = 1;
    pthread_cond_signal(&w->wake);
    pthread_mutex_unlock(&w->lock);
    return RNN_OK;
}

void rnn_worker_free(rnn_worker *w, rnn_recurrent *rec)
{
    if (!w)
        return;
    int rejected = 0;
    rnn_worker_wait(w, rec, &rejected);
    pthread_mutex_lock(&w->lock);
    w->stop = 1;
    pthread_cond_signal(&w->wake);
    pthread_mutex_unlock(&w->lock);
    pthread_join(w->thread, NULL);
    pthread_mutex_destroy(&w->lock);
    pthread_cond_destroy(&w->wake);
    pthread_cond_destroy(&w->finished);
    rnn_param *params[4 * RNN_MAX_LAYERS];
    int count = rnn_recurrent_params(rec, params, 4 * RNN_MAX_LAYERS);
    for (int p = 0; p < count; p++)
        rnn_param_drop_next(params[p]);
    free_shadow(w);
    free(w);
}
