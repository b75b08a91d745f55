/* Detection quality over the labelled dev corpora in ../shared/eval
 * ($PX_EVAL_DIR), judged as ../shared/eval/run_eval.py judges a running
 * gateway: a call alerts at score >= 50 and blocks at >= 70.  Each call
 * is analysed without session state (fresh session, as the script does);
 * sequences that need session state are left to the HTTP evaluation.
 *
 * The floors are the targets.  Skips cleanly when the corpora
 * are absent (they are measurement data, not part of the project). */
#include <cJSON.h>
#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/request.h"
#include "engine/engine.h"

typedef struct tally {
    int n, alert, block;
} tally;

static px_engine        *engine;
static px_engine_worker *worker;
static px_arena          arena;

static void setup(void)
{
    const char *rules = getenv("PX_RULES_DIR");
    px_engine_opts o = {rules != NULL ? rules : "rules", NULL};
    char err[1024];
    engine = px_engine_create(&o, err, sizeof(err));
    cr_assert_not_null(engine, "%s", err);
    worker = px_engine_worker_create(engine);
    px_arena_init(&arena, 256u << 20);
}

static void teardown(void)
{
    px_arena_destroy(&arena);
    px_engine_worker_destroy(worker);
    px_engine_destroy(engine);
}

TestSuite(eval, .init = setup, .fini = teardown, .timeout = 300);

static const char *eval_dir(void)
{
    const char *d = getenv("PX_EVAL_DIR");
    return d != NULL ? d : "../shared/eval";
}

static FILE *open_corpus(const char *name)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", eval_dir(), name);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        cr_skip_test("evaluation corpus %s not found (set PX_EVAL_DIR); skipping", path);
    return f;
}

/* Score of one record: shell command or file read. */
static double score_record(const cJSON *rec)
{
    const cJSON *cmd = cJSON_GetObjectItem(rec, "command"), *path = cJSON_GetObjectItem(rec, "path");
    px_toolcall tc;
    memset(&tc, 0, sizeof(tc));
    if (cJSON_IsString(cmd)) {
        tc.kind = PX_TC_BASH;
        tc.u.bash.command = (px_str){cmd->valuestring, strlen(cmd->valuestring)};
    } else if (cJSON_IsString(path)) {
        tc.kind = PX_TC_FILESYSTEM;
        tc.u.fs.op = PX_FS_READ;
        tc.u.fs.path = (px_str){path->valuestring, strlen(path->valuestring)};
    } else {
        return -1;
    }
    px_arena_reset(&arena);
    px_analysis an;
    px_engine_analyze(worker, &tc, &arena, &an);
    return an.score;
}

typedef int (*want_fn)(const cJSON *rec, double score);

/* Runs a corpus; `group` picks records and returns 1 when counted. */
static tally run(const char *file, int (*group)(const cJSON *rec), const char *label, int show_misses, int malicious)
{
    FILE *f = open_corpus(file);
    tally t = {0, 0, 0};
    char *line = NULL;
    size_t cap = 0;
    int shown = 0;
    while (getline(&line, &cap, f) > 0) {
        cJSON *rec = cJSON_Parse(line);
        if (rec == NULL)
            continue;
        if (group(rec)) {
            double s = score_record(rec);
            if (s >= 0) {
                t.n++;
                t.alert += s >= 50;
                t.block += s >= 70;
                int miss = malicious ? s < 70 : s >= 50;
                if (miss && shown < show_misses) {
                    const cJSON *c = cJSON_GetObjectItem(rec, "command");
                    cr_log_info("  %s miss (%.1f): %.160s", label, s,
                                cJSON_IsString(c) ? c->valuestring : cJSON_GetObjectItem(rec, "path")->valuestring);
                    shown++;
                }
            }
        }
        cJSON_Delete(rec);
    }
    free(line);
    fclose(f);
    cr_log_info("%-36s n=%4d alert %.1f%% block %.1f%%", label, t.n, t.n ? 100.0 * t.alert / t.n : 0,
                t.n ? 100.0 * t.block / t.n : 0);
    return t;
}

static const char *str(const cJSON *rec, const char *k)
{
    const cJSON *v = cJSON_GetObjectItem(rec, k);
    return cJSON_IsString(v) ? v->valuestring : "";
}

static int art_main(const cJSON *r)
{
    return strcmp(str(r, "tactic"), "discovery") != 0 && !cJSON_IsTrue(cJSON_GetObjectItem(r, "low_signal"));
}

static int art_discovery(const cJSON *r)
{
    return strcmp(str(r, "tactic"), "discovery") == 0;
}

static int all(const cJSON *r)
{
    (void)r;
    return 1;
}

static double pct(int x, int n)
{
    return n ? 100.0 * x / n : 0;
}

Test(eval, atomic_red_team_non_discovery_is_blocked)
{
    tally t = run("malicious_art_dev.jsonl", art_main, "ART (not discovery, not low-signal)", 20, 1);
    /* What is left are commands a developer runs every day (whoami,
     * uname -srm, echo $0, rm -f /tmp/x, go run x.go): no rule blocks them
     * without blocking ordinary work; session analyzers raise them once
     * they follow one another. */
    cr_expect_geq(pct(t.block, t.n), 95.0, "block %.1f%% < 95%% (%d/%d)", pct(t.block, t.n), t.block, t.n);
}

Test(eval, atomic_red_team_discovery_alerts)
{
    tally t = run("malicious_art_dev.jsonl", art_discovery, "ART discovery", 10, 1);
    cr_expect_geq(pct(t.alert, t.n), 80.0, "alert %.1f%% < 80%% (%d/%d)", pct(t.alert, t.n), t.alert, t.n);
}

Test(eval, gtfobins_is_blocked)
{
    tally t = run("malicious_gtfobins_dev.jsonl", all, "GTFOBins", 20, 1);
    cr_expect_geq(pct(t.block, t.n), 95.0, "block %.1f%% < 95%% (%d/%d)", pct(t.block, t.n), t.block, t.n);
}

Test(eval, benign_developer_commands_pass)
{
    tally t = run("benign_tldr_dev.jsonl", all, "benign (tldr)", 20, 0);
    cr_expect_leq(pct(t.block, t.n), 0.5, "block %.2f%% > 0.5%% (%d/%d)", pct(t.block, t.n), t.block, t.n);
    cr_expect_leq(pct(t.alert, t.n), 2.0, "alert %.2f%% > 2%% (%d/%d)", pct(t.alert, t.n), t.alert, t.n);
}
