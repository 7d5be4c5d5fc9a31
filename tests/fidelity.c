/* Fidelity to PyTorch: for every reference file that
 * tests/torch_reference.py wrote (nn.RNN, nn.GRU, nn.LSTM with an
 * nn.Linear readout, float64), load its weights into a model of the same
 * shape and compare
 *   - the top layer's h at every step (rnn_model_step from a reset state),
 *   - the summed cross-entropy of the window (rnn_model_window_loss),
 *   - every parameter's gradient over that window,
 *   - the parameters after one and after two optimizer steps (SGD with
 *     momentum, Adagrad, Adam; no clipping), trained through the streaming
 *     path a patch uses (step, predict, score, cell gradient) with the
 *     window and the update interval equal to the sequence, so that each
 *     window is one update of each group,
 *   - the same through rnn_model_apply_update() when the core has it
 *     (RNN_HAVE_APPLY_UPDATE).
 * A value passes when |got - want| <= RTOL max(|got|, |want|) + ATOL, with
 * RTOL 1e-4 and ATOL 1e-7; after optimizer steps ATOL is RTOL lr instead:
 * an update's error is relative to its size, at most about lr, and a value
 * that an update takes close to zero cannot keep a relative error of 1e-4
 * in float.
 *
 * usage: fidelity [REFERENCE_FOLDER]   (default tests/reference, from the
 * repo root, as `make check` runs it) */

#include <dirent.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../pd-rnn/core/rnn.h"
#include "check.h"

#define RTOL 1e-4
#define ATOL 1e-7
#define MAX_TENSORS (4 * RNN_MAX_LAYERS + 2)
#define OPTIMIZER_STEPS 2

/* ------------------------------------------------------------ the files */

/* One line of a reference file: a name and its values. */
typedef struct entry {
    char name[96];
    size_t count;
    double *values; /* (count) */
} entry;

typedef struct reference {
    char name[64]; /* the case: the file name without .txt */
    entry *entries;
    int count;
    int allocated;
} reference;

static void reference_free(reference *ref)
{
    for (int i = 0; i < ref->count; i++)
        free(ref->entries[i].values);
    free(ref->entries);
    memset(ref, 0, sizeof *ref);
}

/* Read "name count v1 ... vcount" lines, skipping '#' comments.  Returns
 * 0, or -1 with the reference emptied. */
static int reference_read(reference *ref, const char *path)
{
    FILE *file = fopen(path, "r");
    if (!file)
        return -1;
    char name[96];
    int ok = 1;
    while (ok && fscanf(file, " %95s", name) == 1) {
        if (name[0] == '#') {
            ok = fscanf(file, "%*[^\n]") >= 0;
            continue;
        }
        if (ref->count == ref->allocated) {
            int allocated = ref->allocated ? 2 * ref->allocated : 64;
            entry *grown =
                realloc(ref->entries, (size_t)allocated * sizeof *grown);
            if (!grown) {
                ok = 0;
                break;
            }
            ref->entries = grown;
            ref->allocated = allocated;
        }
        entry *e = &ref->entries[ref->count];
        snprintf(e->name, sizeof e->name, "%s", name);
        if (fscanf(file, "%zu", &e->count) != 1 || e->count > (1u << 24)) {
            ok = 0;
            break;
        }
        e->values = malloc((e->count ? e->count : 1) * sizeof(double));
        if (!e->values) {
            ok = 0;
            break;
        }
        ref->count++;
        for (size_t i = 0; ok && i < e->count; i++)
            ok = fscanf(file, "%lf", &e->values[i]) == 1;
    }
    fclose(file);
    if (!ok)
        reference_free(ref);
    return ok ? 0 : -1;
}

static const entry *find(const reference *ref, const char *name)
{
    for (int i = 0; i < ref->count; i++)
        if (!strcmp(ref->entries[i].name, name))
            return &ref->entries[i];
    return NULL;
}

/* A one-value entry as an int, or -1 when missing. */
static int find_int(const reference *ref, const char *name)
{
    const entry *e = find(ref, name);
    return e && e->count == 1 ? (int)e->values[0] : -1;
}

