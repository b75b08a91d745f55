/* Test helpers for the load tool: a deliberately slow or failing HTTP server
 * started in a child process on a loopback ephemeral port, and a runner for
 * the proxilion-load binary with a time limit. */
#ifndef PL_TESTS_LOAD_HELPERS_H
#define PL_TESTS_LOAD_HELPERS_H

#include <stdint.h>
#include <sys/types.h>

typedef struct pl_ts_cfg {
    int delay_ms;       /* sleep before each /analyze answer */
    int fail_every;     /* every Nth /analyze request answers 500 (0: never) */
    int block_every;    /* every Nth /analyze request answers 403 (0: never) */
    int health_status;  /* status of GET /health (0 means 200) */
    int close_every;    /* close the connection after every Nth response (0: keep-alive) */
} pl_ts_cfg;

typedef struct pl_ts {
    pid_t    pid;
    uint16_t port;
    char     url[64];
} pl_ts;

/* Starts the server; returns 0 and fills ts, or -1. */
int  pl_ts_start(const pl_ts_cfg *cfg, pl_ts *ts);
void pl_ts_stop(pl_ts *ts);

typedef struct pl_proc_result {
    int  exit_code;     /* -1 if killed by a signal or timed out */
    int  timed_out;
    char out_path[128]; /* captured stdout / stderr (files in the temp dir) */
    char err_path[128];
} pl_proc_result;

/* Runs argv (argv[0] is a path) with stdout/stderr captured into dir,
 * killing it after timeout_s.  If sigint_after_ms > 0, sends SIGINT then. */
int  pl_run_proc(char *const argv[], const char *dir, int timeout_s, int sigint_after_ms, pl_proc_result *r);
/* Reads a whole file (NUL-terminated, malloc'd) or NULL. */
char *pl_read_file(const char *path);
/* Writes text to dir/name; returns the malloc'd path. */
char *pl_write_file(const char *dir, const char *name, const char *text);
/* A fresh temp directory (malloc'd path); pl_rmtree removes it and frees dir. */
char *pl_tmpdir(void);
void  pl_rmtree(char *dir);
/* Path of the proxilion-load binary (PX_LOAD_BIN) or NULL. */
const char *pl_load_bin(void);

#endif
