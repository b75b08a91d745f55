#include "common/config.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#ifndef PX_DEFAULT_RULES_DIR
#define PX_DEFAULT_RULES_DIR "rules"
#endif

typedef struct cfg_key cfg_key;
typedef int (*cfg_parse_fn)(px_config *cfg, const cfg_key *k, const char *val, char *err, size_t errlen);

/* One descriptor per configuration key. */
struct cfg_key {
    const char  *env;
    const char  *flag;
    const char  *metavar;
    const char  *def;        /* default as text; NULL = computed (see apply_computed_defaults) */
    const char  *help;
    cfg_parse_fn parse;
    size_t       offset;     /* field in px_config */
    const char *const *names; /* enum names, NULL-terminated */
    double       min, max;   /* numeric bounds */
    size_t       size;       /* string field size */
};

static const char *const mode_names[] = {"monitor", "alert", "block", "terminate", NULL};
static const char *const store_names[] = {"memory", "redis", NULL};
static const char *const fail_names[] = {"open", "closed", NULL};
static const char *const level_names[] = {"debug", "info", "warn", "error", "off", NULL};
static const char *const format_names[] = {"json", "text", NULL};

const char *px_mode_name(px_mode m) { return mode_names[m]; }
const char *px_store_kind_name(px_store_kind k) { return store_names[k]; }

static int fail(char *err, size_t errlen, const cfg_key *k, const char *val, const char *why)
{
    snprintf(err, errlen, "invalid %s (%s) value '%s': %s", k->env, k->flag, val, why);
    return -1;
}

static int parse_enum(px_config *cfg, const cfg_key *k, const char *val, char *err, size_t errlen)
{
    for (int i = 0; k->names[i] != NULL; i++) {
        if (strcasecmp(val, k->names[i]) == 0) {
            *(int *)((char *)cfg + k->offset) = i;
            return 0;
        }
    }
    char why[256] = "expected one of:";
    for (int i = 0; k->names[i] != NULL; i++) {
        strncat(why, " ", sizeof(why) - strlen(why) - 1);
        strncat(why, k->names[i], sizeof(why) - strlen(why) - 1);
    }
    return fail(err, errlen, k, val, why);
}

static int parse_number(const cfg_key *k, const char *val, double *out, char *err, size_t errlen)
{
    char *end;
    errno = 0;
    double d = strtod(val, &end);
    while (*end == ' ')
        end++;
    if (end == val || *end != '\0' || errno != 0 || !isfinite(d))
        return fail(err, errlen, k, val, "not a number");
    if (d < k->min || d > k->max) {
        char why[96];
        snprintf(why, sizeof(why), "must be between %g and %g", k->min, k->max);
        return fail(err, errlen, k, val, why);
    }
    *out = d;
    return 0;
}

static int parse_int(px_config *cfg, const cfg_key *k, const char *val, char *err, size_t errlen)
{
    double d;
    if (parse_number(k, val, &d, err, errlen) != 0)
        return -1;
    if (d != floor(d))
        return fail(err, errlen, k, val, "must be a whole number");
    *(int *)((char *)cfg + k->offset) = (int)d;
    return 0;
}

static int parse_double(px_config *cfg, const cfg_key *k, const char *val, char *err, size_t errlen)
{
    return parse_number(k, val, (double *)((char *)cfg + k->offset), err, errlen);
}

/* Byte sizes accept a k/K, m/M or g/G suffix (binary multiples). */
static int parse_size(px_config *cfg, const cfg_key *k, const char *val, char *err, size_t errlen)
{
    char *end;
    errno = 0;
    unsigned long long n = strtoull(val, &end, 10);
    if (end == val || errno != 0 || *val == '-')
        return fail(err, errlen, k, val, "not a size");
    unsigned long long mul = 1;
    switch (*end) {
    case 'k': case 'K': mul = 1024ULL; end++; break;
    case 'm': case 'M': mul = 1024ULL * 1024; end++; break;
    case 'g': case 'G': mul = 1024ULL * 1024 * 1024; end++; break;
    default: break;
    }
    if (*end == 'i' || *end == 'B')
        end += (*end == 'i' && end[1] == 'B') ? 2 : 1;
    if (*end != '\0')
        return fail(err, errlen, k, val, "not a size (use e.g. 1048576, 512k, 1M)");
    if (n > ULLONG_MAX / mul || (double)(n * mul) < k->min || (double)(n * mul) > k->max) {
        char why[96];
        snprintf(why, sizeof(why), "must be between %.0f and %.0f bytes", k->min, k->max);
        return fail(err, errlen, k, val, why);
    }
    *(size_t *)((char *)cfg + k->offset) = (size_t)(n * mul);
    return 0;
}

