/* Hostile input against the running binary: malformed, oversized and
 * binary bodies, and broken HTTP.  Every one gets a clear answer (or a
 * closed connection for broken framing) and the gateway stays up. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "support/support.h"

static px_t_gateway gw;

static void start(void)
{
    const char *env[] = {"WORKER_THREADS=2", "MAX_BODY_BYTES=4194304", NULL};
    cr_assert_eq(px_t_gateway_start(&gw, env, 15000), 0);
}

static void stop(void)
{
    cr_expect(px_t_gateway_alive(&gw), "the gateway died");
    cr_expect_eq(px_t_gateway_stop(&gw, SIGTERM, 10000), 0, "unclean exit");
}

TestSuite(hostile, .init = start, .fini = stop, .timeout = 120);

static void expect_healthy(void)
{
    px_t_resp r;
    cr_assert_eq(px_t_http(gw.port, "GET", "/health", NULL, NULL, 0, &r), 0, "gateway no longer answers");
    cr_expect_eq(r.status, 200);
    px_t_resp_free(&r);
}

static int post(const char *body, size_t len, px_t_resp *r)
{
    return px_t_http(gw.port, "POST", "/analyze", "Content-Type: application/json\r\n", body, len, r);
}

Test(hostile, malformed_json_bodies_get_4xx_json)
{
    static const char *const bodies[] = {
        "{", "{\"tool_call\":{\"Bash\":{\"command\":\"ls\"", "nul", "true", "\"str\"", "[]", "{}}",
        "{\"tool_call\":null,\"user_id\":\"u\"}", "{\"tool_call\":{\"Bash\":null},\"user_id\":\"u\"}",
        "{\"tool_call\":{\"Bash\":{\"command\":[\"ls\"]}},\"user_id\":\"u\"}",
        "{\"tool_call\":{\"Filesystem\":{\"operation\":7,\"path\":\"/x\"}},\"user_id\":\"u\"}",
        "{\"tool_call\":{\"Network\":{\"method\":\"GET\",\"url\":{}}},\"user_id\":\"u\"}",
        "{\"tool_call\":{\"Bash\":{\"command\":\"ls\"}},\"user_id\":[\"u\"]}",
        "{\"tool_call\":{\"Bash\":{\"command\":\"ls\"}},\"user_id\":\"u\",\"session_id\":{}}",
        "{\"tool_call\":{\"Bash\":{\"command\":\"\\ud800\"}},\"user_id\":\"u\"}",
        "{\"a\":1e999999}", "{\"tool_call\":{\"Bash\":{\"command\":\"ls\"}},\"user_id\":\"u\"",
    };
    for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
        px_t_resp r;
        cr_assert_eq(post(bodies[i], strlen(bodies[i]), &r), 0, "no answer to body %zu", i);
        cr_expect(r.status >= 200 && r.status < 500, "body %zu: status %d", i, r.status);
        cJSON *j = px_t_json(&r);
        cr_expect_not_null(j, "body %zu: answer is not JSON: %s", i, r.body);
        if (r.status >= 400)
            cr_expect(cJSON_IsObject(cJSON_GetObjectItem(j, "error")), "body %zu: %s", i, r.body);
        cJSON_Delete(j);
        px_t_resp_free(&r);
    }
    expect_healthy();
}

Test(hostile, deep_nesting_invalid_utf8_and_nul_bytes)
{
    size_t n = 100000;
    char *deep = malloc(n * 2);
    memset(deep, '[', n);
    memset(deep + n, ']', n);
    px_t_resp r;
    cr_assert_eq(post(deep, n * 2, &r), 0);
    cr_expect_eq(r.status, 400);
    px_t_resp_free(&r);
    free(deep);

    const char utf8[] = "{\"tool_call\":{\"Bash\":{\"command\":\"\xc0\xaf\xed\xa0\x80\"}},\"user_id\":\"u\"}";
    cr_assert_eq(post(utf8, sizeof(utf8) - 1, &r), 0);
    cr_expect_eq(r.status, 400);
    px_t_resp_free(&r);

    const char nul[] = "{\"tool_call\":{\"Bash\":{\"command\":\"ls\0rm -rf /\"}},\"user_id\":\"u\"}";
    cr_assert_eq(post(nul, sizeof(nul) - 1, &r), 0);
    cr_expect_eq(r.status, 400);
    px_t_resp_free(&r);

    const char esc[] = "{\"tool_call\":{\"Bash\":{\"command\":\"ls\\u0000rm -rf /\"}},\"user_id\":\"u\"}";
    cr_assert_eq(post(esc, sizeof(esc) - 1, &r), 0);
    cr_expect_eq(r.status, 422, "a NUL hidden in a string must not truncate what is analysed");
    px_t_resp_free(&r);
    expect_healthy();
}

Test(hostile, huge_strings_and_pathological_commands_are_analysed_in_bounded_time)
{
    /* 3 MiB command of quotes, substitutions and pipes. */
    static const char *const units[] = {"$(", "'", "|", "a=$a$a;", "{1..9}", "`", "\\\n", "echo x; "};
    for (size_t u = 0; u < sizeof(units) / sizeof(units[0]); u++) {
        size_t ul = strlen(units[u]), reps = (3u << 20) / (ul * 2 + 2);
        px_buf cmd = PX_BUF_INIT;
        for (size_t i = 0; i < reps; i++)
            px_buf_append(&cmd, units[u], ul);
        char *body = px_t_bash_body(cmd.data, "u", "huge");
        px_t_resp r;
        cr_assert_eq(post(body, strlen(body), &r), 0, "unit %zu: no answer", u);
        cr_expect(r.status == 200 || r.status == 403 || r.status == 413, "unit %zu: status %d %s", u, r.status,
                  r.body);
        px_t_resp_free(&r);
        free(body);
        px_buf_free(&cmd);
    }
    expect_healthy();
}

