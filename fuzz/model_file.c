/* Fuzz target: the model-file reader, rnn_model_from_bytes().
 *
 * Built twice.  As "model_file" the bytes go in as they are, which tests
 * the envelope (magic, version, checksum): almost everything stops at the
 * checksum.  As "model_file_crc" (-DFUZZ_FIX_CRC) the target first writes
 * the magic and the version over the first 12 bytes and a valid CRC-32
 * over the last 4, so that the parser behind the checksum is reached.
 *
 * A file that is accepted must make a usable model: it is written back,
 * read again and written again (the two writes must be the same bytes),
 * and driven through a few events and a reset. */

#include "fuzz.h"
#include "../pd-rnn/core/internal.h"

#define HEADER_SIZE 12 /* magic and version */

/* Where the weight generator's state and increment are in a file: after
 * the header, 13 u32 and 6 f64.  With FUZZ_IGNORE_KNOWN set in the
 * environment, the round trip ignores them (and the checksum), and files
 * with a negative second moment are skipped, so that a fuzzing session can
 * go past the known bugs in fuzz/regressions/model_file and
 * model_file_crc to find others
 * (read-moves-weight-rng.rnn, negative-adagrad-sum). */
#define WEIGHT_RNG (HEADER_SIZE + 13 * 4 + 6 * 8)

#ifdef FUZZ_FIX_CRC
/* CRC-32 as IEEE 802.3 and zlib define it (reflected, 0xedb88320), one
 * bit at a time: slow and plain, a second implementation beside the core's
 * own. */
static uint32_t fuzz_crc32(const uint8_t *bytes, size_t size)
{
    uint32_t crc = 0xffffffffu;
    for (size_t i = 0; i < size; i++) {
        crc ^= bytes[i];
        for (int k = 0; k < 8; k++)
            crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
    }
    return ~crc;
}
#endif

/* A second moment below zero (Adam's variance, Adagrad's sum of squares):
 * the known bug of negative-adagrad-sum in fuzz/regressions/. */
static int negative_moment(rnn_model *model)
{
    rnn_param *params[4 * RNN_MAX_LAYERS + 2];
    int count = 0;
    if (model->has_cell)
        count = rnn_recurrent_params(&model->cell, params,
                                     4 * RNN_MAX_LAYERS);
    if (model->has_readout) {
        params[count++] = &model->readout.weight;
        params[count++] = &model->readout.bias;
    }
    for (int p = 0; p < count; p++)
        for (size_t i = 0; i < params[p]->count; i++)
            if (params[p]->moment2[i] < 0)
                return 1;
    return 0;
}

/* Drive a loaded model as the objects would: an event, a prediction, its
 * score and gradient, then the end of the sequence. */
static void exercise(rnn_model *model)
{
    const rnn_real *hidden = NULL, *grad = NULL;
    int size = rnn_vocab_size(rnn_model_vocab(model));
    int width = rnn_model_hidden(model);
    int scored = 0, trained = 0;
    rnn_score score;
    if (size > 0)
        rnn_model_score(model, size - 1, &grad, &scored, &score);
    if (grad && width > 0)
        rnn_model_cell_gradient(model, grad, width, &trained);
    if (size > 0 && width > 0
        && rnn_model_step_index(model, 0, &hidden) == RNN_OK) {
        rnn_model_predict(model, hidden, width);
        int choice = rnn_model_choose(model);
        FUZZ_CHECK(choice < size, "choice %d of %d tokens", choice, size);
    }
    rnn_model_reset(model);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *bytes = malloc(size ? size : 1);
    if (!bytes)
        return 0;
    memcpy(bytes, data, size);
#ifdef FUZZ_FIX_CRC
    if (size >= HEADER_SIZE + 4) {
        static const uint8_t header[HEADER_SIZE] = {
            'P', 'D', 'R', 'N', 'N', 'M', 'D', 'L', 2, 0, 0, 0};
        memcpy(bytes, header, HEADER_SIZE);
        uint32_t crc = fuzz_crc32(bytes, size - 4);
        for (int i = 0; i < 4; i++)
            bytes[size - 4 + i] = (uint8_t)(crc >> (8 * i));
    }
#endif

    char why[256] = "";
    rnn_model *model = rnn_model_from_bytes(bytes, size, why, sizeof why);
    free(bytes);
    if (!model) {
        FUZZ_CHECK(why[0] != 0, "a refused file must say why");
        return 0;
    }

    if (getenv("FUZZ_IGNORE_KNOWN") && negative_moment(model)) {
        rnn_model_free(model);
        return 0;
    }

    /* what was read writes, reads back and writes the same again */
    unsigned char *first = NULL, *second = NULL;
    size_t first_size = 0, second_size = 0;
    FUZZ_CHECK(rnn_model_to_bytes(model, &first, &first_size) == RNN_OK,
               "writing a model just read");
    rnn_model *again = rnn_model_from_bytes(first, first_size, why,
                                            sizeof why);
    FUZZ_CHECK(again != NULL, "reading back what was written: %s", why);
    FUZZ_CHECK(rnn_model_to_bytes(again, &second, &second_size) == RNN_OK,
               "writing the model read back");
    if (getenv("FUZZ_IGNORE_KNOWN") && first_size == second_size
        && first_size > WEIGHT_RNG + 16) {
        memcpy(second + WEIGHT_RNG, first + WEIGHT_RNG, 16);
        memcpy(second + second_size - 4, first + first_size - 4, 4);
    }
    FUZZ_CHECK(first_size == second_size
                   && !memcmp(first, second, first_size),
               "a written model read back writes other bytes (%zu, %zu)",
               first_size, second_size);
    free(first);
    free(second);
    rnn_model_free(again);

    exercise(model);
    rnn_model_free(model);
    return 0;
}
