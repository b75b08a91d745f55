/* Smoke test of the test support itself against the real gateway. */
#include <criterion/criterion.h>
#include <signal.h>

#include "support/support.h"

Test(smoke, gateway_starts_answers_and_stops_cleanly)
{
    px_t_gateway g;
    const char *env[] = {"WORKER_THREADS=1", NULL};
    cr_assert_eq(px_t_gateway_start(&g, env, 10000), 0, "gateway did not start");
    px_t_resp r;
    cr_assert_eq(px_t_http(g.port, "GET", "/health", NULL, NULL, 0, &r), 0);
    cr_expect_eq(r.status, 200);
    cJSON *j = px_t_json(&r);
    cr_assert_not_null(j);
    cr_expect_str_eq(px_t_json_str(j, "status"), "healthy");
    cJSON_Delete(j);
    px_t_resp_free(&r);
    cr_expect_eq(px_t_gateway_stop(&g, SIGTERM, 5000), 0, "SIGTERM must exit 0");
}
