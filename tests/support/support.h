/* Test support: real processes over loopback, no mocks.
 *
 *   px_t_gateway_*   start the real proxilion-gateway binary ($PX_GATEWAY_BIN)
 *                    on a free loopback port with given environment, wait
 *                    until /health answers, stop it with a signal
 *   px_t_http_*      a small blocking HTTP/1.1 client (responses parsed with
 *                    http-parser) with keep-alive and raw-bytes sending for
 *                    hostile-input tests
 *   px_t_json_*      reading response bodies with cJSON */
#ifndef PX_TESTS_SUPPORT_H
#define PX_TESTS_SUPPORT_H

#include <cJSON.h>
#include <stddef.h>
#include <sys/types.h>

typedef struct px_t_gateway {
    pid_t pid;
    int   port;
    char  log_path[256];   /* the gateway's stderr */
} px_t_gateway;

/* env: NULL-terminated "KEY=VALUE" list added to the gateway's environment
 * (LISTEN_ADDR is set by this function).  Returns 0 when /health answered
 * (any status) within timeout_ms. */
int  px_t_gateway_start(px_t_gateway *g, const char *const *env, int timeout_ms);
/* Sends sig (SIGTERM by default when 0), waits up to timeout_ms; returns
 * the exit status (0..255), 128+signal if killed by a signal, or -1 on timeout. */
int  px_t_gateway_stop(px_t_gateway *g, int sig, int timeout_ms);
int  px_t_gateway_alive(const px_t_gateway *g);
/* Runs the gateway binary to completion with args and env; captures stdout
 * and stderr (each up to outlen) and returns the exit status. */
int  px_t_gateway_run(const char *const *args, const char *const *env, char *out, size_t outlen, char *errout,
                      size_t errlen);
int  px_t_free_port(void);

typedef struct px_t_resp {
    int    status;
    char  *body;           /* malloc'd, NUL-terminated */
    size_t body_len;
    char   content_type[128];
    char   allow[64];
    char   cors_origin[128];
    int    keep_alive;
} px_t_resp;

typedef struct px_t_conn {
    int    fd;
    int    port;
    char  *rest;    /* bytes read past the last response (pipelining) */
    size_t nrest;
} px_t_conn;

int  px_t_conn_open(px_t_conn *c, int port);
void px_t_conn_close(px_t_conn *c);
/* One request on an open connection.  extra_headers: "Name: v\r\n..." or NULL. */
int  px_t_conn_request(px_t_conn *c, const char *method, const char *path, const char *extra_headers,
                       const char *body, size_t body_len, px_t_resp *r);
/* Writes raw bytes and reads one response (or returns -1 if the server
 * closed without answering). */
int  px_t_conn_raw(px_t_conn *c, const void *bytes, size_t len, px_t_resp *r);
/* Reads the next response, for bytes written earlier (several requests in
 * one write: each call returns the next response, in order). */
int  px_t_conn_read(px_t_conn *c, px_t_resp *r);
/* Open, request, close. */
int  px_t_http(int port, const char *method, const char *path, const char *extra_headers, const char *body,
               size_t body_len, px_t_resp *r);
/* POST /analyze with a JSON body (Content-Type set). */
int  px_t_analyze(int port, const char *json, px_t_resp *r);
void px_t_resp_free(px_t_resp *r);

/* Parses r->body; NULL if not JSON.  Free with cJSON_Delete. */
cJSON *px_t_json(const px_t_resp *r);
double px_t_json_num(const cJSON *o, const char *key, double def);
const char *px_t_json_str(const cJSON *o, const char *key);

/* Builds {"tool_call":{"Bash":{"command":CMD}},"user_id":USER,"session_id":SID} with CMD escaped. */
char *px_t_bash_body(const char *cmd, const char *user, const char *session);

#endif
