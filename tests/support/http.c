/* Blocking HTTP/1.1 client for tests; responses parsed with http-parser. */
#include <arpa/inet.h>
#include <errno.h>
#include <http_parser.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/buf.h"
#include "support.h"

#define IO_TIMEOUT_MS 10000

int px_t_conn_open(px_t_conn *c, int port)
{
    c->port = port;
    c->rest = NULL;
    c->nrest = 0;
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (c->fd < 0)
        return -1;
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(c->fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
        close(c->fd);
        c->fd = -1;
        return -1;
    }
    return 0;
}

void px_t_conn_close(px_t_conn *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    free(c->rest);
    c->rest = NULL;
    c->nrest = 0;
}

void px_t_resp_free(px_t_resp *r)
{
    free(r->body);
    r->body = NULL;
}

typedef struct parse_state {
    px_t_resp *r;
    px_buf     body;
    char       field[64];
    int        done;
} parse_state;

static int on_header_field(http_parser *p, const char *at, size_t len)
{
    parse_state *s = p->data;
    size_t n = len < sizeof(s->field) - 1 ? len : sizeof(s->field) - 1;
    memcpy(s->field, at, n);
    s->field[n] = '\0';
    return 0;
}

static void copy_to(char *dst, size_t dstlen, const char *at, size_t len)
{
    size_t n = len < dstlen - 1 ? len : dstlen - 1;
    memcpy(dst, at, n);
    dst[n] = '\0';
}

static int on_header_value(http_parser *p, const char *at, size_t len)
{
    parse_state *s = p->data;
    if (strcasecmp(s->field, "content-type") == 0)
        copy_to(s->r->content_type, sizeof(s->r->content_type), at, len);
    else if (strcasecmp(s->field, "allow") == 0)
        copy_to(s->r->allow, sizeof(s->r->allow), at, len);
    else if (strcasecmp(s->field, "access-control-allow-origin") == 0)
        copy_to(s->r->cors_origin, sizeof(s->r->cors_origin), at, len);
    return 0;
}

static int on_body(http_parser *p, const char *at, size_t len)
{
    parse_state *s = p->data;
    px_buf_append(&s->body, at, len);
    return 0;
}

static int on_complete(http_parser *p)
{
    ((parse_state *)p->data)->done = 1;
    /* Stop at the end of this response: what follows belongs to the next. */
    http_parser_pause(p, 1);
    return 0;
}

/* Parses n bytes; keeps what follows a complete response for the next
 * read.  Returns 0 to go on reading, -1 on a parse error. */
static int feed(px_t_conn *c, http_parser *p, const http_parser_settings *st, const char *buf, size_t n)
{
    size_t used = http_parser_execute(p, st, buf, n);
    parse_state *s = p->data;
    if (s->done) {
        char *rest = n > used ? malloc(n - used) : NULL;
        if (rest != NULL)
            memcpy(rest, buf + used, n - used);
        free(c->rest);
        c->rest = rest;
        c->nrest = rest != NULL ? n - used : 0;
        return 0;
    }
    return p->http_errno != HPE_OK || used != n ? -1 : 0;
}

static int send_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t w = send(fd, p, len, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

static int read_response(px_t_conn *c, px_t_resp *r, int head)
{
    memset(r, 0, sizeof(*r));
    parse_state s = {r, PX_BUF_INIT, "", 0};
    http_parser_settings st;
    http_parser_settings_init(&st);
    st.on_header_field = on_header_field;
    st.on_header_value = on_header_value;
    st.on_body = on_body;
    st.on_message_complete = on_complete;
    http_parser p;
    http_parser_init(&p, HTTP_RESPONSE);
    p.data = &s;
    char buf[65536];
    (void)head;
    if (c->nrest > 0) {
        char *pending = c->rest;
        size_t npending = c->nrest;
        c->rest = NULL;
        c->nrest = 0;
        int bad = feed(c, &p, &st, pending, npending);
        free(pending);
        if (bad) {
            px_buf_free(&s.body);
            return -1;
        }
    }
    while (!s.done) {
        struct pollfd pfd = {c->fd, POLLIN, 0};
        if (poll(&pfd, 1, IO_TIMEOUT_MS) <= 0)
            break;
        ssize_t n = recv(c->fd, buf, sizeof(buf), 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            break;
        if (feed(c, &p, &st, buf, (size_t)n) != 0 || (n == 0 && !s.done))
            break;
    }
    if (!s.done) {
        px_buf_free(&s.body);
        return -1;
    }
    r->status = (int)p.status_code;
    r->keep_alive = http_should_keep_alive(&p);
    r->body_len = s.body.len;
    r->body = s.body.data != NULL ? s.body.data : calloc(1, 1);
    return 0;
}

int px_t_conn_request(px_t_conn *c, const char *method, const char *path, const char *extra_headers,
                      const char *body, size_t body_len, px_t_resp *r)
{
    px_buf req = PX_BUF_INIT;
    px_buf_printf(&req, "%s %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n", method, path, c->port);
    if (extra_headers != NULL)
        px_buf_puts(&req, extra_headers);
    if (body != NULL)
        px_buf_printf(&req, "Content-Length: %zu\r\n", body_len);
    px_buf_puts(&req, "\r\n");
    if (body != NULL)
        px_buf_append(&req, body, body_len);
    int rc = req.oom ? -1 : send_all(c->fd, req.data, req.len);
    px_buf_free(&req);
    if (rc != 0)
        return -1;
    return read_response(c, r, strcmp(method, "HEAD") == 0);
}

int px_t_conn_raw(px_t_conn *c, const void *bytes, size_t len, px_t_resp *r)
{
    if (send_all(c->fd, bytes, len) != 0)
        return -1;
    return read_response(c, r, 0);
}

int px_t_conn_read(px_t_conn *c, px_t_resp *r)
{
    return read_response(c, r, 0);
}

int px_t_http(int port, const char *method, const char *path, const char *extra_headers, const char *body,
              size_t body_len, px_t_resp *r)
{
    px_t_conn c;
    if (px_t_conn_open(&c, port) != 0)
        return -1;
    int rc = px_t_conn_request(&c, method, path, extra_headers, body, body_len, r);
    px_t_conn_close(&c);
    return rc;
}

int px_t_analyze(int port, const char *json, px_t_resp *r)
{
    return px_t_http(port, "POST", "/analyze", "Content-Type: application/json\r\n", json, strlen(json), r);
}

cJSON *px_t_json(const px_t_resp *r)
{
    return r->body != NULL ? cJSON_ParseWithLength(r->body, r->body_len) : NULL;
}

double px_t_json_num(const cJSON *o, const char *key, double def)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(v) ? v->valuedouble : def;
}

const char *px_t_json_str(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

char *px_t_bash_body(const char *cmd, const char *user, const char *session)
{
    px_buf b = PX_BUF_INIT;
    px_buf_puts(&b, "{\"tool_call\":{\"Bash\":{\"command\":");
    px_buf_json_str(&b, cmd, strlen(cmd));
    px_buf_puts(&b, ",\"args\":[],\"env\":{}}},\"user_id\":");
    px_buf_json_str(&b, user, strlen(user));
    if (session != NULL) {
        px_buf_puts(&b, ",\"session_id\":");
        px_buf_json_str(&b, session, strlen(session));
    }
    px_buf_putc(&b, '}');
    return b.data;
}
