/* The k6 scripts (loadtest/{baseline,stress,spike,soak}.js) are checked under node with the k6 modules mocked
 * (tests/load/k6mock/): options, thresholds, setup abort, one iteration's
 * request and metrics, handleSummary.  k6 itself has no Debian package, so
 * this is the closest check available here; skipped without node. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"

static const char *find_node(void)
{
    static const char *paths[] = {"/usr/bin/node", "/usr/local/bin/node", "/usr/bin/nodejs"};
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
        if (access(paths[i], X_OK) == 0)
            return paths[i];
    return NULL;
}

Test(load_k6, scripts_translate_the_scenarios, .timeout = 60)
{
    const char *node = find_node();
    if (node == NULL)
        cr_skip_test("node not installed: the k6 script check needs it");
    const char *src = getenv("PX_SRC_DIR");
    cr_assert_not_null(src, "PX_SRC_DIR not set");
    char reg[1024], harness[1024];
    snprintf(reg, sizeof(reg), "%s/tests/load/k6mock/register.mjs", src);
    snprintf(harness, sizeof(harness), "%s/tests/load/k6mock/harness.mjs", src);
    char *dir = pl_tmpdir();
    char *argv[] = {(char *)node, (char *)"--import", reg, harness, (char *)src, NULL};
    pl_proc_result r;
    cr_assert_eq(pl_run_proc(argv, dir, 50, 0, &r), 0);
    char *out = pl_read_file(r.out_path);
    char *err = pl_read_file(r.err_path);
    cr_expect_eq(r.exit_code, 0, "stdout:\n%s\nstderr:\n%s", out ? out : "", err ? err : "");
    cr_expect(out != NULL && strstr(out, "k6 harness: all ok") != NULL);
    free(out);
    free(err);
    pl_rmtree(dir);
}
