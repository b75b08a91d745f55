/* The rule loader, the Hyperscan compile, and every built-in rule's own
 * examples (tests.match must fire, tests.no_match must not). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/engine.h"
#include "engine/rules/matcher.h"

static char dir[64];

static void mkdir_tmp(void)
{
    snprintf(dir, sizeof(dir), "/tmp/px-rules-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
}

static void cleanup(void)
{
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    cr_expect_eq(system(cmd), 0);
}

TestSuite(rule_loader, .init = mkdir_tmp, .fini = cleanup);

static void write_file(const char *name, const char *text)
{
    char path[128];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs(text, f);
    fclose(f);
}

static px_engine *load(char *err, size_t errlen)
{
    px_engine_opts o = {dir, NULL};
    return px_engine_create(&o, err, errlen);
}

#define RULE_HEAD "analyzer: t\nrules:\n  - id: t.one\n    description: d\n    tactic: discovery\n    score: 50\n"
#define RULE_TESTS "    tests:\n      match: [nmap x]\n      no_match: [ls]\n"

Test(rule_loader, a_valid_rule_loads_and_fires)
{
    write_file("t.yaml", RULE_HEAD "    programs: [nmap]\n" RULE_TESTS);
    char err[512];
    px_engine *e = load(err, sizeof(err));
    cr_assert_not_null(e, "%s", err);
    px_buf rep = PX_BUF_INIT;
    int n = 0;
    cr_expect_eq(px_engine_check_examples(e, &rep, &n), 0, "%s", rep.data);
    cr_expect_eq(n, 2);
    px_buf_free(&rep);
    px_engine_destroy(e);
}

/* Each broken file is refused with file:line and the problem. */
Test(rule_loader, broken_rules_are_refused_with_a_location)
{
    static const struct {
        const char *text;
        const char *expect;
    } cases[] = {
        {RULE_HEAD "    programs: [nmap]\n    colour: red\n" RULE_TESTS, "unknown rule key 'colour'"},
        {RULE_HEAD "    programs: [nmap]\n", "needs at least one tests.match"},
        {RULE_HEAD RULE_TESTS, "needs programs, match or paths"},
        {RULE_HEAD "    match: ['(unclosed']\n" RULE_TESTS, "bad regex"},
        {"analyzer: t\nrules:\n  - id: t.x\n    description: d\n    tactic: hacking\n    score: 5\n    programs: [a]\n" RULE_TESTS,
         "unknown tactic"},
        {"analyzer: t\nrules:\n  - id: t.x\n    description: d\n    tactic: discovery\n    score: 500\n    programs: [a]\n" RULE_TESTS,
         "score must be"},
        {RULE_HEAD "    programs: [nmap]\n    on: [telepathy]\n" RULE_TESTS, "unknown value 'telepathy'"},
        {"analyzer: [x\n", "YAML error"},
        {"rules: []\n", "missing 'analyzer'"},
        {RULE_HEAD "    programs: [nmap]\n" RULE_TESTS "  - id: t.one\n    description: d\n    tactic: discovery\n    score: 5\n    programs: [a]\n" RULE_TESTS,
         "duplicate rule id"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        write_file("t.yaml", cases[i].text);
        char err[512] = "";
        px_engine *e = load(err, sizeof(err));
        cr_expect_null(e, "case %zu loaded", i);
        px_engine_destroy(e);
        cr_expect(strstr(err, cases[i].expect) != NULL, "case %zu: '%s' lacks '%s'", i, err, cases[i].expect);
        cr_expect(strstr(err, "t.yaml") != NULL, "case %zu: no file in '%s'", i, err);
    }
}

Test(rule_loader, a_failing_example_is_reported)
{
    write_file("t.yaml", RULE_HEAD "    programs: [nmap]\n    tests:\n      match: [ls -la]\n      no_match: [nmap x]\n");
    char err[512];
    px_engine *e = load(err, sizeof(err));
    cr_assert_not_null(e, "%s", err);
    px_buf rep = PX_BUF_INIT;
    cr_expect_eq(px_engine_check_examples(e, &rep, NULL), 2);
    cr_expect(strstr(rep.data, "did not fire on its match example: ls -la") != NULL, "%s", rep.data);
    cr_expect(strstr(rep.data, "fired on its no_match example: nmap x") != NULL, "%s", rep.data);
    px_buf_free(&rep);
    px_engine_destroy(e);
}

Test(path_glob, regex_translation)
{
    char re[512];
    cr_assert_eq(px_path_glob_to_regex("/etc/shadow", re, sizeof(re)), 0);
    cr_expect(strstr(re, "/etc/shadow") != NULL);
    cr_assert_eq(px_path_glob_to_regex("~/.ssh/id_*", re, sizeof(re)), 0);
    cr_expect(strstr(re, "/home/") != NULL && strstr(re, "\\.ssh/id_") != NULL, "%s", re);
    cr_expect_eq(px_path_glob_to_regex("/etc/[unclosed", re, sizeof(re)), -1);
    char tiny[8];
    cr_expect_eq(px_path_glob_to_regex("/very/long/path/name", tiny, sizeof(tiny)), -1);
}

/* Every built-in rule's examples. */
Test(builtin_rules, every_example_behaves, .timeout = 120)
{
    const char *rules = getenv("PX_RULES_DIR");
    px_engine_opts o = {rules != NULL ? rules : "rules", NULL};
    char err[1024];
    px_engine *e = px_engine_create(&o, err, sizeof(err));
    cr_assert_not_null(e, "%s", err);
    px_buf rep = PX_BUF_INIT;
    int n = 0;
    int fails = px_engine_check_examples(e, &rep, &n);
    cr_expect_eq(fails, 0, "%d of %d examples failed:\n%s", fails, n, rep.data != NULL ? rep.data : "");
    cr_expect_gt(n, 2 * px_engine_ruleset(e)->nrules - 1, "every rule has match and no_match examples");
    px_buf_free(&rep);
    px_engine_destroy(e);
}
