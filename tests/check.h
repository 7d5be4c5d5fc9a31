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

#endif