static int parse_string(px_config *cfg, const cfg_key *k, const char *val, char *err, size_t errlen)
{
    if (strlen(val) >= k->size)
        return fail(err, errlen, k, val, "too long");
    memcpy((char *)cfg + k->offset, val, strlen(val) + 1);
    return 0;
}

/* host:port, [v6]:port, or :port (all interfaces). */
static int parse_addr(px_config *cfg, const cfg_key *k, const char *val, char *err, size_t errlen)
{
    const char *colon;
    char host[sizeof(cfg->listen_host)];
    if (val[0] == '[') {
        const char *close = strchr(val, ']');
        if (close == NULL || close[1] != ':')
            return fail(err, errlen, k, val, "expected [ipv6]:port");
        size_t hl = (size_t)(close - val - 1);
        if (hl == 0 || hl >= sizeof(host))
            return fail(err, errlen, k, val, "bad host");
        memcpy(host, val + 1, hl);
        host[hl] = '\0';
        colon = close + 1;
    } else {
        colon = strrchr(val, ':');
        if (colon == NULL)
            return fail(err, errlen, k, val, "expected host:port");
        size_t hl = (size_t)(colon - val);
        if (hl >= sizeof(host))
            return fail(err, errlen, k, val, "host too long");
        memcpy(host, val, hl);
        host[hl] = '\0';
        if (hl == 0)
            strcpy(host, "0.0.0.0");
    }
    char *end;
    errno = 0;
    long port = strtol(colon + 1, &end, 10);
    if (colon[1] == '\0' || *end != '\0' || errno != 0 || port < 0 || port > 65535)
        return fail(err, errlen, k, val, "port must be 0..65535");
    if (strlen(val) >= sizeof(cfg->listen_addr))
        return fail(err, errlen, k, val, "too long");
    strcpy(cfg->listen_host, host);
    cfg->listen_port = (int)port;
    strcpy(cfg->listen_addr, val);
    return 0;
}

/* Legacy SESSION_TTL_HOURS, kept for deployments of the original gateway;
 * SESSION_TTL_SECONDS wins when both are set (see load order below). */
static int parse_ttl_hours(px_config *cfg, const cfg_key *k, const char *val, char *err, size_t errlen)
{
    double d;
    if (parse_number(k, val, &d, err, errlen) != 0)
        return -1;
    cfg->session_ttl_seconds = (int)(d * 3600.0);
    if (cfg->session_ttl_seconds < 1)
        return fail(err, errlen, k, val, "must be at least one second");
    return 0;
}

#define OFF(f) offsetof(px_config, f)
#define STR(f) OFF(f), NULL, 0, 0, sizeof(((px_config *)0)->f)

/* The registry.  Order is the order of --help.  SESSION_TTL_HOURS sits
 * before SESSION_TTL_SECONDS so the newer key overrides the legacy one. */
