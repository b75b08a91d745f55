/* A real redis-server for tests; see redis.h. */
#include "support/redis.h"

#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "support/support.h"

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static redisContext *connect_auth(px_t_redis *r)
{
    struct timeval tv = {1, 0};
    redisContext *c = redisConnectWithTimeout("127.0.0.1", r->port, tv);
    if (c == NULL || c->err) {
        if (c != NULL)
            redisFree(c);
        return NULL;
    }
    redisSetTimeout(c, tv);
    if (r->password[0] != '\0') {
        redisReply *a = redisCommand(c, "AUTH %s", r->password);
        int ok = a != NULL && a->type == REDIS_REPLY_STATUS;
        if (a != NULL)
            freeReplyObject(a);
        if (!ok) {
            redisFree(c);
            return NULL;
        }
    }
    return c;
}

static int spawn(px_t_redis *r)
{
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        /* Die with the test, whatever happens to it. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(1);
        char port[16], log[192];
        snprintf(port, sizeof(port), "%d", r->port);
        snprintf(log, sizeof(log), "%s/redis.log", r->dir);
        int fd = open("/dev/null", O_RDWR);
        if (fd >= 0) {
            dup2(fd, 0);
            dup2(fd, 1);
            dup2(fd, 2);
            close(fd);
        }
        const char *argv[24];
        int n = 0;
        argv[n++] = "redis-server";
        argv[n++] = "--port";
        argv[n++] = port;
        argv[n++] = "--bind";
        argv[n++] = "127.0.0.1";
        argv[n++] = "--save";
        argv[n++] = "";
        argv[n++] = "--appendonly";
        argv[n++] = "no";
        argv[n++] = "--dir";
        argv[n++] = r->dir;
        argv[n++] = "--logfile";
        argv[n++] = log;
        argv[n++] = "--daemonize";
        argv[n++] = "no";
        if (r->password[0] != '\0') {
            argv[n++] = "--requirepass";
            argv[n++] = r->password;
        }
        argv[n] = NULL;
        execvp("redis-server", (char *const *)argv);
        _exit(127);
    }
    r->pid = pid;
    long long deadline = now_ms() + 5000;
    while (now_ms() < deadline) {
        if (waitpid(pid, NULL, WNOHANG) == pid) {
            r->pid = 0;
            return -1;
        }
        redisContext *c = connect_auth(r);
        if (c != NULL) {
            /* Another test may have been handed the same free port: only
             * our own child counts as started. */
            redisReply *p = redisCommand(c, "INFO server");
            char want[32];
            snprintf(want, sizeof(want), "process_id:%d\r", (int)pid);
            int ours = p != NULL && p->type == REDIS_REPLY_STRING && strstr(p->str, want) != NULL;
            int other = p != NULL && p->type == REDIS_REPLY_STRING && !ours;
            if (p != NULL)
                freeReplyObject(p);
            redisFree(c);
            if (ours)
                return 0;
            if (other)
                return -1;
        }
        usleep(10000);
    }
    return -1;
}

int px_t_redis_start(px_t_redis *r, const char *password)
{
    memset(r, 0, sizeof(*r));
    snprintf(r->password, sizeof(r->password), "%s", password != NULL ? password : "");
    snprintf(r->dir, sizeof(r->dir), "/tmp/px-test-redis-XXXXXX");
    if (mkdtemp(r->dir) == NULL)
        return -1;
    for (int attempt = 0; attempt < 5; attempt++) {
        r->port = px_t_free_port();
        if (r->password[0] != '\0')
            snprintf(r->url, sizeof(r->url), "redis://:%s@127.0.0.1:%d", r->password, r->port);
        else
            snprintf(r->url, sizeof(r->url), "redis://127.0.0.1:%d", r->port);
        snprintf(r->url_env, sizeof(r->url_env), "REDIS_URL=%s", r->url);
        if (spawn(r) == 0)
            return 0;
        px_t_redis_kill(r);
    }
    return -1;
}

void px_t_redis_kill(px_t_redis *r)
{
    if (r->pid <= 0)
        return;
    kill(r->pid, SIGKILL);
    waitpid(r->pid, NULL, 0);
    r->pid = 0;
}

int px_t_redis_restart(px_t_redis *r)
{
    px_t_redis_kill(r);
    /* The port may linger for a moment after the kill. */
    for (int attempt = 0; attempt < 20; attempt++) {
        if (spawn(r) == 0)
            return 0;
        px_t_redis_kill(r);
        usleep(50000);
    }
    return -1;
}

void px_t_redis_pause(px_t_redis *r, int paused)
{
    if (r->pid > 0)
        kill(r->pid, paused ? SIGSTOP : SIGCONT);
}

void px_t_redis_stop(px_t_redis *r)
{
    if (r->pid > 0) {
        kill(r->pid, SIGCONT);
        kill(r->pid, SIGTERM);
        long long deadline = now_ms() + 3000;
        while (now_ms() < deadline && waitpid(r->pid, NULL, WNOHANG) != r->pid)
            usleep(5000);
        if (now_ms() >= deadline)
            px_t_redis_kill(r);
        r->pid = 0;
    }
    if (r->dir[0] != '\0') {
        char path[256];
        snprintf(path, sizeof(path), "%s/redis.log", r->dir);
        unlink(path);
        rmdir(r->dir);
        r->dir[0] = '\0';
    }
}

static redisReply *vcmd(px_t_redis *r, const char *fmt, va_list ap)
{
    redisContext *c = connect_auth(r);
    if (c == NULL)
        return NULL;
    redisReply *rep = redisvCommand(c, fmt, ap);
    redisFree(c);
    return rep;
}

redisReply *px_t_redis_cmd(px_t_redis *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    redisReply *rep = vcmd(r, fmt, ap);
    va_end(ap);
    return rep;
}

long long px_t_redis_num(px_t_redis *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    redisReply *rep = vcmd(r, fmt, ap);
    va_end(ap);
    long long v = -1;
    if (rep != NULL && rep->type == REDIS_REPLY_INTEGER)
        v = rep->integer;
    else if (rep != NULL && rep->type == REDIS_REPLY_STRING)
        v = strtoll(rep->str, NULL, 10);
    if (rep != NULL)
        freeReplyObject(rep);
    return v;
}
