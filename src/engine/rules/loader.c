/* Rule files: YAML (libyaml document API) into px_ruleset.
 *
 * Schema, one file per analyzer:
 *
 *   analyzer: reconnaissance
 *   description: ...
 *   settings: {key: [values]}        # optional, read by the analyzer's code
 *   rules:
 *     - id: recon.network-scanner
 *       description: Network scanner run against hosts
 *       tactic: discovery
 *       technique: T1046
 *       score: 80
 *       critical: false
 *       on: [cmd, code]
 *       programs: [nmap, masscan]
 *       match: 'regex' | [regex, ...]
 *       all: [...]; unless: [...]; paths: [...]; sudo: true; ops: [read]
 *       flags: [nested]; not_flags: [remote]; call_flags: [sudo]
 *       parents: [awk, find]; not_parents: [docker, kubectl]
 *       tests:
 *         match: ['nmap -sV 10.0.0.0/24', {read: /home/u/.ssh/id_rsa}]
 *         no_match: ['nmap --version']
 *
 * Unknown keys are errors: a typo must not silently disable a condition. */
#include "engine/rules/rule.h"

#include <dirent.h>
#include <stdarg.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#include "engine/normalize/action.h"
#include "engine/toolcall.h"

typedef struct load_ctx {
    yaml_document_t *doc;
    const char      *file;
    char            *err;
    size_t           errlen;
} load_ctx;

