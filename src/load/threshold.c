#include "load/threshold.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The grammar is three tokens; a regex or parser library would be heavier than
 * the dozen lines of scanning below. */
static const char *skip_ws(const char *p)
{
    while (isspace((unsigned char)*p))
        p++;
    return p;
}

int pl_threshold_parse(const char *src, pl_threshold *t, char *err, size_t errlen)
{
    memset(t, 0, sizeof(*t));
    const char *p = skip_ws(src);
    static const struct {
        const char *name;
        pl_agg_fn   agg;
    } aggs[] = {
        {"avg", PL_AGG_AVG}, {"min", PL_AGG_MIN}, {"max", PL_AGG_MAX}, {"med", PL_AGG_MED},
        {"count", PL_AGG_COUNT}, {"rate", PL_AGG_RATE}, {"value", PL_AGG_VALUE},
    };
    int found = 0;
    if (strncmp(p, "p(", 2) == 0) {
        char *end;
        double pct = strtod(p + 2, &end);
        if (end == p + 2 || *end != ')' || !(pct >= 0 && pct <= 100)) {
            snprintf(err, errlen, "threshold '%s': bad percentile (want p(N) with 0<=N<=100)", src);
            return -1;
        }
        t->agg = PL_AGG_PCT;
        t->pct = pct;
        p = end + 1;
        found = 1;
    } else {
        for (size_t i = 0; i < sizeof(aggs) / sizeof(aggs[0]); i++) {
            size_t l = strlen(aggs[i].name);
            if (strncmp(p, aggs[i].name, l) == 0 && !isalnum((unsigned char)p[l])) {
                t->agg = aggs[i].agg;
                p += l;
                found = 1;
                break;
            }
        }
    }
    if (!found) {
        snprintf(err, errlen,
                 "threshold '%s': unknown aggregation (want avg, min, max, med, p(N), count, rate or value)",
                 src);
        return -1;
    }
    p = skip_ws(p);
    if (strncmp(p, "===", 3) == 0) {
        t->op = PL_OP_EQ;
        p += 3;
    } else if (strncmp(p, "==", 2) == 0) {
        t->op = PL_OP_EQ;
        p += 2;
    } else if (strncmp(p, "!=", 2) == 0) {
        t->op = PL_OP_NE;
        p += 2;
    } else if (strncmp(p, "<=", 2) == 0) {
        t->op = PL_OP_LE;
        p += 2;
    } else if (strncmp(p, ">=", 2) == 0) {
        t->op = PL_OP_GE;
        p += 2;
    } else if (*p == '<') {
        t->op = PL_OP_LT;
        p++;
    } else if (*p == '>') {
        t->op = PL_OP_GT;
        p++;
    } else {
        snprintf(err, errlen, "threshold '%s': missing operator (<, <=, >, >=, ==, !=)", src);
        return -1;
    }
    p = skip_ws(p);
    char *end;
    t->value = strtod(p, &end);
    if (end == p || !isfinite(t->value)) {
        snprintf(err, errlen, "threshold '%s': missing number after operator", src);
        return -1;
    }
    if (*skip_ws(end) != '\0') {
        snprintf(err, errlen, "threshold '%s': unexpected text after the number", src);
        return -1;
    }
    t->source = strdup(src);
    if (t->source == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

void pl_threshold_free(pl_threshold *t)
{
    free(t->source);
    t->source = NULL;
}

int pl_threshold_test(const pl_threshold *t, double v)
{
    switch (t->op) {
    case PL_OP_LT: return v < t->value;
    case PL_OP_LE: return v <= t->value;
    case PL_OP_GT: return v > t->value;
    case PL_OP_GE: return v >= t->value;
    case PL_OP_EQ: return v == t->value;
    case PL_OP_NE: return v != t->value;
    }
    return 0;
}

int pl_threshold_valid_for(const pl_threshold *t, pl_metric_type type)
{
    switch (type) {
    case PL_MT_TREND:
        return t->agg == PL_AGG_AVG || t->agg == PL_AGG_MIN || t->agg == PL_AGG_MAX ||
               t->agg == PL_AGG_MED || t->agg == PL_AGG_PCT;
    case PL_MT_COUNTER:
        return t->agg == PL_AGG_COUNT || t->agg == PL_AGG_RATE;
    case PL_MT_RATE:
        return t->agg == PL_AGG_RATE;
    case PL_MT_GAUGE:
        return t->agg == PL_AGG_VALUE;
    }
    return 0;
}

void pl_threshold_agg_name(const pl_threshold *t, char *out, size_t n)
{
    static const char *names[] = {"avg", "min", "max", "med", "p", "count", "rate", "value"};
    if (t->agg == PL_AGG_PCT)
        snprintf(out, n, "p(%g)", t->pct);
    else
        snprintf(out, n, "%s", names[t->agg]);
}
