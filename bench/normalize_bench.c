/* Normaliser micro-benchmark: ns per px_shell_normalize call over the benign
 * (tldr) corpus and a few typical developer commands.
 *
 * Usage: normalize-bench [benign.jsonl]   (default $PX_EVAL_DIR/benign_tldr_dev.jsonl)
 * Each command is normalised REPS times after a warm-up, in BATCHES; the
 * median batch mean is its sample; the median and p99 over samples are
 * printed, with the ratio against the 1.5 us median target. */
#include "engine/normalize/shell.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { REPS = 210, BATCHES = 7, MAX_CMDS = 20000 };

static double now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Mean ns per call of one batch; a command's sample is the median of its
 * batches, so a descheduled batch on a busy machine does not count. */
static double batch(px_arena *a, const char *cmd, size_t len, int reps)
{
    px_actions act;
    double t0 = now_ns();
    for (int i = 0; i < reps; i++) {
        px_actions_init(&act);
        px_shell_normalize(a, cmd, len, NULL, &act);
        px_arena_reset(a);
    }
    return (now_ns() - t0) / reps;
}

static double per_call(px_arena *a, const char *cmd)
{
    size_t len = strlen(cmd);
    double b[BATCHES];
    batch(a, cmd, len, 20); /* warm-up */
    for (int k = 0; k < BATCHES; k++)
        b[k] = batch(a, cmd, len, REPS / BATCHES);
    qsort(b, BATCHES, sizeof(double), cmp_double);
    return b[BATCHES / 2];
}

int main(int argc, char **argv)
{
    char path[4096];
    if (argc > 1) {
        snprintf(path, sizeof(path), "%s", argv[1]);
    } else {
        const char *dir = getenv("PX_EVAL_DIR");
        snprintf(path, sizeof(path), "%s/benign_tldr_dev.jsonl", dir ? dir : "../shared/eval");
    }
    px_arena a;
    px_arena_init(&a, 64u << 20);

    static const char *const typical[] = {
        "ls -la", "git status", "grep -r \"password\" /var/log/", "npm run build",
    };
    for (size_t i = 0; i < sizeof(typical) / sizeof(typical[0]); i++)
        printf("typical  %-32s %7.0f ns/call\n", typical[i], per_call(&a, typical[i]));

    FILE *f = fopen(path, "r");
    if (f == NULL) {
        fprintf(stderr, "normalize-bench: %s: cannot open (set PX_EVAL_DIR)\n", path);
        px_arena_destroy(&a);
        return 0;
    }
    static double samples[MAX_CMDS];
    int n = 0;
    char *line = NULL;
    size_t cap = 0;
    while (n < MAX_CMDS && getline(&line, &cap, f) > 0) {
        cJSON *j = cJSON_Parse(line);
        cJSON *c = j ? cJSON_GetObjectItem(j, "command") : NULL;
        if (cJSON_IsString(c))
            samples[n++] = per_call(&a, c->valuestring);
        cJSON_Delete(j);
    }
    free(line);
    fclose(f);
    px_arena_destroy(&a);
    if (n == 0)
        return 0;
    qsort(samples, (size_t)n, sizeof(double), cmp_double);
    double med = samples[n / 2], p99 = samples[(n * 99) / 100];
    printf("corpus   %d commands: median %.0f ns/call, p99 %.0f ns/call, max %.0f ns/call\n", n, med,
           p99, samples[n - 1]);
    printf("ratio    median / 1500 ns target = %.2f\n", med / 1500.0);
    return 0;
}