static int errat(load_ctx *c, const yaml_node_t *n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int errat(load_ctx *c, const yaml_node_t *n, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    snprintf(c->err, c->errlen, "%s:%lu: %s", c->file, n != NULL ? (unsigned long)n->start_mark.line + 1 : 0UL, msg);
    return -1;
}

static yaml_node_t *node(load_ctx *c, int id)
{
    return yaml_document_get_node(c->doc, id);
}

static const char *scalar(const yaml_node_t *n)
{
    return n != NULL && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static int strlist_push(px_strlist *l, const char *s)
{
    char **v = realloc(l->v, (size_t)(l->n + 1) * sizeof(char *));
    if (v == NULL)
        return -1;
    l->v = v;
    if ((v[l->n] = strdup(s)) == NULL)
        return -1;
    l->n++;
    return 0;
}

static void strlist_free(px_strlist *l)
{
    for (int i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    l->v = NULL;
    l->n = 0;
}

/* A scalar or a sequence of scalars. */
static int read_strlist(load_ctx *c, yaml_node_t *n, px_strlist *out, const char *key)
{
    if (n->type == YAML_SCALAR_NODE)
        return strlist_push(out, scalar(n)) == 0 ? 0 : errat(c, n, "out of memory reading %s", key);
    if (n->type != YAML_SEQUENCE_NODE)
        return errat(c, n, "'%s' must be a string or a list of strings", key);
    for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
        yaml_node_t *e = node(c, *it);
        if (scalar(e) == NULL)
            return errat(c, e, "'%s' entries must be strings", key);
        if (strlist_push(out, scalar(e)) != 0)
            return errat(c, e, "out of memory reading %s", key);
    }
    return 0;
}

static const char *const text_kind_names[PX_TEXT_KIND_COUNT] = {
    [PX_TEXT_CMD] = "cmd",   [PX_TEXT_CODE] = "code", [PX_TEXT_DECODED] = "decoded",
    [PX_TEXT_DATA] = "data", [PX_TEXT_RAW] = "raw",   [PX_TEXT_PATH] = "path",
    [PX_TEXT_URL] = "url",   [PX_TEXT_SQL] = "sql",   [PX_TEXT_ARG] = "arg",
};

static const char *const fs_op_names[] = {"read", "write", "delete", "list", "create"};

/* px_cmd_flags, bit by bit (action.h). */
static const char *const cmd_flag_names[] = {"sudo",   "pipe_in", "pipe_out",   "background", "subst",
                                             "nested", "decoded", "obfuscated", "remote"};
#define NCMD_FLAGS ((int)(sizeof(cmd_flag_names) / sizeof(cmd_flag_names[0])))

static int read_mask(load_ctx *c, yaml_node_t *n, const char *key, const char *const *names, int count,
                     uint32_t *out)
{
    px_strlist l = {0};
    if (read_strlist(c, n, &l, key) != 0) {
        strlist_free(&l);
        return -1;
    }
    *out = 0;
    for (int i = 0; i < l.n; i++) {
        int k = 0;
        while (k < count && strcasecmp(l.v[i], names[k]) != 0)
            k++;
        if (k == count) {
            int r = errat(c, n, "unknown value '%s'", l.v[i]);
            strlist_free(&l);
            return r;
        }
        *out |= 1u << k;
    }
    strlist_free(&l);
    return 0;
}

static int read_bool(load_ctx *c, yaml_node_t *n, bool *out)
{
    const char *s = scalar(n);
    if (s != NULL && (strcmp(s, "true") == 0 || strcmp(s, "yes") == 0)) {
        *out = true;
        return 0;
    }
    if (s != NULL && (strcmp(s, "false") == 0 || strcmp(s, "no") == 0)) {
        *out = false;
        return 0;
    }
    return errat(c, n, "expected true or false, got '%s'", s != NULL ? s : "(non-scalar)");
}

static int dup_scalar(load_ctx *c, yaml_node_t *n, char **out, const char *key)
{
    const char *s = scalar(n);
    if (s == NULL)
        return errat(c, n, "'%s' must be a string", key);
    free(*out);
    *out = strdup(s);
    return *out != NULL ? 0 : errat(c, n, "out of memory reading %s", key);
}

/* An example is a string (a Bash command) or a one-variant mapping:
 *   {read|write|delete|list|create: PATH, content: TEXT}
 *   {url: URL, method: POST, body: TEXT}
 *   {sql: QUERY}      {text: FREE TEXT} */
static int read_example(load_ctx *c, yaml_node_t *n, px_example *ex)
{
    memset(ex, 0, sizeof(*ex));
    ex->line = (int)n->start_mark.line + 1;
    if (n->type == YAML_SCALAR_NODE) {
        ex->kind = PX_EX_BASH;
        return dup_scalar(c, n, &ex->text, "example");
    }
    if (n->type != YAML_MAPPING_NODE)
        return errat(c, n, "%s", "an example must be a string or a mapping");
    int have = 0;
    for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
        const char *k = scalar(node(c, p->key));
        yaml_node_t *v = node(c, p->value);
        if (k == NULL)
            return errat(c, v, "%s", "example keys must be strings");
        int op = -1;
        for (int i = 0; i < 5; i++)
            if (strcmp(k, fs_op_names[i]) == 0)
                op = i;
        if (op >= 0) {
            ex->kind = PX_EX_FS;
            ex->fs_op = op;
            have++;
            if (dup_scalar(c, v, &ex->text, k) != 0)
                return -1;
        } else if (strcmp(k, "content") == 0 || strcmp(k, "body") == 0) {
            if (dup_scalar(c, v, &ex->extra, k) != 0)
                return -1;
        } else if (strcmp(k, "url") == 0) {
            ex->kind = PX_EX_NETWORK;
            have++;
            if (dup_scalar(c, v, &ex->text, k) != 0)
                return -1;
        } else if (strcmp(k, "method") == 0) {
            if (dup_scalar(c, v, &ex->method, k) != 0)
                return -1;
        } else if (strcmp(k, "sql") == 0) {
            ex->kind = PX_EX_SQL;
            have++;
            if (dup_scalar(c, v, &ex->text, k) != 0)
                return -1;
        } else if (strcmp(k, "text") == 0) {
            ex->kind = PX_EX_TEXT;
            have++;
            if (dup_scalar(c, v, &ex->text, k) != 0)
                return -1;
        } else if (strcmp(k, "bash") == 0) {
            ex->kind = PX_EX_BASH;
            have++;
            if (dup_scalar(c, v, &ex->text, k) != 0)
                return -1;
        } else {
            return errat(c, v, "unknown example key '%s'", k);
        }
    }
    if (have != 1)
        return errat(c, n, "%s", "an example needs exactly one of bash/read/write/delete/list/create/url/sql/text");
    if (ex->kind == PX_EX_NETWORK && ex->method == NULL && (ex->method = strdup("GET")) == NULL)
        return errat(c, n, "%s", "out of memory");
    return 0;
}

static int read_examples(load_ctx *c, yaml_node_t *n, px_example **out, int *nout)
{
    if (n->type != YAML_SEQUENCE_NODE)
        return errat(c, n, "%s", "tests.match / tests.no_match must be lists");
    int cnt = (int)(n->data.sequence.items.top - n->data.sequence.items.start);
    *out = calloc((size_t)(cnt ? cnt : 1), sizeof(px_example));
    if (*out == NULL)
        return errat(c, n, "%s", "out of memory");
    for (int i = 0; i < cnt; i++) {
        if (read_example(c, node(c, n->data.sequence.items.start[i]), &(*out)[i]) != 0) {
            *nout = i + 1;
            return -1;
        }
    }
    *nout = cnt;
    return 0;
}

static void example_free(px_example *e)
{
    free(e->text);
    free(e->extra);
    free(e->method);
}

static void rule_free(px_rule *r)
{
    free(r->id);
    free(r->description);
    free(r->technique);
    free(r->file);
    strlist_free(&r->programs);
    strlist_free(&r->parents);
    strlist_free(&r->not_parents);
    strlist_free(&r->match);
    strlist_free(&r->all);
    strlist_free(&r->unless);
    strlist_free(&r->paths);
    for (int i = 0; i < r->nex_match; i++)
        example_free(&r->ex_match[i]);
    for (int i = 0; i < r->nex_no_match; i++)
        example_free(&r->ex_no_match[i]);
    free(r->ex_match);
    free(r->ex_no_match);
}

static int read_tests(load_ctx *c, yaml_node_t *n, px_rule *r)
{
    if (n->type != YAML_MAPPING_NODE)
        return errat(c, n, "%s", "'tests' must be a mapping with match and no_match");
    for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
        const char *k = scalar(node(c, p->key));
        yaml_node_t *v = node(c, p->value);
        if (k != NULL && strcmp(k, "match") == 0) {
            if (read_examples(c, v, &r->ex_match, &r->nex_match) != 0)
                return -1;
        } else if (k != NULL && strcmp(k, "no_match") == 0) {
            if (read_examples(c, v, &r->ex_no_match, &r->nex_no_match) != 0)
                return -1;
        } else {
            return errat(c, v, "unknown key in tests: '%s'", k != NULL ? k : "?");
        }
    }
    return 0;
}