/* ------------------------------------------------------------ comparing */

/* The worst of every comparison of one case, for its summary line. */
typedef struct worst {
    double relative; /* |got - want| / max(|got|, |want|), of values whose
                        magnitude is SIGNIFICANT or more */
    char where[128];
    double used;     /* |got - want| / tolerance: 1 is the limit */
    char used_where[128];
} worst;

#define SIGNIFICANT 1e-3

/* Compare n values within RTOL and atol; one PASS or FAIL line. */
static void compare(const char *label, const rnn_real *got, const entry *want,
                    size_t n, double atol, worst *overall)
{
    if (!want || want->count != n) {
        CHECK(0, "%s: reference has %zu values, the model %zu", label,
              want ? want->count : 0, n);
        return;
    }
    double relative = 0, absolute = 0, used = 0;
    size_t bad = 0, at = 0, used_at = 0;
    for (size_t i = 0; i < n; i++) {
        double a = got[i], b = want->values[i];
        double scale = fmax(fabs(a), fabs(b)), error = fabs(a - b);
        double fraction = error / (RTOL * scale + atol);
        if (!(fraction <= 1))
            bad++;
        if (!(fraction <= used)) {
            used = fraction;
            used_at = i;
        }
        if (error > absolute)
            absolute = error;
        if (scale >= SIGNIFICANT && !(error / scale <= relative)) {
            relative = error / scale;
            at = i;
        }
    }
    if (!(relative <= overall->relative)) {
        overall->relative = relative;
        snprintf(overall->where, sizeof overall->where, "%s[%zu]", label, at);
    }
    if (!(used <= overall->used)) {
        overall->used = used;
        snprintf(overall->used_where, sizeof overall->used_where, "%s[%zu]",
                 label, used_at);
    }
    CHECK(bad == 0,
          "%s: %zu values, %zu beyond tolerance, worst at %zu (%.9g, torch "
          "%.9g) uses %.2f of it; worst relative %.2e, absolute %.2e",
          label, n, bad, used_at, (double)got[used_at],
          want->values[used_at], used, relative, absolute);
}

/* ------------------------------------------------------------ the model */

/* The sequence of a case, in rnn_real. */
typedef struct sequence {
    int steps, input_size, hidden;
    rnn_real *inputs; /* (steps x input_size) */
    int *targets;     /* (steps) */
} sequence;

static int sequence_of(const reference *ref, sequence *seq)
{
    const entry *inputs = find(ref, "inputs"), *targets = find(ref, "targets");
    seq->steps = find_int(ref, "steps");
    seq->input_size = find_int(ref, "input_size");
    seq->hidden = find_int(ref, "hidden");
    if (seq->steps < 1 || seq->input_size < 1 || seq->hidden < 1 || !inputs
        || !targets || targets->count != (size_t)seq->steps
        || inputs->count != (size_t)seq->steps * seq->input_size)
        return -1;
    seq->inputs = malloc(inputs->count * sizeof *seq->inputs);
    seq->targets = malloc(targets->count * sizeof *seq->targets);
    if (!seq->inputs || !seq->targets)
        return -1;
    for (size_t i = 0; i < inputs->count; i++)
        seq->inputs[i] = (rnn_real)inputs->values[i];
    for (size_t i = 0; i < targets->count; i++)
        seq->targets[i] = (int)targets->values[i];
    return 0;
}

static void zero_grads(rnn_model *model)
{
    rnn_tensor tensors[MAX_TENSORS];
    int count = rnn_model_tensors(model, tensors, MAX_TENSORS);
    for (int t = 0; t < count; t++)
        memset(tensors[t].grad, 0, tensors[t].count * sizeof(rnn_real));
}

/* A model of the case's shape holding the reference's weights, or NULL
 * with the reason in why.  A first rnn_model_window_loss creates the input
 * weights and the readout at their sizes. */
