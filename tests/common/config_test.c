#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/config.h"

static int load(px_config *c, int argc, const char **argv, char *err)
{
    FILE *out = fopen("/dev/null", "w");
    int rc = px_config_load(c, argc, (char **)argv, out, err, 256);
    fclose(out);
    return rc;
}

static const char *const keys[] = {"MODE", "LISTEN_ADDR", "SESSION_STORE", "REDIS_URL", "SESSION_TTL_SECONDS",
                                   "SESSION_TTL_HOURS", "ALERT_THRESHOLD", "BLOCK_THRESHOLD", "TERMINATE_THRESHOLD",
                                   "WORKER_THREADS", "MAX_BODY_BYTES", "LOG_LEVEL", "LOG_FORMAT", NULL};

static void clean_env(void)
{
    for (int i = 0; keys[i] != NULL; i++)
        unsetenv(keys[i]);
}

TestSuite(config, .init = clean_env);

Test(config, defaults_match_the_documented_values)
{
    px_config c;
    char err[256];
    const char *argv[] = {"gw"};
    cr_assert_eq(load(&c, 1, argv, err), PX_CONFIG_OK, "%s", err);
    cr_expect_eq(c.mode, PX_MODE_BLOCK);
    cr_expect_str_eq(c.listen_host, "0.0.0.0");
    cr_expect_eq(c.listen_port, 8787);
    cr_expect_eq(c.session_store, PX_STORE_MEMORY);
    cr_expect_eq(c.alert_threshold, 50);
    cr_expect_eq(c.block_threshold, 70);
    cr_expect_eq(c.terminate_threshold, 90);
    cr_expect_eq(c.max_body_bytes, 1048576u);
    cr_expect_gt(c.worker_threads, 0);
    cr_expect_eq(c.log_format, PX_LOG_JSON);
}

Test(config, environment_then_flags_win)
{
    px_config c;
    char err[256];
    setenv("MODE", "monitor", 1);
    setenv("WORKER_THREADS", "3", 1);
    setenv("LISTEN_ADDR", "127.0.0.1:9000", 1);
    const char *argv[] = {"gw", "--mode", "terminate", "--max-body=512k"};
    cr_assert_eq(load(&c, 4, argv, err), PX_CONFIG_OK, "%s", err);
    cr_expect_eq(c.mode, PX_MODE_TERMINATE);
    cr_expect_eq(c.worker_threads, 3);
    cr_expect_eq(c.listen_port, 9000);
    cr_expect_str_eq(c.listen_host, "127.0.0.1");
    cr_expect_eq(c.max_body_bytes, 512u * 1024);
}

Test(config, ttl_hours_is_accepted_and_seconds_wins)
{
    px_config c;
    char err[256];
    const char *argv[] = {"gw"};
    setenv("SESSION_TTL_HOURS", "2", 1);
    cr_assert_eq(load(&c, 1, argv, err), PX_CONFIG_OK, "%s", err);
    cr_expect_eq(c.session_ttl_seconds, 7200);
    setenv("SESSION_TTL_SECONDS", "30", 1);
    cr_assert_eq(load(&c, 1, argv, err), PX_CONFIG_OK, "%s", err);
    cr_expect_eq(c.session_ttl_seconds, 30);
}

Test(config, ipv6_listen_address)
{
    px_config c;
    char err[256];
    const char *argv[] = {"gw", "--listen", "[::1]:8080"};
    cr_assert_eq(load(&c, 3, argv, err), PX_CONFIG_OK, "%s", err);
    cr_expect_str_eq(c.listen_host, "::1");
    cr_expect_eq(c.listen_port, 8080);
}

/* Each invalid value is refused with a message naming the key. */
Test(config, invalid_values_are_errors_that_name_the_key)
{
    static const struct {
        const char *env, *val, *expect;
    } bad[] = {
        {"MODE", "enforce", "MODE"},
        {"LISTEN_ADDR", "localhost", "LISTEN_ADDR"},
        {"LISTEN_ADDR", "1.2.3.4:70000", "LISTEN_ADDR"},
        {"WORKER_THREADS", "0", "WORKER_THREADS"},
        {"WORKER_THREADS", "two", "WORKER_THREADS"},
        {"ALERT_THRESHOLD", "150", "ALERT_THRESHOLD"},
        {"MAX_BODY_BYTES", "-5", "MAX_BODY_BYTES"},
        {"MAX_BODY_BYTES", "1Q", "MAX_BODY_BYTES"},
        {"SESSION_TTL_SECONDS", "0", "SESSION_TTL_SECONDS"},
        {"LOG_LEVEL", "verbose", "LOG_LEVEL"},
        {"LOG_FORMAT", "xml", "LOG_FORMAT"},
        {"SESSION_STORE", "postgres", "SESSION_STORE"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        clean_env();
        setenv(bad[i].env, bad[i].val, 1);
        px_config c;
        char err[256] = "";
        const char *argv[] = {"gw"};
        cr_expect_eq(load(&c, 1, argv, err), PX_CONFIG_ERROR, "%s=%s accepted", bad[i].env, bad[i].val);
        cr_expect(strstr(err, bad[i].expect) != NULL, "message '%s' does not name %s", err, bad[i].expect);
    }
}

Test(config, thresholds_must_be_ordered)
{
    px_config c;
    char err[256];
    setenv("ALERT_THRESHOLD", "80", 1);
    setenv("BLOCK_THRESHOLD", "70", 1);
    const char *argv[] = {"gw"};
    cr_expect_eq(load(&c, 1, argv, err), PX_CONFIG_ERROR);
    cr_expect(strstr(err, "ALERT_THRESHOLD <= BLOCK_THRESHOLD") != NULL, "%s", err);
    setenv("ALERT_THRESHOLD", "70", 1);
    cr_expect_eq(load(&c, 1, argv, err), PX_CONFIG_OK, "equal thresholds are allowed: %s", err);
}

Test(config, unknown_flag_and_missing_value)
{
    px_config c;
    char err[256];
    const char *a1[] = {"gw", "--frobnicate"};
    cr_expect_eq(load(&c, 2, a1, err), PX_CONFIG_ERROR);
    cr_expect(strstr(err, "--frobnicate") != NULL);
    const char *a2[] = {"gw", "--mode"};
    cr_expect_eq(load(&c, 2, a2, err), PX_CONFIG_ERROR);
    cr_expect(strstr(err, "--mode") != NULL);
}

Test(config, help_lists_every_environment_variable)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    px_config c;
    char err[256];
    const char *argv[] = {"gw", "--help"};
    cr_assert_eq(px_config_load(&c, 2, (char **)argv, out, err, sizeof(err)), PX_CONFIG_EXIT);
    fclose(out);
    for (int i = 0; keys[i] != NULL; i++)
        cr_expect(strstr(text, keys[i]) != NULL, "--help does not mention %s", keys[i]);
    free(text);
}