/* Every rule field, one row each, instead of an if-chain per key. */
enum field_kind { F_STR, F_LIST, F_BOOL, F_SCORE, F_TACTIC, F_ON, F_OPS, F_FLAGS, F_TESTS };
static const struct {
    const char     *key;
    enum field_kind kind;
    size_t          offset;
} rule_fields[] = {
    {"id", F_STR, offsetof(px_rule, id)},
    {"description", F_STR, offsetof(px_rule, description)},
    {"technique", F_STR, offsetof(px_rule, technique)},
    {"tactic", F_TACTIC, offsetof(px_rule, tactic)},
    {"score", F_SCORE, offsetof(px_rule, score)},
    {"critical", F_BOOL, offsetof(px_rule, critical)},
    {"sudo", F_BOOL, offsetof(px_rule, sudo)},
    {"on", F_ON, offsetof(px_rule, on)},
    {"ops", F_OPS, offsetof(px_rule, ops)},
    {"flags", F_FLAGS, offsetof(px_rule, flags)},
    {"not_flags", F_FLAGS, offsetof(px_rule, not_flags)},
    {"call_flags", F_FLAGS, offsetof(px_rule, call_flags)},
    {"programs", F_LIST, offsetof(px_rule, programs)},
    {"parents", F_LIST, offsetof(px_rule, parents)},
    {"not_parents", F_LIST, offsetof(px_rule, not_parents)},
    {"match", F_LIST, offsetof(px_rule, match)},
    {"all", F_LIST, offsetof(px_rule, all)},
    {"unless", F_LIST, offsetof(px_rule, unless)},
    {"paths", F_LIST, offsetof(px_rule, paths)},
    {"tests", F_TESTS, 0},
};

