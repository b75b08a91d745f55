/* Test support: a real redis-server on a free loopback port.
 *
 * The server runs without persistence in its own temporary directory and
 * dies with the test process (PR_SET_PDEATHSIG), so a failed test never
 * leaves one behind.  px_t_redis_kill() is kill -9; px_t_redis_restart()
 * brings it back, empty, on the same port with the same password. */
#ifndef PX_TESTS_SUPPORT_REDIS_H
#define PX_TESTS_SUPPORT_REDIS_H

#include <hiredis/hiredis.h>
#include <sys/types.h>

typedef struct px_t_redis {
    pid_t pid;
    int   port;
    char  password[64];
    char  dir[128];
    char  url[192];        /* redis://[:password@]127.0.0.1:PORT */
    char  url_env[210];    /* "REDIS_URL=..." for px_t_gateway_start */
} px_t_redis;

/* password: NULL or "" for none.  Returns 0 once the server answers PING
 * (within 5 s). */
int  px_t_redis_start(px_t_redis *r, const char *password);
/* kill -9 and reap. */
void px_t_redis_kill(px_t_redis *r);
/* Starts again on the same port; 0 when it answers. */
int  px_t_redis_restart(px_t_redis *r);
/* SIGSTOP / SIGCONT: a server that holds connections but never answers. */
void px_t_redis_pause(px_t_redis *r, int paused);
/* Stops the server and removes its directory. */
void px_t_redis_stop(px_t_redis *r);

/* One command on a fresh blocking connection (authenticated); NULL on
 * failure.  Free with freeReplyObject. */
redisReply *px_t_redis_cmd(px_t_redis *r, const char *fmt, ...);
/* The integer (or numeric string) reply of a command; -1 on failure. */
long long px_t_redis_num(px_t_redis *r, const char *fmt, ...);

#endif
