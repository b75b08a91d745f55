#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "api/request.h"

static px_arena arena;
static void setup(void) { px_arena_init(&arena, 64u << 20); }
static void teardown(void) { px_arena_destroy(&arena); }
TestSuite(request, .init = setup, .fini = teardown);

static int parse(const char *json, px_api_request *r, px_api_error *e)
{
    return px_api_request_parse(json, strlen(json), &arena, r, e);
}

Test(request, bash_with_args_and_env)
{
    px_api_request r;
    px_api_error e;
    cr_assert_eq(parse("{\"tool_call\":{\"Bash\":{\"command\":\"nmap\",\"args\":[\"-sV\",\"10.0.0.0/24\"],"
                       "\"env\":{\"A\":\"1\"}}},\"user_id\":\"u\",\"session_id\":\"s\",\"org_id\":\"o\"}",
                       &r, &e),
                 0, "%s", e.message);
    cr_expect_eq(r.call.kind, PX_TC_BASH);
    cr_expect_str_eq(r.call.u.bash.command.s, "nmap");
    cr_expect_eq(r.call.u.bash.nargs, 2);
    cr_expect_str_eq(r.call.u.bash.args[1].s, "10.0.0.0/24");
    cr_expect_eq(r.call.u.bash.nenv, 1);
    cr_expect_str_eq(r.call.u.bash.env[0].key.s, "A");
    cr_expect_str_eq(r.user_id, "u");
    cr_expect_str_eq(r.session_id, "s");
    cr_expect_str_eq(r.org_id, "o");
    cr_expect_eq(r.session_generated, 0);
}

Test(request, every_variant_parses)
{
    static const struct {
        const char *json;
        px_tc_kind  kind;
    } cases[] = {
        {"{\"tool_call\":{\"Filesystem\":{\"operation\":\"Write\",\"path\":\"/tmp/x\",\"content\":\"hi\"}},\"user_id\":\"u\"}", PX_TC_FILESYSTEM},
        {"{\"tool_call\":{\"Filesystem\":{\"operation\":\"Read\",\"path\":\"/tmp/x\",\"content\":[104,105]}},\"user_id\":\"u\"}", PX_TC_FILESYSTEM},
        {"{\"tool_call\":{\"Network\":{\"method\":\"POST\",\"url\":\"https://x\",\"headers\":{\"a\":\"b\"},\"body\":null}},\"user_id\":\"u\"}", PX_TC_NETWORK},
        {"{\"tool_call\":{\"Database\":{\"query\":\"SELECT 1\",\"connection\":\"pg://\"}},\"user_id\":\"u\"}", PX_TC_DATABASE},
        {"{\"tool_call\":{\"Unknown\":{\"a\":[\"x\",{\"b\":\"y\"}]}},\"user_id\":\"u\"}", PX_TC_UNKNOWN},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        px_api_request r;
        px_api_error e;
        cr_expect_eq(parse(cases[i].json, &r, &e), 0, "case %zu: %s", i, e.message);
        cr_expect_eq(r.call.kind, cases[i].kind, "case %zu", i);
        cr_expect_eq(r.session_generated, 1);
        cr_expect(strncmp(r.session_id, "sess-", 5) == 0);
    }
}

Test(request, byte_array_content_keeps_nul_bytes)
{
    px_api_request r;
    px_api_error e;
    cr_assert_eq(parse("{\"tool_call\":{\"Filesystem\":{\"operation\":\"Write\",\"path\":\"/x\",\"content\":[97,0,98]}},"
                       "\"user_id\":\"u\"}",
                       &r, &e),
                 0);
    cr_expect_eq(r.call.u.fs.content.len, 3u);
    cr_expect_eq(r.call.u.fs.content.s[2], 'b');
}

Test(request, unknown_collects_keys_and_values)
{
    px_api_request r;
    px_api_error e;
    cr_assert_eq(parse("{\"tool_call\":{\"Unknown\":{\"cmd\":\"rm -rf /\",\"n\":[1,\"two\"]}},\"user_id\":\"u\"}", &r, &e), 0);
    int found = 0;
    for (int i = 0; i < r.call.u.unknown.nstrings; i++)
        found += strcmp(r.call.u.unknown.strings[i].s, "rm -rf /") == 0 || strcmp(r.call.u.unknown.strings[i].s, "two") == 0;
    cr_expect_eq(found, 2);
}