static int read_rule(load_ctx *c, yaml_node_t *n, px_rule *r)
{
    if (n->type != YAML_MAPPING_NODE)
        return errat(c, n, "%s", "each rule must be a mapping");
    r->tactic = -1;
    r->score = -1;
    r->line = (int)n->start_mark.line + 1;
    if ((r->file = strdup(c->file)) == NULL)
        return errat(c, n, "%s", "out of memory");
    for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
        const char *k = scalar(node(c, p->key));
        yaml_node_t *v = node(c, p->value);
        size_t f = 0, nf = sizeof(rule_fields) / sizeof(rule_fields[0]);
        while (f < nf && (k == NULL || strcmp(k, rule_fields[f].key) != 0))
            f++;
        if (f == nf)
            return errat(c, v, "unknown rule key '%s'", k != NULL ? k : "?");
        void *dst = (char *)r + rule_fields[f].offset;
        int rc = 0;
        switch (rule_fields[f].kind) {
        case F_STR: rc = dup_scalar(c, v, (char **)dst, k); break;
        case F_LIST: rc = read_strlist(c, v, (px_strlist *)dst, k); break;
        case F_BOOL: rc = read_bool(c, v, (bool *)dst); break;
        case F_ON: rc = read_mask(c, v, k, text_kind_names, PX_TEXT_KIND_COUNT, (uint32_t *)dst); break;
        case F_OPS: rc = read_mask(c, v, k, fs_op_names, 5, (uint32_t *)dst); break;
        case F_FLAGS: rc = read_mask(c, v, k, cmd_flag_names, NCMD_FLAGS, (uint32_t *)dst); break;
        case F_TESTS: rc = read_tests(c, v, r); break;
        case F_TACTIC:
            if ((*(int *)dst = px_tactic_parse(scalar(v))) < 0)
                rc = errat(c, v, "unknown tactic '%s'", scalar(v) != NULL ? scalar(v) : "?");
            break;
        case F_SCORE: {
            const char *s = scalar(v);
            char *end = NULL;
            double d = s != NULL ? strtod(s, &end) : -1;
            if (s == NULL || end == s || *end != '\0' || d < 0 || d > 100)
                rc = errat(c, v, "score must be a number 0..100, got '%s'", s != NULL ? s : "?");
            else
                *(double *)dst = d;
            break;
        }
        }
        if (rc != 0)
            return -1;
    }
    if (r->id == NULL)
        return errat(c, n, "%s", "rule without id");
    if (r->description == NULL)
        return errat(c, n, "rule %s has no description", r->id);
    if (r->tactic < 0)
        return errat(c, n, "rule %s has no tactic", r->id);
    if (r->score < 0)
        return errat(c, n, "rule %s has no score", r->id);
    if (r->sudo)
        r->flags |= PX_CMD_SUDO;
    if (r->flags & r->not_flags)
        return errat(c, n, "rule %s requires and forbids the same flag", r->id);
    if (r->programs.n + r->match.n + r->paths.n == 0)
        return errat(c, n, "rule %s needs programs, match or paths", r->id);
    if (r->nex_match == 0 || r->nex_no_match == 0)
        return errat(c, n, "rule %s needs at least one tests.match and one tests.no_match example", r->id);
    if (r->on == 0) {
        /* Defaults: command lines and what they run or decode; path rules
         * also look at file-operation paths. */
        r->on = 1u << PX_TEXT_CMD | 1u << PX_TEXT_CODE | 1u << PX_TEXT_DECODED;
        if (r->paths.n > 0)
            r->on |= 1u << PX_TEXT_PATH;
    }
    return 0;
}

