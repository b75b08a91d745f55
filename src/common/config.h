/* Gateway configuration: one registry table of keys (config.c), each with
 * its environment variable, command-line flag, default, parser and help.
 * Precedence: defaults < environment < flags.  --help is generated from the
 * same table, so a key cannot exist without being documented. */
#ifndef PX_COMMON_CONFIG_H
#define PX_COMMON_CONFIG_H

#include <stddef.h>
#include <stdio.h>

#include "common/log.h"

typedef enum px_mode {
    PX_MODE_MONITOR,
    PX_MODE_ALERT,
    PX_MODE_BLOCK,
    PX_MODE_TERMINATE,
} px_mode;

typedef enum px_store_kind {
    PX_STORE_MEMORY,
    PX_STORE_REDIS,
} px_store_kind;

typedef enum px_fail_mode {
    PX_FAIL_OPEN,
    PX_FAIL_CLOSED,
} px_fail_mode;

typedef struct px_config {
    px_mode       mode;
    char          listen_addr[128];   /* as given, for logs and /health */
    char          listen_host[64];    /* parsed host (IPv4/IPv6 literal or name) */
    int           listen_port;
    px_store_kind session_store;
    char          redis_url[512];
    int           session_ttl_seconds;
    int           session_max_entries;
    px_fail_mode  session_fail_mode;
    double        alert_threshold;
    double        block_threshold;
    double        terminate_threshold;
    int           worker_threads;
    size_t        max_body_bytes;
    int           request_timeout_ms;
    char          cors_origins[1024]; /* comma-separated; "*" = any; "" = CORS off */
    char          rules_dir[1024];
    char          policy_file[1024];  /* optional user rules, same schema; "" = none */
    char          rules_cache_dir[1024]; /* compiled databases; "" = user cache dir, "off" = none */
    px_log_level  log_level;
    px_log_format log_format;

    /* One-shot commands instead of serving. */
    const char   *explain;            /* --explain CMD: print the analysis trace and exit */
    int           check_rules;        /* --check-rules: load, compile, run rule examples, exit */
} px_config;

enum px_config_result {
    PX_CONFIG_OK = 0,
    PX_CONFIG_EXIT = 1,   /* --help or --version was printed: exit 0 */
    PX_CONFIG_ERROR = 2,  /* invalid configuration: message in err, exit 2 */
};

const char *px_mode_name(px_mode m);
const char *px_store_kind_name(px_store_kind k);

/* Fills cfg from defaults, the environment and argv.  `out` receives --help
 * and --version text.  Returns a px_config_result; on error err holds one
 * line naming the key and the problem. */
int px_config_load(px_config *cfg, int argc, char **argv, FILE *out, char *err, size_t errlen);

/* Defaults only (used by tests and the engine tools). */
void px_config_defaults(px_config *cfg);

#endif
