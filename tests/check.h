/* A minimal harness for the core's tests: each check prints one line,
 * PASS or FAIL, which tests/run.sh counts. */

#ifndef PD_RNN_CHECK_H
#define PD_RNN_CHECK_H

#include <stdio.h>

static int check_failures;

#define CHECK(cond, ...)                                          \
    do {                                                          \
        if (cond) {                                               \
            printf("PASS ");                                      \
        } else {                                                  \
            printf("FAIL ");                                      \
            check_failures++;                                     \
        }                                                         \
        printf(__VA_ARGS__);                                      \
        printf("\n");                                             \
        fflush(stdout);                                           \
    } while (0)

/* One event through the chain as a patch wires it: the index scores the
 * pending prediction and its gradient reaches the cell, then the one-hot
 * step predicts the next.  Returns the predicted index, or -1. */
#ifdef PD_RNN_CORE_H
__attribute__((unused)) static int feed(rnn_model *model, int index)
{
    const rnn_real *grad, *hidden;
    int scored, trained;
    rnn_score score;
    rnn_model_score(model, index, &grad, &scored, &score);
    if (grad)
        rnn_model_cell_gradient(model, grad, rnn_model_hidden(model),
                                &trained);
    if (rnn_model_step_index(model, index, &hidden))
        return -1;
    rnn_model_predict(model, hidden, rnn_model_hidden(model));
    return rnn_model_choose(model);
}

/* The index of a token, added when new. */
__attribute__((unused)) static int add_token(rnn_model *model,
                                            rnn_token token)
{
    int index = -1;
    rnn_vocab_add(rnn_model_vocab(model), &token, &index);
    return index;
}
#endif

#endif
