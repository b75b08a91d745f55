/* Response parsing through http-parser, checks, TARGET_URL parsing, request
 * rendering. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "load/http.h"

static int feed_all(pl_resp *r, const char *s)
{
    return pl_resp_feed(r, s, strlen(s));
}

Test(http, content_length_response_split_anywhere)
{
    const char *msg = "HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\nContent-Length: 20\r\n\r\n"
                      "{\"decision\":\"Block\"}";
    size_t n = strlen(msg);
    for (size_t cut = 1; cut < n; cut++) {
        px_buf body = PX_BUF_INIT;
        pl_resp r;
        pl_resp_init(&r, &body, 0);
        cr_assert_eq(pl_resp_feed(&r, msg, cut), 0, "cut %zu", cut);
        cr_assert_eq(pl_resp_feed(&r, msg + cut, n - cut), 1, "cut %zu", cut);
        cr_assert_eq(pl_resp_status(&r), 403);
        cr_assert(pl_resp_keep_alive(&r));
        cr_assert_eq(body.len, 20);
        cr_assert_str_eq(body.data, "{\"decision\":\"Block\"}");
        px_buf_free(&body);
    }
}

Test(http, chunked_and_close)
{
    pl_resp r;
    px_buf body = PX_BUF_INIT;
    pl_resp_init(&r, &body, 0);
    cr_assert_eq(feed_all(&r, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                              "5\r\nhello\r\n0\r\n\r\n"), 1);
    cr_expect_str_eq(body.data, "hello");
    cr_expect(!pl_resp_keep_alive(&r), "Connection: close is honoured");
    px_buf_free(&body);

    /* Read-until-close body: complete only at EOF. */
    pl_resp_init(&r, NULL, 0);
    cr_assert_eq(feed_all(&r, "HTTP/1.0 200 OK\r\n\r\npartial"), 0);
    cr_assert_eq(pl_resp_eof(&r), 1);
    cr_expect_eq(pl_resp_status(&r), 200);
}

Test(http, malformed_and_trailing_bytes)
{
    pl_resp r;
    pl_resp_init(&r, NULL, 0);
    cr_expect_eq(feed_all(&r, "XTTP/1.1 200 OK\r\n\r\n"), -1);
    pl_resp_init(&r, NULL, 0);
    cr_expect_eq(feed_all(&r, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA"), -1,
                 "bytes after the response are an error, not a second response");
    pl_resp_init(&r, NULL, 0);
    cr_expect_eq(pl_resp_eof(&r), -1, "EOF before any byte");
    pl_resp_init(&r, NULL, 0);
    cr_expect_eq(feed_all(&r, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort"), 0);
    cr_expect_eq(pl_resp_eof(&r), -1, "EOF inside a Content-Length body");
}

Test(http, head_has_no_body)
{
    pl_resp r;
    pl_resp_init(&r, NULL, 1);
    cr_expect_eq(feed_all(&r, "HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n"), 1);
}

Test(http, checks)
{
    int st[] = {200, 403};
    pl_check c = {.name = (char *)"status", .status_in = st, .nstatus = 2, .max_duration_ms = -1};
    cr_expect(pl_check_eval(&c, 200, 1, NULL, 0));
    cr_expect(pl_check_eval(&c, 403, 1, NULL, 0));
    cr_expect(!pl_check_eval(&c, 500, 1, NULL, 0));
    cr_expect(!pl_check_eval(&c, 0, 1, NULL, 0));

    pl_check d = {.name = (char *)"has decision", .json_has = (char *)"decision", .max_duration_ms = -1};
    const char *ok = "{\"decision\":\"Allow\",\"analyzers\":[{\"name\":\"x\"}]}";
    cr_expect(pl_check_eval(&d, 200, 1, ok, strlen(ok)));
    cr_expect(!pl_check_eval(&d, 200, 1, "{\"error\":1}", 11));
    cr_expect(!pl_check_eval(&d, 200, 1, "not json", 8));
    cr_expect(!pl_check_eval(&d, 200, 1, NULL, 0));
    pl_check deep = {.name = (char *)"deep", .json_has = (char *)"analyzers.0.name", .max_duration_ms = -1};
    cr_expect(pl_check_eval(&deep, 200, 1, ok, strlen(ok)));
    deep.json_has = (char *)"analyzers.1.name";
    cr_expect(!pl_check_eval(&deep, 200, 1, ok, strlen(ok)));

    pl_check t = {.name = (char *)"fast", .max_duration_ms = 100};
    cr_expect(pl_check_eval(&t, 200, 99.9, NULL, 0));
    cr_expect(!pl_check_eval(&t, 200, 100, NULL, 0));
}

Test(http, target_url)
{
    pl_target t;
    char err[256];
    cr_assert_eq(pl_target_parse("http://127.0.0.1:8787/", &t, err, sizeof(err)), 0, "%s", err);
    cr_expect_eq(t.port, 8787);
    cr_expect_str_eq(t.hostport, "127.0.0.1:8787");
    cr_expect_str_eq(t.url, "http://127.0.0.1:8787");
    cr_expect_str_eq(t.base_path, "");
    cr_assert_eq(pl_target_parse("http://localhost/gw", &t, err, sizeof(err)), 0, "%s", err);
    cr_expect_eq(t.port, 80);
    cr_expect_str_eq(t.base_path, "/gw");
    cr_expect_eq(pl_target_parse("https://127.0.0.1:8443", &t, err, sizeof(err)), -1);
    cr_expect(strstr(err, "only http://") != NULL, "%s", err);
    cr_expect_eq(pl_target_parse("127.0.0.1:8787", &t, err, sizeof(err)), -1);
}

Test(http, plan_renders_full_request)
{
    const char *j = "{\"duration\":\"1s\",\"request\":{\"path\":\"/analyze\",\"headers\":{\"Content-Type\":"
                    "\"application/json\"}},\"payloads\":[{\"body\":{\"user_id\":\"u-${__VU}\",\"it\":\"${__ITER}\"}}]}";
    char err[512];
    pl_scenario *sc = pl_scenario_parse(j, strlen(j), NULL, err, sizeof(err));
    cr_assert_not_null(sc, "%s", err);
    pl_target t;
    cr_assert_eq(pl_target_parse("http://127.0.0.1:9/base", &t, err, sizeof(err)), 0);
    pl_plan *p = pl_plan_create(sc, &t, NULL, NULL, err, sizeof(err));
    cr_assert_not_null(p, "%s", err);
    px_buf out = PX_BUF_INIT, scratch = PX_BUF_INIT;
    cr_expect_eq(pl_plan_render(p, 3, 5, 0.5, &scratch, &out), 0);
    const char *body = "{\"user_id\":\"u-3\",\"it\":\"5\"}";
    cr_expect(strncmp(out.data, "POST /base/analyze HTTP/1.1\r\nHost: 127.0.0.1:9\r\n", 46) == 0, "%s", out.data);
    cr_expect(strstr(out.data, "\r\nContent-Type: application/json\r\n") != NULL);
    char cl[64];
    snprintf(cl, sizeof(cl), "Content-Length: %zu\r\n\r\n", strlen(body));
    cr_expect(strstr(out.data, cl) != NULL, "%s", out.data);
    cr_expect(strcmp(out.data + out.len - strlen(body), body) == 0, "%s", out.data);
    px_buf_free(&out);
    px_buf_free(&scratch);
    pl_plan_destroy(p);
    pl_scenario_destroy(sc);
}
