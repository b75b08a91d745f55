#include "helpers.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <http_parser.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static pl_ts_cfg g_cfg;
static atomic_uint g_analyze;

typedef struct conn {
    int         fd;
    int         complete;
    int         is_health;
    char        url[256];
    http_parser p;
} conn;

static int on_url(http_parser *p, const char *at, size_t len)
{
    conn *c = p->data;
    size_t cur = strlen(c->url);
    if (cur + len < sizeof(c->url)) {
        memcpy(c->url + cur, at, len);
        c->url[cur + len] = '\0';
    }
    return 0;
}

static int on_complete(http_parser *p)
{
    conn *c = p->data;
    c->complete = 1;
    http_parser_pause(p, 1);
    return 0;
}

static const http_parser_settings srv_settings = {.on_url = on_url, .on_message_complete = on_complete};

static int write_all(int fd, const char *s, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, s, n);
        if (w <= 0)
            return -1;
        s += w;
        n -= (size_t)w;
    }
    return 0;
}

/* One thread per connection keeps delays concurrent without an event loop;
 * requests are parsed with http-parser like the client's responses. */
static void *serve_conn(void *arg)
{
    conn *c = arg;
    char buf[8192];
    unsigned served = 0;
    for (;;) {
        http_parser_init(&c->p, HTTP_REQUEST);
        c->p.data = c;
        c->complete = 0;
        c->url[0] = '\0';
        while (!c->complete) {
            ssize_t n = read(c->fd, buf, sizeof(buf));
            if (n <= 0)
                goto done;
            http_parser_execute(&c->p, &srv_settings, buf, (size_t)n);
            if (!c->complete && HTTP_PARSER_ERRNO(&c->p) != HPE_OK)
                goto done;
        }
        served++;
        int status = 200;
        const char *body = "{\"decision\":\"Allow\",\"threat_score\":1.0,\"patterns\":[]}";
        if (strcmp(c->url, "/health") == 0) {
            status = g_cfg.health_status ? g_cfg.health_status : 200;
            body = status == 200 ? "{\"status\":\"healthy\"}" : "{\"status\":\"unhealthy\"}";
        } else {
            unsigned n = atomic_fetch_add(&g_analyze, 1) + 1;
            if (g_cfg.delay_ms > 0) {
                struct timespec ts = {g_cfg.delay_ms / 1000, (long)(g_cfg.delay_ms % 1000) * 1000000L};
                nanosleep(&ts, NULL);
            }
            if (g_cfg.fail_every > 0 && n % (unsigned)g_cfg.fail_every == 0) {
                status = 500;
                body = "{\"error\":{\"code\":\"internal\",\"message\":\"injected failure\"}}";
            } else if (g_cfg.block_every > 0 && n % (unsigned)g_cfg.block_every == 0) {
                status = 403;
                body = "{\"decision\":\"Block\",\"threat_score\":90.0,\"patterns\":[\"x\"]}";
            }
        }
        int close_now = g_cfg.close_every > 0 && served % (unsigned)g_cfg.close_every == 0;
        char head[256];
        int hl = snprintf(head, sizeof(head),
                          "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n%s\r\n", status,
                          status == 200 ? "OK" : status == 403 ? "Forbidden" : "Error", strlen(body),
                          close_now ? "Connection: close\r\n" : "");
        if (write_all(c->fd, head, (size_t)hl) != 0 || write_all(c->fd, body, strlen(body)) != 0 || close_now)
            goto done;
    }
done:
    close(c->fd);
    free(c);
    return NULL;
}

int pl_ts_start(const pl_ts_cfg *cfg, pl_ts *ts)
{
    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (lfd < 0)
        return -1;
    int one = 1;
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t al = sizeof(a);
    if (bind(lfd, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(lfd, 1024) != 0 ||
        getsockname(lfd, (struct sockaddr *)&a, &al) != 0) {
        close(lfd);
        return -1;
    }
    ts->port = ntohs(a.sin_port);
    snprintf(ts->url, sizeof(ts->url), "http://127.0.0.1:%u", ts->port);
    pid_t pid = fork();
    if (pid < 0) {
        close(lfd);
        return -1;
    }
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        g_cfg = *cfg;
        signal(SIGPIPE, SIG_IGN);
        for (;;) {
            int fd = accept(lfd, NULL, NULL);
            if (fd < 0) {
                if (errno == EINTR)
                    continue;
                _exit(1);
            }
            setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
            conn *c = calloc(1, sizeof(*c));
            pthread_t t;
            if (c == NULL) {
                close(fd);
                continue;
            }
            c->fd = fd;
            if (pthread_create(&t, NULL, serve_conn, c) != 0) {
                close(fd);
                free(c);
                continue;
            }
            pthread_detach(t);
        }
    }
    close(lfd);
    ts->pid = pid;
    return 0;
}

void pl_ts_stop(pl_ts *ts)
{
    if (ts->pid > 0) {
        kill(ts->pid, SIGKILL);
        waitpid(ts->pid, NULL, 0);
        ts->pid = 0;
    }
}

int pl_run_proc(char *const argv[], const char *dir, int timeout_s, int sigint_after_ms, pl_proc_result *r)
{
    static int seq;
    memset(r, 0, sizeof(*r));
    seq++;
    snprintf(r->out_path, sizeof(r->out_path), "%s/out%d.txt", dir, seq);
    snprintf(r->err_path, sizeof(r->err_path), "%s/err%d.txt", dir, seq);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        int o = open(r->out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int e = open(r->err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int nul = open("/dev/null", O_RDONLY);
        if (o < 0 || e < 0 || nul < 0)
            _exit(127);
        dup2(nul, 0);
        dup2(o, 1);
        dup2(e, 2);
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        execv(argv[0], argv);
        _exit(127);
    }
    int waited_ms = 0, status = 0, sent = 0;
    for (;;) {
        pid_t w = waitpid(pid, &status, WNOHANG);
        if (w == pid)
            break;
        if (sigint_after_ms > 0 && !sent && waited_ms >= sigint_after_ms) {
            kill(pid, SIGINT);
            sent = 1;
        }
        if (waited_ms >= timeout_s * 1000) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            r->timed_out = 1;
            r->exit_code = -1;
            return 0;
        }
        struct timespec ts = {0, 20 * 1000 * 1000};
        nanosleep(&ts, NULL);
        waited_ms += 20;
    }
    r->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return 0;
}

char *pl_read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    if (s != NULL) {
        size_t got = fread(s, 1, (size_t)n, f);
        s[got] = '\0';
    }
    fclose(f);
    return s;
}

char *pl_write_file(const char *dir, const char *name, const char *text)
{
    size_t l = strlen(dir) + strlen(name) + 2;
    char *p = malloc(l);
    if (p == NULL)
        return NULL;
    snprintf(p, l, "%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    if (f == NULL) {
        free(p);
        return NULL;
    }
    fputs(text, f);
    fclose(f);
    return p;
}

char *pl_tmpdir(void)
{
    char tmpl[] = "/tmp/pl-load-test-XXXXXX";
    char *d = mkdtemp(tmpl);
    return d ? strdup(d) : NULL;
}

const char *pl_load_bin(void)
{
    const char *b = getenv("PX_LOAD_BIN");
    if (b == NULL || access(b, X_OK) != 0)
        return NULL;
    return b;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void pl_rmtree(char *dir)
{
    if (dir != NULL)
        nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(dir);
}