static rnn_model *model_of(const reference *ref, const sequence *seq,
                           char *why, size_t why_size)
{
    int type = find_int(ref, "cell"), layers = find_int(ref, "layers");
    int vocab = find_int(ref, "vocab");
    rnn_model *model = rnn_model_new(1);
    if (!model) {
        snprintf(why, why_size, "no model");
        return NULL;
    }
    rnn_status status = rnn_model_set_window(model, seq->steps);
    if (!status)
        status = rnn_model_set_every(model, 0);
    if (!status)
        status = rnn_model_set_cell(model, (rnn_cell_type)type, seq->hidden,
                                    layers);
    for (int i = 0; i < vocab && !status; i++) {
        rnn_token token = {RNN_TOKEN_FLOAT, (float)i, NULL};
        int index;
        status = rnn_vocab_add(rnn_model_vocab(model), &token, &index);
    }
    double loss;
    if (!status)
        status = rnn_model_window_loss(model, seq->inputs, seq->input_size,
                                       seq->targets, seq->steps, 0, &loss);
    if (status) {
        snprintf(why, why_size, "setting up: %s", rnn_strerror(status));
        rnn_model_free(model);
        return NULL;
    }

    /* every tensor of the model from the reference, and nothing more */
    rnn_tensor tensors[MAX_TENSORS];
    int count = rnn_model_tensors(model, tensors, MAX_TENSORS), values = 0;
    char name[128];
    for (int t = 0; t < count; t++) {
        snprintf(name, sizeof name, "value.%.63s", tensors[t].name);
        const entry *e = find(ref, name);
        if (!e || e->count != tensors[t].count) {
            snprintf(why, why_size, "%.63s: %zu values in the model, %zu in "
                     "the reference", tensors[t].name, tensors[t].count,
                     e ? e->count : 0);
            rnn_model_free(model);
            return NULL;
        }
        for (size_t i = 0; i < e->count; i++)
            tensors[t].value[i] = (rnn_real)e->values[i];
    }
    for (int i = 0; i < ref->count; i++)
        values += !strncmp(ref->entries[i].name, "value.", 6);
    if (values != count) {
        snprintf(why, why_size, "%d tensors in the model, %d in the "
                 "reference", count, values);
        rnn_model_free(model);
        return NULL;
    }
    zero_grads(model);
    return model;
}

/* Compare every tensor's values (or gradients) to prefix.NAME; via names
 * the path that got there, or is empty. */
static void compare_tensors(const reference *ref, rnn_model *model,
                            const char *prefix, int gradients, double atol,
                            const char *via, worst *overall)
{
    rnn_tensor tensors[MAX_TENSORS];
    int count = rnn_model_tensors(model, tensors, MAX_TENSORS);
    char name[128], label[256];
    for (int t = 0; t < count; t++) {
        snprintf(name, sizeof name, "%.31s.%.63s", prefix, tensors[t].name);
        snprintf(label, sizeof label, "%.63s: %.127s%.31s", ref->name, name,
                 via);
        compare(label, gradients ? tensors[t].grad : tensors[t].value,
                find(ref, name), tensors[t].count, atol, overall);
    }
}

/* ------------------------------------------------------------ the checks */

/* The top layer's h after every step, from a reset state. */
static void check_forward(const reference *ref, const sequence *seq,
                          rnn_model *model, worst *overall)
{
    size_t h = (size_t)seq->hidden;
    rnn_real *out = calloc((size_t)seq->steps * h, sizeof *out);
    rnn_status status = out ? RNN_OK : RNN_ERR_NOMEM;
    rnn_model_set_learn(model, 0);
    rnn_model_reset(model);
    for (int t = 0; t < seq->steps && !status; t++) {
        const rnn_real *hidden;
        status = rnn_model_step(model,
                                seq->inputs + (size_t)t * seq->input_size,
                                seq->input_size, &hidden);
        if (!status)
            memcpy(out + (size_t)t * h, hidden, h * sizeof *out);
    }
    char label[128];
    snprintf(label, sizeof label, "%s: hidden_out", ref->name);
    if (status)
        CHECK(0, "%s: stepping: %s", label, rnn_strerror(status));
    else
        compare(label, out, find(ref, "hidden_out"), (size_t)seq->steps * h,
                ATOL, overall);
    rnn_model_reset(model);
    rnn_model_set_learn(model, 1);
    free(out);
}

