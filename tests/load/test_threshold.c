/* Threshold expressions in k6's syntax. */
#include <criterion/criterion.h>

#include "load/threshold.h"

static pl_threshold parse_ok(const char *s)
{
    pl_threshold t;
    char err[256];
    cr_assert_eq(pl_threshold_parse(s, &t, err, sizeof(err)), 0, "%s: %s", s, err);
    return t;
}

Test(threshold, percentiles_and_ops)
{
    pl_threshold t = parse_ok("p(95)<50");
    cr_expect_eq(t.agg, PL_AGG_PCT);
    cr_expect_float_eq(t.pct, 95, 1e-12);
    cr_expect_eq(t.op, PL_OP_LT);
    cr_expect_float_eq(t.value, 50, 1e-12);
    cr_expect(pl_threshold_test(&t, 49.9));
    cr_expect(!pl_threshold_test(&t, 50));
    cr_expect_str_eq(t.source, "p(95)<50");
    pl_threshold_free(&t);

    t = parse_ok("  p(99.9) <= 100.5 ");
    cr_expect_float_eq(t.pct, 99.9, 1e-12);
    cr_expect_eq(t.op, PL_OP_LE);
    cr_expect(pl_threshold_test(&t, 100.5));
    cr_expect(!pl_threshold_test(&t, 100.6));
    pl_threshold_free(&t);
}

Test(threshold, every_aggregation)
{
    struct {
        const char *src;
        pl_agg_fn   agg;
        pl_op       op;
        double      pass, fail;
    } cases[] = {
        {"avg<200", PL_AGG_AVG, PL_OP_LT, 199, 200},
        {"min>=1", PL_AGG_MIN, PL_OP_GE, 1, 0.5},
        {"max<=30000", PL_AGG_MAX, PL_OP_LE, 30000, 30001},
        {"med>0", PL_AGG_MED, PL_OP_GT, 0.1, 0},
        {"count>10", PL_AGG_COUNT, PL_OP_GT, 11, 10},
        {"rate<0.01", PL_AGG_RATE, PL_OP_LT, 0.009, 0.01},
        {"value==3", PL_AGG_VALUE, PL_OP_EQ, 3, 4},
        {"value===3", PL_AGG_VALUE, PL_OP_EQ, 3, 2},
        {"rate!=0", PL_AGG_RATE, PL_OP_NE, 1, 0},
        {"rate<1e-3", PL_AGG_RATE, PL_OP_LT, 0.0009, 0.001},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        pl_threshold t = parse_ok(cases[i].src);
        cr_expect_eq(t.agg, cases[i].agg, "%s", cases[i].src);
        cr_expect_eq(t.op, cases[i].op, "%s", cases[i].src);
        cr_expect(pl_threshold_test(&t, cases[i].pass), "%s should pass %g", cases[i].src, cases[i].pass);
        cr_expect(!pl_threshold_test(&t, cases[i].fail), "%s should fail %g", cases[i].src, cases[i].fail);
        pl_threshold_free(&t);
    }
}

Test(threshold, rejects_malformed)
{
    const char *bad[] = {"", "p95<50", "p(95<50", "p(101)<5", "p(95)", "p(95)<", "avg 50",
                         "avg<50ms", "mean<5", "rate<<1", "p(95)<50 and more", "countx>1"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        pl_threshold t;
        char err[256] = "";
        cr_expect_eq(pl_threshold_parse(bad[i], &t, err, sizeof(err)), -1, "'%s' accepted", bad[i]);
        cr_expect(err[0] != '\0', "no message for '%s'", bad[i]);
    }
}

Test(threshold, aggregation_fits_metric_type)
{
    pl_threshold t = parse_ok("p(95)<50");
    cr_expect(pl_threshold_valid_for(&t, PL_MT_TREND));
    cr_expect(!pl_threshold_valid_for(&t, PL_MT_RATE));
    pl_threshold_free(&t);
    t = parse_ok("rate<0.01");
    cr_expect(pl_threshold_valid_for(&t, PL_MT_RATE));
    cr_expect(pl_threshold_valid_for(&t, PL_MT_COUNTER));
    cr_expect(!pl_threshold_valid_for(&t, PL_MT_TREND));
    pl_threshold_free(&t);
    t = parse_ok("value<100");
    cr_expect(pl_threshold_valid_for(&t, PL_MT_GAUGE));
    cr_expect(!pl_threshold_valid_for(&t, PL_MT_COUNTER));
    char name[32];
    pl_threshold_agg_name(&t, name, sizeof(name));
    cr_expect_str_eq(name, "value");
    pl_threshold_free(&t);
    t = parse_ok("p(99.9)<1");
    pl_threshold_agg_name(&t, name, sizeof(name));
    cr_expect_str_eq(name, "p(99.9)");
    pl_threshold_free(&t);
}
