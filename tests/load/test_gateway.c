/* The short CI baseline against the real gateway: start proxilion-gateway on
 * a loopback port (tests/support: logs go to a file), run
 * `proxilion-load run -d 10s baseline` and require a pass. */
#include <cJSON.h>
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "support/support.h"

Test(load_gateway, short_baseline_passes, .timeout = 90)
{
    const char *bin = pl_load_bin();
    cr_assert_not_null(bin, "PX_LOAD_BIN not set");
    px_t_gateway g;
    const char *env[] = {"WORKER_THREADS=1", NULL};
    cr_assert_eq(px_t_gateway_start(&g, env, 15000), 0, "gateway did not start");
    int port = g.port;
    char *dir = pl_tmpdir();
    char target[96], summary[256];
    snprintf(target, sizeof(target), "TARGET_URL=http://127.0.0.1:%d", port);
    snprintf(summary, sizeof(summary), "%s/summary.json", dir);
    char *argv[] = {(char *)bin, (char *)"run", (char *)"-q", (char *)"--no-color", (char *)"-d", (char *)"10s",
                    (char *)"baseline", (char *)"-e", target, (char *)"--summary-export", summary, NULL};
    pl_proc_result res;
    pl_run_proc(argv, dir, 60, 0, &res);
    cr_expect_eq(px_t_gateway_stop(&g, SIGTERM, 10000), 0);
    char *out = pl_read_file(res.out_path);
    cr_expect_eq(res.exit_code, 0, "baseline failed against the gateway:\n%s", out ? out : "");
    char *js = pl_read_file(summary);
    cr_assert_not_null(js, "no summary export");
    cJSON *root = cJSON_Parse(js);
    cJSON *m = cJSON_GetObjectItem(root, "metrics");
    cJSON *reqs = cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(m, "http_reqs"), "values"), "count");
    cJSON *p95 = cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(m, "http_req_duration"), "values"), "p(95)");
    cr_expect(cJSON_IsNumber(reqs) && reqs->valuedouble > 0);
    cr_expect(cJSON_IsNumber(p95));
    cJSON_Delete(root);
    free(js);
    free(out);
    pl_rmtree(dir);
}
