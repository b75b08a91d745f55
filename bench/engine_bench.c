/* Engine cost per call.
 *
 *   engine_bench RULES_DIR [CORPUS_DIR] [--calls N]
 *
 * Loads the tool calls of the corpora (shell commands and file reads from
 * the JSONL files in ../shared/eval; a built-in list of typical developer commands when
 * absent), warms up, then times every px_engine_analyze() call and prints
 * the median, p90 and p99, and the same for parsing the request JSON (the
 * stage before the engine) as the in-run reference.  With --calls N it only
 * runs N analyses (cycling through the calls) and prints nothing, for
 * callgrind's instruction counts (bench/engine.sh). */
#include <cJSON.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/request.h"
#include "engine/engine.h"

typedef struct call {
    px_toolcall tc;
    char       *json;   /* the request body an agent would send */
} call;

static call  *calls;
static int    ncalls, cap;

static const char *const fallback[] = {
    "ls -la", "git status", "npm run build", "grep -r \"password\" /var/log/", "cargo test --release",
    "docker ps -a", "python3 -m pytest tests/", "make -j4", "cat README.md", "kubectl get pods -n default",
    "find . -name '*.py' | xargs wc -l", "git log --oneline | head -20",
};

static void add_call(const char *cmd, const char *path)
{
    if (ncalls == cap) {
        cap = cap ? cap * 2 : 1024;
        calls = realloc(calls, (size_t)cap * sizeof(*calls));
    }
    call *c = &calls[ncalls++];
    memset(c, 0, sizeof(*c));
    cJSON *root = cJSON_CreateObject(), *tc = cJSON_AddObjectToObject(root, "tool_call");
    if (cmd != NULL) {
        char *s = strdup(cmd);
        c->tc.kind = PX_TC_BASH;
        c->tc.u.bash.command = (px_str){s, strlen(s)};
        cJSON_AddStringToObject(cJSON_AddObjectToObject(tc, "Bash"), "command", cmd);
    } else {
        char *s = strdup(path);
        c->tc.kind = PX_TC_FILESYSTEM;
        c->tc.u.fs.op = PX_FS_READ;
        c->tc.u.fs.path = (px_str){s, strlen(s)};
        cJSON *fs = cJSON_AddObjectToObject(tc, "Filesystem");
        cJSON_AddStringToObject(fs, "operation", "Read");
        cJSON_AddStringToObject(fs, "path", path);
    }
    cJSON_AddStringToObject(root, "user_id", "bench@example.com");
    cJSON_AddStringToObject(root, "session_id", "bench-session");
    c->json = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
}

static void load_corpus(const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return;
    char *line = NULL;
    size_t len = 0;
    while (getline(&line, &len, f) > 0) {
        cJSON *j = cJSON_Parse(line);
        const cJSON *cmd = cJSON_GetObjectItem(j, "command"), *p = cJSON_GetObjectItem(j, "path");
        if (cJSON_IsString(cmd))
            add_call(cmd->valuestring, NULL);
        else if (cJSON_IsString(p))
            add_call(NULL, p->valuestring);
        cJSON_Delete(j);
    }
    free(line);
    fclose(f);
}

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void report(const char *what, double *v, int n)
{
    qsort(v, (size_t)n, sizeof(double), cmp_d);
    printf("  %-22s median %7.2f us   p90 %7.2f us   p99 %7.2f us   (%d calls)\n", what, v[n / 2] / 1e3,
           v[(int)(n * 0.9)] / 1e3, v[(int)(n * 0.99)] / 1e3, n);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s RULES_DIR [CORPUS_DIR] [--calls N]\n", argv[0]);
        return 2;
    }
    long only = -1;
    const char *corpus = NULL;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--calls") == 0 && i + 1 < argc)
            only = atol(argv[++i]);
        else
            corpus = argv[i];
    }
    if (corpus != NULL) {
        static const char *const files[] = {"benign_tldr_dev.jsonl", "malicious_art_dev.jsonl",
                                            "malicious_gtfobins_dev.jsonl"};
        for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
            char p[4096];
            snprintf(p, sizeof(p), "%s/%s", corpus, files[i]);
            load_corpus(p);
        }
    }
    int from_corpus = ncalls > 0;
    if (!from_corpus)
        for (size_t i = 0; i < sizeof(fallback) / sizeof(fallback[0]); i++)
            add_call(fallback[i], NULL);

    char err[1024];
    px_engine_opts o = {argv[1], NULL};
    px_engine *e = px_engine_create(&o, err, sizeof(err));
    if (e == NULL) {
        fprintf(stderr, "engine: %s\n", err);
        return 1;
    }
    px_engine_worker *w = px_engine_worker_create(e);
    px_arena a;
    px_arena_init(&a, 256u << 20);
    px_analysis an;
    if (only >= 0) {
        for (long i = 0; i < only; i++) {
            px_arena_reset(&a);
            px_engine_analyze(w, &calls[i % ncalls].tc, &a, &an);
        }
        return 0;
    }
    /* Warm-up: caches, branch predictors, arena blocks. */
    for (int r = 0; r < 2; r++)
        for (int i = 0; i < ncalls; i++) {
            px_arena_reset(&a);
            px_engine_analyze(w, &calls[i].tc, &a, &an);
        }
    int rounds = ncalls < 1000 ? 200 : 3;
    int n = ncalls * rounds;
    double *eng = malloc((size_t)n * sizeof(double)), *js = malloc((size_t)n * sizeof(double));
    int k = 0;
    for (int r = 0; r < rounds; r++)
        for (int i = 0; i < ncalls; i++, k++) {
            px_arena_reset(&a);
            double t0 = now_ns();
            px_engine_analyze(w, &calls[i].tc, &a, &an);
            eng[k] = now_ns() - t0;
            px_arena_reset(&a);
            px_api_request req;
            px_api_error pe;
            t0 = now_ns();
            px_api_request_parse(calls[i].json, strlen(calls[i].json), &a, &req, &pe);
            js[k] = now_ns() - t0;
        }
    printf("bench-engine: %d rules, %d tool calls (%s)\n", px_engine_ruleset(e)->nrules, ncalls,
           from_corpus ? "dev corpora" : "built-in sample");
    double em, jm;
    report("engine analyze", eng, n);
    em = eng[n / 2];
    report("request JSON parse", js, n);
    jm = js[n / 2];
    printf("  ratio engine/JSON-parse (median): %.2f\n", em / jm);
    free(eng);
    free(js);
    px_arena_destroy(&a);
    px_engine_worker_destroy(w);
    px_engine_destroy(e);
    return 0;
}