/* The loss and every gradient of the window. */
static void check_gradients(const reference *ref, const sequence *seq,
                            rnn_model *model, worst *overall)
{
    double loss;
    zero_grads(model);
    rnn_status status =
        rnn_model_window_loss(model, seq->inputs, seq->input_size,
                              seq->targets, seq->steps, 1, &loss);
    char label[128];
    snprintf(label, sizeof label, "%s: loss", ref->name);
    if (status) {
        CHECK(0, "%s: rnn_model_window_loss: %s", label,
              rnn_strerror(status));
        return;
    }
    rnn_real got = (rnn_real)loss;
    compare(label, &got, find(ref, "loss"), 1, ATOL, overall);
    compare_tensors(ref, model, "grad", 1, ATOL, "", overall);
}

/* pd-rnn's optimizers and their fixed settings; lr comes from the file */
static const struct optimizer {
    const char *name;
    rnn_optim_kind kind;
    const char *setting[3]; /* settings pd-rnn fixes, with their values */
    double value[3];
    int settings;
} optimizers[] = {
    {"sgd", RNN_OPTIM_SGD, {"momentum"}, {0.9}, 1},
    {"adagrad", RNN_OPTIM_ADAGRAD, {"eps"}, {1e-10}, 1},
    {"adam", RNN_OPTIM_ADAM, {"betas", "eps"}, {0.9, 1e-8}, 2},
};

/* The reference's optimizer settings are pd-rnn's; its lr in *lr. */
static int settings_match(const reference *ref, const struct optimizer *opt,
                          double *lr)
{
    char name[64];
    snprintf(name, sizeof name, "%s.lr", opt->name);
    const entry *e = find(ref, name);
    if (!e || e->count != 1)
        return 0;
    *lr = e->values[0];
    for (int s = 0; s < opt->settings; s++) {
        snprintf(name, sizeof name, "%s.%s", opt->name, opt->setting[s]);
        e = find(ref, name);
        if (!e || e->values[0] != opt->value[s])
            return 0;
        if (!strcmp(opt->setting[s], "betas")
            && (e->count != 2 || e->values[1] != 0.999))
            return 0;
    }
    return 1;
}

/* One window through the streaming path, from a reset state: each step
 * predicted and scored, its error sent to the cell; with the window and
 * the interval equal to the sequence, the last step trains the readout
 * and the cell once each. */
static rnn_status stream_window(rnn_model *model, const sequence *seq,
                                int *trained)
{
    rnn_model_reset(model);
    *trained = 0;
    for (int t = 0; t < seq->steps; t++) {
        const rnn_real *hidden, *grad;
        int scored, cell_trained;
        rnn_score score;
        rnn_status status =
            rnn_model_step(model, seq->inputs + (size_t)t * seq->input_size,
                           seq->input_size, &hidden);
        if (!status)
            status = rnn_model_predict(model, hidden, seq->hidden);
        if (!status)
            status = rnn_model_score(model, seq->targets[t], &grad, &scored,
                                     &score);
        if (!status && !grad)
            status = RNN_ERR_STATE;
        if (!status)
            status = rnn_model_cell_gradient(model, grad, seq->hidden,
                                             &cell_trained);
        if (status)
            return status;
        *trained += cell_trained;
    }
    return RNN_OK;
}

#ifdef RNN_HAVE_APPLY_UPDATE
/* One window's gradient by rnn_model_window_loss, then the update. */
static rnn_status apply_window(rnn_model *model, const sequence *seq)
{
    double loss;
    zero_grads(model);
    rnn_status status =
        rnn_model_window_loss(model, seq->inputs, seq->input_size,
                              seq->targets, seq->steps, 1, &loss);
    return status ? status : rnn_model_apply_update(model);
}
#endif

/* Each optimizer through the streaming path, then (when the core has it)
 * through rnn_model_apply_update, from the reference's weights. */
