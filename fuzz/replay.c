/* A main for the fuzz targets without libFuzzer: every file named on the
 * command line, or found in a folder named there, is passed once to
 * LLVMFuzzerTestOneInput(), in sorted order.  Built with gcc and the
 * sanitizers by "make fuzz-regressions", so that the committed crashes and
 * the seed corpus are replayed wherever there is no clang.  A failed
 * check aborts, and the sanitizers stop at their first report; the name of
 * the file being replayed is printed first, so the culprit is on the line
 * above. */

#include <dirent.h>
#include <sys/stat.h>

#include "fuzz.h"

static int replayed;

static int replay_file(const char *path)
{
    FILE *file = fopen(path, "rb");
    if (!file) {
        fprintf(stderr, "replay: cannot open %s\n", path);
        return 1;
    }
    size_t size = 0, allocated = 4096;
    uint8_t *bytes = malloc(allocated);
    size_t got;
    while (bytes && (got = fread(bytes + size, 1, allocated - size, file))) {
        size += got;
        if (size == allocated) {
            uint8_t *grown = realloc(bytes, allocated *= 2);
            if (!grown)
                free(bytes);
            bytes = grown;
        }
    }
    fclose(file);
    if (!bytes) {
        fprintf(stderr, "replay: out of memory for %s\n", path);
        return 1;
    }
    fprintf(stderr, "replay: %s\n", path);
    /* an exact copy, so that a read past the input's end is caught */
    uint8_t *exact = malloc(size ? size : 1);
    memcpy(exact, bytes, size);
    free(bytes);
    LLVMFuzzerTestOneInput(exact, size);
    free(exact);
    replayed++;
    return 0;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int replay_path(const char *path)
{
    struct stat info;
    if (stat(path, &info)) {
        fprintf(stderr, "replay: no such file or folder: %s\n", path);
        return 1;
    }
    if (!S_ISDIR(info.st_mode))
        return replay_file(path);
    DIR *dir = opendir(path);
    if (!dir)
        return 1;
    char **names = NULL;
    size_t count = 0;
    struct dirent *entry;
    while ((entry = readdir(dir))) {
        if (entry->d_name[0] == '.')
            continue;
        char **grown = realloc(names, (count + 1) * sizeof *names);
        if (!grown)
            break;
        names = grown;
        size_t length = strlen(path) + strlen(entry->d_name) + 2;
        names[count] = malloc(length);
        snprintf(names[count++], length, "%s/%s", path, entry->d_name);
    }
    closedir(dir);
    if (count)
        qsort(names, count, sizeof *names, by_name);
    int failed = 0;
    for (size_t i = 0; i < count; i++) {
        failed |= replay_path(names[i]);
        free(names[i]);
    }
    free(names);
    return failed;
}

int main(int argc, char **argv)
{
    int failed = 0;
    for (int i = 1; i < argc; i++)
        failed |= replay_path(argv[i]);
    printf("replayed %d inputs\n", replayed);
    return failed;
}