static const cfg_key keys[] = {
    {"MODE", "--mode", "MODE", "block",
     "enforcement: monitor (never block), alert (never block, flag), block (403 at block threshold), "
     "terminate (also end the session at terminate threshold)",
     parse_enum, OFF(mode), mode_names, 0, 0, 0},
    {"LISTEN_ADDR", "--listen", "HOST:PORT", "0.0.0.0:8787", "address to listen on ([v6]:port accepted)",
     parse_addr, 0, NULL, 0, 0, 0},
    {"SESSION_STORE", "--session-store", "STORE", "memory", "session state backend: memory or redis",
     parse_enum, OFF(session_store), store_names, 0, 0, 0},
    {"REDIS_URL", "--redis-url", "URL", "redis://127.0.0.1:6379", "redis://[:password@]host:port[/db] for SESSION_STORE=redis",
     parse_string, STR(redis_url)},
    {"SESSION_TTL_HOURS", "--session-ttl-hours", "HOURS", NULL, "legacy form of SESSION_TTL_SECONDS",
     parse_ttl_hours, 0, NULL, 0.0003, 24 * 365, 0},
    {"SESSION_TTL_SECONDS", "--session-ttl", "SECONDS", "86400", "idle time after which a session (and a termination) expires",
     parse_int, OFF(session_ttl_seconds), NULL, 1, 365 * 86400, 0},
    {"SESSION_MAX_ENTRIES", "--session-max", "N", "100000", "in-memory store: sessions kept before least-recently-used eviction",
     parse_int, OFF(session_max_entries), NULL, 16, 100000000, 0},
    {"SESSION_FAIL_MODE", "--session-fail-mode", "MODE", "open",
     "when the session store is unreachable: open (analyse without session state, mark degraded) or closed (503)",
     parse_enum, OFF(session_fail_mode), fail_names, 0, 0, 0},
    {"ALERT_THRESHOLD", "--alert-threshold", "SCORE", "50", "score at or above which the decision is Alert",
     parse_double, OFF(alert_threshold), NULL, 0, 100, 0},
    {"BLOCK_THRESHOLD", "--block-threshold", "SCORE", "70", "score at or above which the decision is Block",
     parse_double, OFF(block_threshold), NULL, 0, 100, 0},
    {"TERMINATE_THRESHOLD", "--terminate-threshold", "SCORE", "90", "score at or above which the decision is Terminate",
     parse_double, OFF(terminate_threshold), NULL, 0, 100, 0},
    {"WORKER_THREADS", "--workers", "N", NULL, "worker threads, each with its own event loop (default: number of CPUs)",
     parse_int, OFF(worker_threads), NULL, 1, 256, 0},
    {"MAX_BODY_BYTES", "--max-body", "BYTES", "1048576", "largest request body accepted (larger: 413)",
     parse_size, OFF(max_body_bytes), NULL, 64, 1024.0 * 1024 * 1024, 0},
    {"REQUEST_TIMEOUT_MS", "--request-timeout", "MS", "10000", "time allowed to receive a request before the connection is closed",
     parse_int, OFF(request_timeout_ms), NULL, 100, 3600000, 0},
    {"CORS_ALLOW_ORIGINS", "--cors-origins", "LIST", "*", "comma-separated origins allowed by CORS; * = any; empty = no CORS headers",
     parse_string, STR(cors_origins)},
    {"RULES_DIR", "--rules-dir", "DIR", PX_DEFAULT_RULES_DIR, "directory of built-in rule files (*.yaml)",
     parse_string, STR(rules_dir)},
    {"POLICY_FILE", "--policy", "FILE", "", "optional user policy file (rules in the same schema, added to the built-ins)",
     parse_string, STR(policy_file)},
    {"RULES_CACHE_DIR", "--rules-cache", "DIR", "",
     "where compiled rule databases are kept between starts; empty = $XDG_CACHE_HOME/proxilion or ~/.cache/proxilion; off = none",
     parse_string, STR(rules_cache_dir)},
    {"LOG_LEVEL", "--log-level", "LEVEL", "info", "debug, info, warn, error or off",
     parse_enum, OFF(log_level), level_names, 0, 0, 0},
    {"LOG_FORMAT", "--log-format", "FORMAT", "json", "json (one object per line) or text",
     parse_enum, OFF(log_format), format_names, 0, 0, 0},
};
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

static void print_help(FILE *out, const char *prog)
{
    fprintf(out,
            "Usage: %s [OPTIONS]\n"
            "       %s --explain 'COMMAND'   print how a command is read and scored, then exit\n"
            "       %s --check-rules         load the rules, run their examples, then exit\n\n"
            "Proxilion gateway: scores AI agents' tool calls (POST /analyze) and enforces a mode.\n\n"
            "Options (each also read from the environment variable shown; flags win):\n",
            prog, prog, prog);
    for (size_t i = 0; i < NKEYS; i++) {
        const cfg_key *k = &keys[i];
        char left[64];
        snprintf(left, sizeof(left), "%s %s", k->flag, k->metavar);
        fprintf(out, "  %-28s %s\n  %-28s env %s", left, k->help, "", k->env);
        if (k->def != NULL && k->def[0] != '\0')
            fprintf(out, ", default %s", k->def);
        else if (k->offset == OFF(worker_threads) && k->parse == parse_int)
            fprintf(out, ", default %ld", sysconf(_SC_NPROCESSORS_ONLN));
        fputc('\n', out);
    }
    fprintf(out, "  %-28s show this help\n  %-28s show the version\n", "-h, --help", "--version");
}