static void check_optimizers(const reference *ref, const sequence *seq,
                             worst *overall)
{
    char why[256], label[160], prefix[64];
    for (size_t o = 0; o < sizeof optimizers / sizeof *optimizers; o++) {
        const struct optimizer *opt = &optimizers[o];
        double lr;
        snprintf(prefix, sizeof prefix, "%s1.readout.bias", opt->name);
        if (!find(ref, prefix))
            continue; /* the case has no reference for this one */
        snprintf(label, sizeof label, "%s: %s", ref->name, opt->name);
        int same = settings_match(ref, opt, &lr);
        CHECK(same, "%s: the reference's settings are pd-rnn's fixed ones",
              label);
        if (!same)
            continue;
        for (int path = 0; path < 2; path++) {
#ifndef RNN_HAVE_APPLY_UPDATE
            if (path == 1)
                break;
#endif
            rnn_model *model = model_of(ref, seq, why, sizeof why);
            if (!model) {
                CHECK(0, "%s: %s", label, why);
                continue;
            }
            rnn_model_set_optim(model, opt->kind);
            rnn_model_set_lr(model, lr);
            rnn_model_set_clip(model, 0);
            for (int step = 1; step <= OPTIMIZER_STEPS; step++) {
                rnn_status status = RNN_ERR_STATE;
                int trained = 1;
                if (path == 0)
                    status = stream_window(model, seq, &trained);
#ifdef RNN_HAVE_APPLY_UPDATE
                else
                    status = apply_window(model, seq);
#endif
                snprintf(prefix, sizeof prefix, "%s%d", opt->name, step);
                if (status || trained != 1) {
                    CHECK(0, "%s: step %d (%s): %s, cell trained %d times",
                          label, step, path ? "apply_update" : "stream",
                          rnn_strerror(status), trained);
                    break;
                }
                compare_tensors(ref, model, prefix, 0, RTOL * lr,
                                path ? " (apply_update)" : " (stream)",
                                overall);
            }
            rnn_model_free(model);
        }
    }
}

/* ------------------------------------------------------------ main */

static int is_reference(const struct dirent *file)
{
    size_t n = strlen(file->d_name);
    return n > 4 && !strcmp(file->d_name + n - 4, ".txt");
}

static void check_case(const char *folder, const char *file)
{
    reference ref = {0};
    sequence seq = {0};
    char path[1024], why[256];
    snprintf(path, sizeof path, "%s/%s", folder, file);
    snprintf(ref.name, sizeof ref.name, "%.*s", (int)(strlen(file) - 4),
             file);
    if (reference_read(&ref, path) || sequence_of(&ref, &seq)) {
        CHECK(0, "%s: cannot read %s", ref.name, path);
        free(seq.inputs);
        free(seq.targets);
        reference_free(&ref);
        return;
    }
    worst overall = {0, "", 0, ""};
    rnn_model *model = model_of(&ref, &seq, why, sizeof why);
    CHECK(model != NULL, "%s: a model of the reference's shape%s%s",
          ref.name, model ? "" : ": ", model ? "" : why);
    if (model) {
        check_forward(&ref, &seq, model, &overall);
        check_gradients(&ref, &seq, model, &overall);
        rnn_model_free(model);
        check_optimizers(&ref, &seq, &overall);
    }
    printf("%s: worst relative error %.2e (values of %g or more) at %s; "
           "closest to the tolerance: %.2f of it at %s\n",
           ref.name, overall.relative, SIGNIFICANT, overall.where,
           overall.used, overall.used_where);
    free(seq.inputs);
    free(seq.targets);
    reference_free(&ref);
}

int main(int argc, char **argv)
{
    const char *folder = argc > 1 ? argv[1] : "tests/reference";
    struct dirent **files;
    int count = scandir(folder, &files, is_reference, alphasort);
    CHECK(count > 0, "reference files in %s: %d", folder,
          count > 0 ? count : 0);
    for (int i = 0; i < count; i++) {
        check_case(folder, files[i]->d_name);
        free(files[i]);
    }
    if (count >= 0)
        free(files);
#ifndef RNN_HAVE_APPLY_UPDATE
    printf("note: rnn_model_apply_update() is not in the core yet; the "
           "optimizers were checked through the streaming path only\n");
#endif
    return check_failures ? 1 : 0;
}
