/* Request templates: ${__VU}, ${__ITER}, ${__ENV.NAME}, ${timestamp}. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "load/template.h"
#include "load/util.h"

static const char *env(void *ud, const char *name)
{
    (void)ud;
    if (strcmp(name, "ORG") == 0)
        return "acme";
    if (strcmp(name, "QUOTE") == 0)
        return "a\"b\\c";
    return NULL;
}

static char *render(const char *src, int json, uint64_t vu, uint64_t iter, uint64_t ts)
{
    char err[256];
    pl_tpl *t = pl_tpl_create(src, strlen(src), json, env, NULL, err, sizeof(err));
    cr_assert_not_null(t, "%s", err);
    px_buf b = PX_BUF_INIT;
    pl_tpl_vars v = {vu, iter, ts};
    pl_tpl_render(t, &v, &b);
    pl_tpl_destroy(t);
    char *s = strdup(b.data ? b.data : "");
    px_buf_free(&b);
    return s;
}

Test(template, substitutes_vu_iter_timestamp)
{
    char *s = render("user_${__VU}/it${__ITER}@${timestamp}", 0, 7, 42, 1700000000123ull);
    cr_expect_str_eq(s, "user_7/it42@1700000000123");
    free(s);
    s = render("${__VU}${__VU}", 0, 0, 0, 0);
    cr_expect_str_eq(s, "00");
    free(s);
}

Test(template, env_resolved_and_escaped_in_json)
{
    char *s = render("{\"org\":\"${__ENV.ORG}\",\"q\":\"${__ENV.QUOTE}\",\"none\":\"${__ENV.UNSET_XYZ}\"}", 1, 1, 0, 0);
    cr_expect_str_eq(s, "{\"org\":\"acme\",\"q\":\"a\\\"b\\\\c\",\"none\":\"\"}");
    free(s);
    /* Outside JSON the value goes in as is. */
    s = render("${__ENV.QUOTE}", 0, 1, 0, 0);
    cr_expect_str_eq(s, "a\"b\\c");
    free(s);
}

Test(template, literal_dollar_and_static_detection)
{
    char err[256];
    const char *src = "cost $5 and ${__ENV.ORG}";
    pl_tpl *t = pl_tpl_create(src, strlen(src), 0, env, NULL, err, sizeof(err));
    cr_assert_not_null(t);
    cr_expect(pl_tpl_is_static(t), "env-only templates render once");
    pl_tpl_destroy(t);
    src = "x${__ITER}";
    t = pl_tpl_create(src, strlen(src), 0, env, NULL, err, sizeof(err));
    cr_expect(!pl_tpl_is_static(t));
    pl_tpl_destroy(t);
    char *s = render("cost $5 and ${__ENV.ORG} $", 0, 1, 0, 0);
    cr_expect_str_eq(s, "cost $5 and acme $");
    free(s);
}

Test(template, rejects_unknown_and_unterminated)
{
    char err[256] = "";
    cr_expect_null(pl_tpl_create("${__USER}", 9, 0, env, NULL, err, sizeof(err)));
    cr_expect(strstr(err, "__USER") != NULL, "%s", err);
    err[0] = '\0';
    cr_expect_null(pl_tpl_create("abc ${__VU", 10, 0, env, NULL, err, sizeof(err)));
    cr_expect(strstr(err, "unterminated") != NULL, "%s", err);
}