static int read_settings(load_ctx *c, yaml_node_t *n, px_analyzer_def *a)
{
    if (n->type != YAML_MAPPING_NODE)
        return errat(c, n, "%s", "'settings' must be a mapping");
    for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
        const char *k = scalar(node(c, p->key));
        if (k == NULL)
            return errat(c, n, "%s", "settings keys must be strings");
        px_setting *s = realloc(a->settings, (size_t)(a->nsettings + 1) * sizeof(*s));
        if (s == NULL)
            return errat(c, n, "%s", "out of memory");
        a->settings = s;
        s = &a->settings[a->nsettings++];
        memset(s, 0, sizeof(*s));
        if ((s->key = strdup(k)) == NULL || read_strlist(c, node(c, p->value), &s->values, k) != 0)
            return -1;
    }
    return 0;
}

px_ruleset *px_ruleset_create(void)
{
    return calloc(1, sizeof(px_ruleset));
}

void px_ruleset_destroy(px_ruleset *rs)
{
    if (rs == NULL)
        return;
    for (int i = 0; i < rs->nrules; i++)
        rule_free(&rs->rules[i]);
    for (int i = 0; i < rs->nanalyzers; i++) {
        px_analyzer_def *a = &rs->analyzers[i];
        free(a->name);
        free(a->description);
        for (int k = 0; k < a->nsettings; k++) {
            free(a->settings[k].key);
            strlist_free(&a->settings[k].values);
        }
        free(a->settings);
    }
    free(rs->rules);
    free(rs->analyzers);
    free(rs);
}

int px_ruleset_analyzer(const px_ruleset *rs, const char *name)
{
    for (int i = 0; i < rs->nanalyzers; i++)
        if (strcmp(rs->analyzers[i].name, name) == 0)
            return i;
    return -1;
}

const px_strlist *px_ruleset_setting(const px_ruleset *rs, const char *analyzer, const char *key)
{
    int a = px_ruleset_analyzer(rs, analyzer);
    if (a < 0)
        return NULL;
    for (int i = 0; i < rs->analyzers[a].nsettings; i++)
        if (strcmp(rs->analyzers[a].settings[i].key, key) == 0)
            return &rs->analyzers[a].settings[i].values;
    return NULL;
}

static int get_analyzer(px_ruleset *rs, const char *name)
{
    int i = px_ruleset_analyzer(rs, name);
    if (i >= 0)
        return i;
    px_analyzer_def *a = realloc(rs->analyzers, (size_t)(rs->nanalyzers + 1) * sizeof(*a));
    if (a == NULL)
        return -1;
    rs->analyzers = a;
    a = &rs->analyzers[rs->nanalyzers];
    memset(a, 0, sizeof(*a));
    if ((a->name = strdup(name)) == NULL)
        return -1;
    return rs->nanalyzers++;
}