Test(hostile, broken_http_is_refused_without_harm)
{
    static const char *const raws[] = {
        "GARBAGE\r\n\r\n",
        "POST /analyze HTTP/1.1\r\nContent-Length: -5\r\n\r\n",
        "POST /analyze HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n",
        "POST /analyze HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n",
        "POST /analyze HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        "GET /health HTTP/1.1\r\n\x01\x02\x03: x\r\n\r\n",
    };
    for (size_t i = 0; i < sizeof(raws) / sizeof(raws[0]); i++) {
        px_t_conn c;
        cr_assert_eq(px_t_conn_open(&c, gw.port), 0);
        px_t_resp r;
        /* Either a 4xx answer or a closed connection is fine; a crash is not. */
        if (px_t_conn_raw(&c, raws[i], strlen(raws[i]), &r) == 0) {
            cr_expect(r.status >= 400 && r.status < 500, "raw %zu: status %d", i, r.status);
            px_t_resp_free(&r);
        }
        px_t_conn_close(&c);
        expect_healthy();
    }
    /* Header block past H2O's limit (8 KiB + 4 KiB per header, 100
     * headers): the connection is closed. */
    px_buf big = PX_BUF_INIT;
    px_buf_puts(&big, "GET /health HTTP/1.1\r\nX-Big: ");
    for (int i = 0; i < 500000; i++)
        px_buf_putc(&big, 'x');
    px_buf_puts(&big, "\r\n\r\n");
    px_t_conn c;
    cr_assert_eq(px_t_conn_open(&c, gw.port), 0);
    px_t_resp r;
    if (px_t_conn_raw(&c, big.data, big.len, &r) == 0) {
        cr_expect_geq(r.status, 400);
        px_t_resp_free(&r);
    }
    px_t_conn_close(&c);
    px_buf_free(&big);
    expect_healthy();
}

Test(hostile, random_bytes_bodies)
{
    unsigned seed = 12345;
    for (int i = 0; i < 200; i++) {
        char buf[512];
        size_t n = (size_t)(rand_r(&seed) % (int)sizeof(buf));
        for (size_t k = 0; k < n; k++)
            buf[k] = (char)(rand_r(&seed) & 0xff);
        if (n > 0)
            buf[0] = '{';
        px_t_resp r;
        cr_assert_eq(post(buf, n, &r), 0, "no answer to random body %d", i);
        cr_expect(r.status == 400 || r.status == 422, "random body %d: status %d", i, r.status);
        px_t_resp_free(&r);
    }
    expect_healthy();
}
