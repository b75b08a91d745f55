/* Stage interpolation for ramping-vus and ramping-arrival-rate. */
#include <criterion/criterion.h>
#include <math.h>

#include "load/schedule.h"
#include "load/util.h"

#define S(x) ((uint64_t)((x) * 1e9))

/* The spike scenario's shape: 1m@10, 10s->200, 2m@200, 10s->10, ... */
static const pl_stage spike[] = {
    {S(60), 10}, {S(10), 200}, {S(120), 200}, {S(10), 10}, {S(120), 10}, {S(10), 200}, {S(120), 200}, {S(10), 0},
};

Test(schedule, total_and_peak)
{
    cr_expect_eq(pl_stages_total(spike, 8), S(460));
    cr_expect_float_eq(pl_stages_peak(10, spike, 8), 200, 1e-9);
}

Test(schedule, linear_interpolation)
{
    cr_expect_float_eq(pl_stages_value(10, spike, 8, S(30)), 10, 1e-9);
    cr_expect_float_eq(pl_stages_value(10, spike, 8, S(65)), 105, 1e-9);   /* halfway up */
    cr_expect_float_eq(pl_stages_value(10, spike, 8, S(70)), 200, 1e-9);   /* top reached */
    cr_expect_float_eq(pl_stages_value(10, spike, 8, S(195)), 105, 1e-9);  /* halfway down */
    cr_expect_float_eq(pl_stages_value(10, spike, 8, S(455)), 100, 1e-9);  /* last ramp to 0 */
    cr_expect_float_eq(pl_stages_value(10, spike, 8, S(999)), 0, 1e-9);    /* after the end */
    /* Ramps from startVUs, not from zero. */
    pl_stage up[] = {{S(10), 20}};
    cr_expect_float_eq(pl_stages_value(10, up, 1, S(5)), 15, 1e-9);
}

Test(schedule, vus_floor_up_ceil_down)
{
    pl_stage ramp[] = {{S(10), 10}, {S(10), 0}};
    cr_expect_eq(pl_stages_vus(0, ramp, 2, 0), 0);
    cr_expect_eq(pl_stages_vus(0, ramp, 2, S(0.99)), 0);
    cr_expect_eq(pl_stages_vus(0, ramp, 2, S(1.0)), 1);
    cr_expect_eq(pl_stages_vus(0, ramp, 2, S(5.5)), 5);
    cr_expect_eq(pl_stages_vus(0, ramp, 2, S(10)), 10);
    /* Going down, a VU stays until the line falls below its number. */
    cr_expect_eq(pl_stages_vus(0, ramp, 2, S(10.5)), 10);
    cr_expect_eq(pl_stages_vus(0, ramp, 2, S(11.0)), 9);
    cr_expect_eq(pl_stages_vus(0, ramp, 2, S(19.5)), 1);
    cr_expect_eq(pl_stages_vus(0, ramp, 2, S(20)), 0);
}

Test(schedule, integral_and_inverse)
{
    /* 0 -> 100/s over 10 s, then 100/s for 10 s: 500 + 1000 iterations. */
    pl_stage r[] = {{S(10), 100}, {S(10), 100}};
    cr_expect_float_eq(pl_stages_integral(0, r, 2, S(10)), 500, 1e-6);
    cr_expect_float_eq(pl_stages_integral(0, r, 2, S(20)), 1500, 1e-6);
    cr_expect_float_eq(pl_stages_integral(0, r, 2, S(5)), 125, 1e-6);
    for (double c = 1; c < 1500; c += 37) {
        uint64_t t = pl_stages_time_for(0, r, 2, c);
        cr_expect(fabs(pl_stages_integral(0, r, 2, t) - c) < 1e-3, "count %g at %llu", c, (unsigned long long)t);
    }
    /* A constant rate: iteration n at n / rate. */
    pl_stage k[] = {{S(10), 50}};
    cr_expect_eq(pl_stages_time_for(50, k, 1, 0), 0);
    cr_expect_eq(pl_stages_time_for(50, k, 1, 25), S(0.5));
    /* A schedule that ends at zero never reaches more than its area. */
    pl_stage down[] = {{S(2), 0}};
    cr_expect_eq(pl_stages_time_for(10, down, 1, 11), UINT64_MAX);
}

Test(schedule, durations)
{
    uint64_t ns;
    cr_assert_eq(pl_duration_parse("5m", &ns), 0);
    cr_expect_eq(ns, S(300));
    cr_assert_eq(pl_duration_parse("1m30s", &ns), 0);
    cr_expect_eq(ns, S(90));
    cr_assert_eq(pl_duration_parse("500ms", &ns), 0);
    cr_expect_eq(ns, S(0.5));
    cr_assert_eq(pl_duration_parse("1h2m3.5s", &ns), 0);
    cr_expect_eq(ns, S(3723.5));
    cr_assert_eq(pl_duration_parse("10", &ns), 0);
    cr_expect_eq(ns, S(10));
    cr_expect_eq(pl_duration_parse("10x", &ns), -1);
    cr_expect_eq(pl_duration_parse("", &ns), -1);
    cr_expect_eq(pl_duration_parse("-5s", &ns), -1);
    cr_expect_eq(pl_duration_parse("m", &ns), -1);
}