Test(request, mcp_generic_names_map_onto_variants)
{
    static const struct {
        const char *json;
        px_tc_kind  kind;
        const char *field;
    } cases[] = {
        {"{\"name\":\"bash\",\"arguments\":{\"command\":\"ls\"},\"user_id\":\"u\"}", PX_TC_BASH, "ls"},
        {"{\"name\":\"mcp__filesystem__read_file\",\"arguments\":{\"path\":\"/etc/shadow\"},\"user_id\":\"u\"}", PX_TC_FILESYSTEM, "/etc/shadow"},
        {"{\"name\":\"fetch\",\"arguments\":{\"url\":\"https://x.io\"},\"user_id\":\"u\"}", PX_TC_NETWORK, "https://x.io"},
        {"{\"name\":\"execute_sql\",\"arguments\":{\"sql\":\"DROP TABLE t\"},\"user_id\":\"u\"}", PX_TC_DATABASE, "DROP TABLE t"},
        {"{\"method\":\"tools/call\",\"params\":{\"name\":\"run_command\",\"arguments\":{\"cmd\":[\"cat\",\"/x\"]}},\"user_id\":\"u\"}", PX_TC_BASH, "cat"},
        {"{\"name\":\"weather\",\"arguments\":{\"city\":\"Paris\"},\"user_id\":\"u\"}", PX_TC_UNKNOWN, NULL},
        {"{\"name\":\"read_file\",\"arguments\":{\"nopath\":\"x\"},\"user_id\":\"u\"}", PX_TC_UNKNOWN, NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        px_api_request r;
        px_api_error e;
        cr_assert_eq(parse(cases[i].json, &r, &e), 0, "case %zu: %s", i, e.message);
        cr_expect_eq(r.call.kind, cases[i].kind, "case %zu", i);
        const char *got = r.call.kind == PX_TC_BASH         ? r.call.u.bash.command.s
                          : r.call.kind == PX_TC_FILESYSTEM ? r.call.u.fs.path.s
                          : r.call.kind == PX_TC_NETWORK    ? r.call.u.net.url.s
                          : r.call.kind == PX_TC_DATABASE   ? r.call.u.db.query.s
                                                            : NULL;
        if (cases[i].field != NULL)
            cr_expect_str_eq(got, cases[i].field, "case %zu", i);
        cr_expect_not_null(r.call.tool_name);
    }
}

/* Every rejection: status, code, and a message naming the problem. */
Test(request, bad_bodies_get_the_right_status_and_code)
{
    static const struct {
        const char *json;
        int         status;
        const char *code;
        const char *msg_part;
    } cases[] = {
        {"", 400, "invalid_json", "empty"},
        {"{\"tool_call\":", 400, "invalid_json", "offset"},
        {"{\"user_id\":\"u\"} trailing", 400, "invalid_json", "after"},
        {"[1,2]", 422, "invalid_request", "object"},
        {"{\"user_id\":\"u\"}", 422, "invalid_request", "tool_call"},
        {"{\"tool_call\":{\"Bash\":{\"command\":\"ls\"}}}", 422, "invalid_request", "user_id"},
        {"{\"tool_call\":{\"Bash\":{\"command\":\"ls\"}},\"user_id\":7}", 422, "invalid_request", "user_id"},
        {"{\"tool_call\":{\"Bash\":{\"command\":\"ls\"}},\"user_id\":\"\"}", 422, "invalid_request", "empty"},
        {"{\"tool_call\":{\"Bash\":{\"command\":42}},\"user_id\":\"u\"}", 422, "invalid_request", "command"},
        {"{\"tool_call\":{\"Bash\":{}},\"user_id\":\"u\"}", 422, "invalid_request", "command"},
        {"{\"tool_call\":{\"Bash\":{\"command\":\"ls\",\"args\":\"-la\"}},\"user_id\":\"u\"}", 422, "invalid_request", "args"},
        {"{\"tool_call\":{\"Bash\":{\"command\":\"ls\",\"args\":[1]}},\"user_id\":\"u\"}", 422, "invalid_request", "args[0]"},
        {"{\"tool_call\":{\"Bash\":{\"command\":\"ls\",\"env\":{\"A\":1}}},\"user_id\":\"u\"}", 422, "invalid_request", "env"},
        {"{\"tool_call\":{\"Filesystem\":{\"operation\":\"Chmod\",\"path\":\"/x\"}},\"user_id\":\"u\"}", 422, "invalid_request", "operation"},
        {"{\"tool_call\":{\"Filesystem\":{\"operation\":\"Write\",\"path\":\"/x\",\"content\":[300]}},\"user_id\":\"u\"}", 422, "invalid_request", "byte"},
        {"{\"tool_call\":{\"Network\":{\"url\":\"x\"}},\"user_id\":\"u\"}", 422, "invalid_request", "method"},
        {"{\"tool_call\":{\"Teleport\":{}},\"user_id\":\"u\"}", 422, "invalid_request", "Teleport"},
        {"{\"tool_call\":{\"Bash\":{\"command\":\"ls\"},\"Database\":{\"query\":\"x\"}},\"user_id\":\"u\"}", 422, "invalid_request", "exactly one"},
        {"{\"tool_call\":\"ls\",\"user_id\":\"u\"}", 422, "invalid_request", "object"},
        {"{\"tool_call\":{\"Bash\":{\"command\":\"ls\\u0000; rm -rf /\"}},\"user_id\":\"u\"}", 422, "invalid_request", "NUL"},
        {"{\"tool_call\":{\"Bash\":{\"command\":\"ls\"}},\"user_id\":\"u\",\"explain\":\"yes\"}", 422, "invalid_request", "explain"},
        {"{\"name\":5,\"user_id\":\"u\"}", 422, "invalid_request", "name"},
        {"{\"name\":\"bash\",\"arguments\":[],\"user_id\":\"u\"}", 422, "invalid_request", "arguments"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        px_api_request r;
        px_api_error e;
        memset(&e, 0, sizeof(e));
        cr_expect_eq(parse(cases[i].json, &r, &e), -1, "case %zu accepted", i);
        cr_expect_eq(e.status, cases[i].status, "case %zu: status %d", i, e.status);
        cr_expect_str_eq(e.code, cases[i].code, "case %zu", i);
        cr_expect(strstr(e.message, cases[i].msg_part) != NULL, "case %zu: '%s' lacks '%s'", i, e.message,
                  cases[i].msg_part);
    }
}

Test(request, invalid_utf8_deep_nesting_and_raw_nul_are_rejected)
{
    px_api_request r;
    px_api_error e;
    const char bad_utf8[] = "{\"tool_call\":{\"Bash\":{\"command\":\"ls \xff\xfe\"}},\"user_id\":\"u\"}";
    cr_expect_eq(parse(bad_utf8, &r, &e), -1);
    cr_expect_str_eq(e.code, "invalid_utf8");
    char deep[400];
    memset(deep, '[', 200);
    memset(deep + 200, ']', 200);
    cr_expect_eq(px_api_request_parse(deep, sizeof(deep), &arena, &r, &e), -1);
    cr_expect_str_eq(e.code, "nesting_too_deep");
    const char nul[] = "{\"user_id\":\"u\0\"}";
    cr_expect_eq(px_api_request_parse(nul, sizeof(nul) - 1, &arena, &r, &e), -1);
    cr_expect_eq(e.status, 400);
}

/* String content is skipped sixteen bytes a step: a bad byte must be found
 * wherever it falls in a long string (inside a block, at its edge, in the
 * tail), and a string that is only plain text must still parse whole. */
Test(request, bad_bytes_are_found_at_every_offset_of_a_long_string)
{
    static const struct {
        const char *bytes;
        size_t      len;
        int         status;
        const char *code;
    } bad[] = {
        {"\xff", 1, 400, "invalid_utf8"},
        {"\xc3(", 2, 400, "invalid_utf8"},
        {"\0", 1, 400, "invalid_json"},
        {"\\u0000", 6, 422, "invalid_request"},
    };
    enum { RUN = 40 };
    for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
        for (size_t at = 0; at + bad[k].len <= RUN; at++) {
            char body[256];
            int pre = snprintf(body, sizeof(body), "{\"tool_call\":{\"Bash\":{\"command\":\"");
            memset(body + pre, 'a', RUN);
            memcpy(body + pre + at, bad[k].bytes, bad[k].len);
            int post = snprintf(body + pre + RUN, sizeof(body) - (size_t)pre - RUN, "\"}},\"user_id\":\"u\"}");
            size_t len = (size_t)pre + RUN + (size_t)post;
            px_api_request r;
            px_api_error e;
            cr_expect_eq(px_api_request_parse(body, len, &arena, &r, &e), -1, "kind %zu at %zu parsed", k, at);
            cr_expect_eq(e.status, bad[k].status, "kind %zu at %zu: %d %s", k, at, e.status, e.message);
            cr_expect_str_eq(e.code, bad[k].code, "kind %zu at %zu", k, at);
            /* The same body with the bad bytes made plain parses. */
            memset(body + pre + at, 'b', bad[k].len);
            cr_expect_eq(px_api_request_parse(body, len, &arena, &r, &e), 0, "kind %zu at %zu: %s", k, at, e.message);
            cr_expect_eq(r.call.u.bash.command.len, (size_t)RUN);
        }
    }
}

Test(request, content_type_check)
{
    px_api_error e;
    cr_expect_eq(px_api_check_content_type("application/json", 16, &e), 0);
    cr_expect_eq(px_api_check_content_type("Application/JSON; charset=utf-8", 31, &e), 0);
    cr_expect_eq(px_api_check_content_type(NULL, 0, &e), -1);
    cr_expect_eq(e.status, 415);
    cr_expect_eq(px_api_check_content_type("text/plain", 10, &e), -1);
    cr_expect_eq(px_api_check_content_type("application/jsonx", 17, &e), -1);
}