static int load_doc(px_ruleset *rs, load_ctx *c)
{
    yaml_node_t *root = yaml_document_get_root_node(c->doc);
    if (root == NULL)
        return 0; /* empty file */
    if (root->type != YAML_MAPPING_NODE)
        return errat(c, root, "%s", "top level must be a mapping with analyzer and rules");
    const char *aname = NULL;
    yaml_node_t *rules = NULL, *settings = NULL, *desc = NULL;
    for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top; p++) {
        const char *k = scalar(node(c, p->key));
        yaml_node_t *v = node(c, p->value);
        if (k != NULL && strcmp(k, "analyzer") == 0)
            aname = scalar(v);
        else if (k != NULL && strcmp(k, "rules") == 0)
            rules = v;
        else if (k != NULL && strcmp(k, "settings") == 0)
            settings = v;
        else if (k != NULL && strcmp(k, "description") == 0)
            desc = v;
        else
            return errat(c, v, "unknown top-level key '%s'", k != NULL ? k : "?");
    }
    if (aname == NULL)
        return errat(c, root, "%s", "missing 'analyzer'");
    int ai = get_analyzer(rs, aname);
    if (ai < 0)
        return errat(c, root, "%s", "out of memory");
    if (desc != NULL && dup_scalar(c, desc, &rs->analyzers[ai].description, "description") != 0)
        return -1;
    if (settings != NULL && read_settings(c, settings, &rs->analyzers[ai]) != 0)
        return -1;
    if (rules == NULL)
        return 0;
    if (rules->type != YAML_SEQUENCE_NODE)
        return errat(c, rules, "%s", "'rules' must be a list");
    for (yaml_node_item_t *it = rules->data.sequence.items.start; it < rules->data.sequence.items.top; it++) {
        px_rule *r = realloc(rs->rules, (size_t)(rs->nrules + 1) * sizeof(*r));
        if (r == NULL)
            return errat(c, rules, "%s", "out of memory");
        rs->rules = r;
        r = &rs->rules[rs->nrules++];
        memset(r, 0, sizeof(*r));
        r->analyzer = ai;
        if (read_rule(c, node(c, *it), r) != 0)
            return -1;
        for (int i = 0; i < rs->nrules - 1; i++)
            if (strcmp(rs->rules[i].id, r->id) == 0)
                return errat(c, node(c, *it), "duplicate rule id '%s'", r->id);
    }
    return 0;
}

int px_ruleset_load_file(px_ruleset *rs, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    yaml_parser_t parser;
    yaml_document_t doc;
    if (!yaml_parser_initialize(&parser)) {
        fclose(f);
        snprintf(err, errlen, "%s: cannot initialise YAML parser", path);
        return -1;
    }
    yaml_parser_set_input_file(&parser, f);
    int rc = 0;
    /* A file may hold several documents (---); each is one analyzer block. */
    for (;;) {
        if (!yaml_parser_load(&parser, &doc)) {
            snprintf(err, errlen, "%s:%lu: YAML error: %s", path, (unsigned long)parser.problem_mark.line + 1,
                     parser.problem != NULL ? parser.problem : "unknown");
            rc = -1;
            break;
        }
        if (yaml_document_get_root_node(&doc) == NULL) {
            yaml_document_delete(&doc);
            break;
        }
        load_ctx c = {&doc, path, err, errlen};
        rc = load_doc(rs, &c);
        yaml_document_delete(&doc);
        if (rc != 0)
            break;
    }
    yaml_parser_delete(&parser);
    fclose(f);
    return rc;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int px_ruleset_load_dir(px_ruleset *rs, const char *dir, char *err, size_t errlen)
{
    DIR *d = opendir(dir);
    if (d == NULL) {
        snprintf(err, errlen, "rules directory %s: %s", dir, strerror(errno));
        return -1;
    }
    px_strlist files = {0};
    struct dirent *e;
    int rc = 0;
    while ((e = readdir(d)) != NULL) {
        size_t l = strlen(e->d_name);
        if (e->d_name[0] == '.' || l < 6 || (strcmp(e->d_name + l - 5, ".yaml") != 0 && strcmp(e->d_name + l - 4, ".yml") != 0))
            continue;
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        if (strlist_push(&files, path) != 0) {
            snprintf(err, errlen, "out of memory listing %s", dir);
            rc = -1;
            break;
        }
    }
    closedir(d);
    if (rc == 0 && files.n == 0) {
        snprintf(err, errlen, "rules directory %s holds no *.yaml files", dir);
        rc = -1;
    }
    if (rc == 0)
        qsort(files.v, (size_t)files.n, sizeof(char *), cmp_str);
    for (int i = 0; rc == 0 && i < files.n; i++)
        rc = px_ruleset_load_file(rs, files.v[i], err, errlen);
    strlist_free(&files);
    return rc;
}
