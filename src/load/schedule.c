#include "load/schedule.h"

#include <math.h>

uint64_t pl_stages_total(const pl_stage *st, int n)
{
    uint64_t t = 0;
    for (int i = 0; i < n; i++)
        t += st[i].duration_ns;
    return t;
}

double pl_stages_value(double start, const pl_stage *st, int n, uint64_t t)
{
    double from = start;
    for (int i = 0; i < n; i++) {
        if (t < st[i].duration_ns) {
            double f = (double)t / (double)st[i].duration_ns;
            return from + (st[i].target - from) * f;
        }
        t -= st[i].duration_ns;
        from = st[i].target;
    }
    return from;
}

int pl_stages_vus(double start, const pl_stage *st, int n, uint64_t t)
{
    double from = start;
    for (int i = 0; i < n; i++) {
        if (t < st[i].duration_ns) {
            double f = (double)t / (double)st[i].duration_ns;
            double x = from + (st[i].target - from) * f;
            double v = st[i].target >= from ? floor(x + 1e-9) : ceil(x - 1e-9);
            return v < 0 ? 0 : (int)v;
        }
        t -= st[i].duration_ns;
        from = st[i].target;
    }
    return from < 0 ? 0 : (int)floor(from + 1e-9);
}

double pl_stages_peak(double start, const pl_stage *st, int n)
{
    double m = start;
    for (int i = 0; i < n; i++)
        if (st[i].target > m)
            m = st[i].target;
    return m;
}

double pl_stages_integral(double start, const pl_stage *st, int n, uint64_t t)
{
    double acc = 0, from = start;
    for (int i = 0; i < n; i++) {
        double d = (double)st[i].duration_ns / 1e9;
        if (t < st[i].duration_ns) {
            double tau = (double)t / 1e9;
            return acc + from * tau + (st[i].target - from) * tau * tau / (2 * d);
        }
        acc += (from + st[i].target) / 2 * d;
        t -= st[i].duration_ns;
        from = st[i].target;
    }
    return acc + from * (double)t / 1e9;
}

uint64_t pl_stages_time_for(double start, const pl_stage *st, int n, double count)
{
    if (count <= 0)
        return 0;
    double acc = 0, from = start, base = 0;
    for (int i = 0; i < n; i++) {
        double d = (double)st[i].duration_ns / 1e9;
        double area = (from + st[i].target) / 2 * d;
        if (acc + area >= count && area > 0) {
            /* Solve acc + from*tau + a*tau^2 = count for tau in [0, d]. */
            double a = (st[i].target - from) / (2 * d);
            double c = acc - count;
            double tau;
            if (fabs(a) < 1e-12) {
                tau = -c / from;
            } else {
                double disc = from * from - 4 * a * c;
                if (disc < 0)
                    disc = 0;
                tau = (-from + sqrt(disc)) / (2 * a);
            }
            if (tau < 0)
                tau = 0;
            if (tau > d)
                tau = d;
            return (uint64_t)llround((base + tau) * 1e9);
        }
        acc += area;
        base += d;
        from = st[i].target;
    }
    if (from <= 0)
        return UINT64_MAX;
    return (uint64_t)llround((base + (count - acc) / from) * 1e9);
}