static int apply(px_config *cfg, const cfg_key *k, const char *val, char *err, size_t errlen)
{
    return k->parse(cfg, k, val, err, errlen) == 0 ? 0 : -1;
}

void px_config_defaults(px_config *cfg)
{
    char err[256];
    memset(cfg, 0, sizeof(*cfg));
    for (size_t i = 0; i < NKEYS; i++)
        if (keys[i].def != NULL)
            (void)apply(cfg, &keys[i], keys[i].def, err, sizeof(err));
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    cfg->worker_threads = n < 1 ? 1 : n > 256 ? 256 : (int)n;
}

static const cfg_key *find_flag(const char *arg, const char **inline_val)
{
    *inline_val = NULL;
    for (size_t i = 0; i < NKEYS; i++) {
        size_t fl = strlen(keys[i].flag);
        if (strncmp(arg, keys[i].flag, fl) == 0) {
            if (arg[fl] == '\0')
                return &keys[i];
            if (arg[fl] == '=') {
                *inline_val = arg + fl + 1;
                return &keys[i];
            }
        }
    }
    return NULL;
}

int px_config_load(px_config *cfg, int argc, char **argv, FILE *out, char *err, size_t errlen)
{
    px_config_defaults(cfg);
    err[0] = '\0';
    for (size_t i = 0; i < NKEYS; i++) {
        const char *v = getenv(keys[i].env);
        if (v != NULL && apply(cfg, &keys[i], v, err, errlen) != 0)
            return PX_CONFIG_ERROR;
    }
    /* An explicit SESSION_TTL_SECONDS beats SESSION_TTL_HOURS regardless of
     * table order when both come from the environment. */
    const char *secs = getenv("SESSION_TTL_SECONDS");
    if (secs != NULL && getenv("SESSION_TTL_HOURS") != NULL)
        for (size_t i = 0; i < NKEYS; i++)
            if (strcmp(keys[i].env, "SESSION_TTL_SECONDS") == 0 && apply(cfg, &keys[i], secs, err, errlen) != 0)
                return PX_CONFIG_ERROR;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            print_help(out, argv[0]);
            return PX_CONFIG_EXIT;
        }
        if (strcmp(a, "--version") == 0) {
            fprintf(out, "proxilion-gateway %s (%s)\n", PX_VERSION, PX_GIT_REV);
            return PX_CONFIG_EXIT;
        }
        if (strcmp(a, "--check-rules") == 0) {
            cfg->check_rules = 1;
            continue;
        }
        if (strcmp(a, "--explain") == 0 || strncmp(a, "--explain=", 10) == 0) {
            if (a[9] == '=') {
                cfg->explain = a + 10;
            } else if (i + 1 < argc) {
                cfg->explain = argv[++i];
            } else {
                snprintf(err, errlen, "--explain needs a command");
                return PX_CONFIG_ERROR;
            }
            continue;
        }
        const char *val;
        const cfg_key *k = find_flag(a, &val);
        if (k == NULL) {
            snprintf(err, errlen, "unknown option '%s' (see --help)", a);
            return PX_CONFIG_ERROR;
        }
        if (val == NULL) {
            if (i + 1 >= argc) {
                snprintf(err, errlen, "option %s needs a value (%s)", k->flag, k->metavar);
                return PX_CONFIG_ERROR;
            }
            val = argv[++i];
        }
        if (apply(cfg, k, val, err, errlen) != 0)
            return PX_CONFIG_ERROR;
    }

    if (!(cfg->alert_threshold <= cfg->block_threshold && cfg->block_threshold <= cfg->terminate_threshold)) {
        snprintf(err, errlen,
                 "thresholds must satisfy ALERT_THRESHOLD <= BLOCK_THRESHOLD <= TERMINATE_THRESHOLD "
                 "(got %g, %g, %g)",
                 cfg->alert_threshold, cfg->block_threshold, cfg->terminate_threshold);
        return PX_CONFIG_ERROR;
    }
    if (cfg->session_store == PX_STORE_REDIS && strncmp(cfg->redis_url, "redis://", 8) != 0) {
        snprintf(err, errlen, "invalid REDIS_URL '%s': expected redis://[:password@]host:port[/db]", cfg->redis_url);
        return PX_CONFIG_ERROR;
    }
    return PX_CONFIG_OK;
}
