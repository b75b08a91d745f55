/* Stage arithmetic shared by the ramping executors.
 *
 * A stage list is a piecewise-linear function of time: it starts at `start`
 * and each stage moves linearly to its target over its duration (k6's
 * ramping-vus and ramping-arrival-rate semantics).  After the last stage the
 * value stays at the last target. */
#ifndef PL_LOAD_SCHEDULE_H
#define PL_LOAD_SCHEDULE_H

#include <stdint.h>

typedef struct pl_stage {
    uint64_t duration_ns;
    double   target;
} pl_stage;

uint64_t pl_stages_total(const pl_stage *st, int n);
/* Interpolated value at t (ns since the scenario started). */
double   pl_stages_value(double start, const pl_stage *st, int n, uint64_t t);
/* Number of VUs k6 runs at t: while ramping up a VU is added when the line
 * reaches its number, while ramping down one is removed when the line drops
 * below it (k6's execution steps), i.e. floor going up and ceil going down. */
int      pl_stages_vus(double start, const pl_stage *st, int n, uint64_t t);
/* Largest value reached anywhere in the schedule. */
double   pl_stages_peak(double start, const pl_stage *st, int n);
/* Integral of the value over [0, t], with t in ns and the value per second:
 * the number of iterations a ramping-arrival-rate schedule has started. */
double   pl_stages_integral(double start, const pl_stage *st, int n, uint64_t t);
/* Inverse of pl_stages_integral: earliest t with integral(t) >= count, or
 * UINT64_MAX when the schedule never gets there. */
uint64_t pl_stages_time_for(double start, const pl_stage *st, int n, double count);

#endif
