#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "support.h"

extern char **environ;

int px_t_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK), .sin_port = 0};
    socklen_t l = sizeof(a);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 || getsockname(fd, (struct sockaddr *)&a, &l) != 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    close(fd);
    return ntohs(a.sin_port);
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *gateway_bin(void)
{
    const char *b = getenv("PX_GATEWAY_BIN");
    return b != NULL ? b : "build/proxilion-gateway";
}

static void apply_env(const char *const *env)
{
    for (int i = 0; env != NULL && env[i] != NULL; i++)
        putenv((char *)env[i]);
}

int px_t_gateway_alive(const px_t_gateway *g)
{
    return g->pid > 0 && waitpid(g->pid, NULL, WNOHANG) == 0;
}

/* The port the gateway logged in its "listening" line, or 0. */
static int logged_port(const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return 0;
    char line[1024];
    int port = 0;
    while (port == 0 && fgets(line, sizeof(line), f) != NULL) {
        const char *p = strstr(line, "\"msg\":\"listening\"");
        const char *q = p != NULL ? strstr(p, "\"port\":") : NULL;
        if (q != NULL)
            port = atoi(q + 7);
    }
    fclose(f);
    return port;
}

/* The gateway binds port 0 and logs the port it got: no race with other
 * tests for a "free" port, and SO_REUSEPORT can never make two test
 * gateways share one. */
int px_t_gateway_start(px_t_gateway *g, const char *const *env, int timeout_ms)
{
    static int seq;
    memset(g, 0, sizeof(*g));
    snprintf(g->log_path, sizeof(g->log_path), "/tmp/px-test-gw-%d-%d.log", (int)getpid(), ++seq);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        putenv((char *)"LISTEN_ADDR=127.0.0.1:0");
        putenv((char *)"LOG_LEVEL=info");
        apply_env(env);
        int fd = open(g->log_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) {
            dup2(fd, 2);
            dup2(fd, 1);
            close(fd);
        }
        execl(gateway_bin(), "proxilion-gateway", (char *)NULL);
        _exit(127);
    }
    g->pid = pid;
    long long deadline = now_ms() + timeout_ms;
    while (now_ms() < deadline && px_t_gateway_alive(g)) {
        if (g->port == 0)
            g->port = logged_port(g->log_path);
        px_t_resp r;
        if (g->port != 0 && px_t_http(g->port, "GET", "/health", NULL, NULL, 0, &r) == 0) {
            px_t_resp_free(&r);
            return 0;
        }
        usleep(20000);
    }
    kill(g->pid, SIGKILL);
    waitpid(g->pid, NULL, 0);
    g->pid = 0;
    return -1;
}

int px_t_gateway_stop(px_t_gateway *g, int sig, int timeout_ms)
{
    if (g->pid <= 0)
        return -1;
    kill(g->pid, sig != 0 ? sig : SIGTERM);
    long long deadline = now_ms() + timeout_ms;
    int status = 0;
    while (now_ms() < deadline) {
        pid_t r = waitpid(g->pid, &status, WNOHANG);
        if (r == g->pid) {
            g->pid = 0;
            unlink(g->log_path);
            if (WIFEXITED(status))
                return WEXITSTATUS(status);
            return 128 + WTERMSIG(status);
        }
        usleep(10000);
    }
    kill(g->pid, SIGKILL);
    waitpid(g->pid, NULL, 0);
    g->pid = 0;
    return -1;
}

static void read_all(int fd, char *buf, size_t len)
{
    size_t n = 0;
    for (;;) {
        ssize_t r = read(fd, buf + n, n + 1 < len ? len - n - 1 : 0);
        if (r <= 0)
            break;
        n += (size_t)r;
        if (n + 1 >= len) {
            /* Keep draining so the child never blocks on a full pipe. */
            char sink[4096];
            while (read(fd, sink, sizeof(sink)) > 0)
                ;
            break;
        }
    }
    if (len > 0)
        buf[n] = '\0';
}

int px_t_gateway_run(const char *const *args, const char *const *env, char *out, size_t outlen, char *errout,
                     size_t errlen)
{
    int po[2], pe[2];
    if (pipe(po) != 0 || pipe(pe) != 0)
        return -1;
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        dup2(po[1], 1);
        dup2(pe[1], 2);
        close(po[0]);
        close(pe[0]);
        close(po[1]);
        close(pe[1]);
        apply_env(env);
        const char *argv[32];
        int n = 0;
        argv[n++] = "proxilion-gateway";
        for (int i = 0; args != NULL && args[i] != NULL && n < 31; i++)
            argv[n++] = args[i];
        argv[n] = NULL;
        execv(gateway_bin(), (char *const *)argv);
        _exit(127);
    }
    close(po[1]);
    close(pe[1]);
    /* stdout first, then stderr: the gateway's one-shot commands write
     * little, well under a pipe's capacity, to stderr. */
    read_all(po[0], out, outlen);
    read_all(pe[0], errout, errlen);
    close(po[0]);
    close(pe[0]);
    int status;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
