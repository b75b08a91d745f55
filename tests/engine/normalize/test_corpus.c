/* Every real command of the evaluation corpora (the .jsonl files in $PX_EVAL_DIR) must
 * normalise without crashing, with well-formed output, and fewer than 1%
 * may be flagged PARSE_ERR.  The corpora are read in place, never copied. */
#include <cjson/cJSON.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>

#include "norm_test.h"

typedef struct corpus_stats {
    int files, total, parse_err;
} corpus_stats;

static const char *command_of(cJSON *j)
{
    cJSON *c = cJSON_GetObjectItem(j, "command");
    if (cJSON_IsString(c))
        return c->valuestring;
    cJSON *tc = cJSON_GetObjectItem(j, "tool_call");
    cJSON *bash = tc ? cJSON_GetObjectItem(tc, "Bash") : NULL;
    c = bash ? cJSON_GetObjectItem(bash, "command") : NULL;
    return cJSON_IsString(c) ? c->valuestring : NULL;
}

static void check_one(const char *file, int lineno, const char *cmd, corpus_stats *st)
{
    const px_actions *a = norm(cmd);
    st->total++;
    if (a->flags & PX_ACT_PARSE_ERR)
        st->parse_err++;
    cr_assert_eq(nt_rc, 0, "%s:%d", file, lineno);
    for (int i = 0; i < a->ncmds; i++) {
        const px_cmd *c = &a->cmds[i];
        cr_assert(c->prog != NULL && c->prog[0] != '\0', "%s:%d: empty prog:\n%s", file, lineno, dump(a));
        cr_assert(c->line != NULL && strncmp(c->line, c->prog, strlen(c->prog)) == 0,
                  "%s:%d: line does not start with prog:\n%s", file, lineno, dump(a));
        cr_assert(c->parent >= -1 && c->parent < a->ncmds, "%s:%d", file, lineno);
        cr_assert(c->argc >= 1 && c->argv[c->argc] == NULL, "%s:%d", file, lineno);
    }
    cr_assert_not_null(find_text(a, PX_TEXT_RAW, NULL), "%s:%d", file, lineno);
}

static void check_file(const char *path, const char *name, corpus_stats *st)
{
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "%s", path);
    char *line = NULL;
    size_t cap = 0;
    int lineno = 0;
    while (getline(&line, &cap, f) > 0) {
        lineno++;
        cJSON *j = cJSON_Parse(line);
        if (j == NULL)
            continue;
        const char *cmd = command_of(j);
        if (cmd != NULL)
            check_one(name, lineno, cmd, st);
        cJSON_Delete(j);
    }
    free(line);
    fclose(f);
    st->files++;
}

Test(norm_corpus, every_eval_command_normalises)
{
    const char *dir = getenv("PX_EVAL_DIR");
    if (dir == NULL)
        dir = "../shared/eval";
    DIR *d = opendir(dir);
    if (d == NULL) {
        cr_skip_test("eval corpus folder %s not found (set PX_EVAL_DIR to run this test)", dir);
        return;
    }
    corpus_stats st = {0, 0, 0};
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t l = strlen(e->d_name);
        if (l < 7 || strcmp(e->d_name + l - 6, ".jsonl") != 0)
            continue;
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        check_file(path, e->d_name, &st);
    }
    closedir(d);
    if (st.files == 0) {
        cr_skip_test("no .jsonl files in %s", dir);
        return;
    }
    cr_assert_gt(st.total, 0);
    cr_assert_lt(st.parse_err * 100, st.total, "%d of %d commands flagged PARSE_ERR", st.parse_err, st.total);
    cr_log_info("eval corpus: %d files, %d commands, %d PARSE_ERR", st.files, st.total, st.parse_err);
}
