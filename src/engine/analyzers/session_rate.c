/* Timing analyzers over a session's recent request times (this request
 * included; the store keeps the last PX_SESSION_MAX_TIMES).
 *
 * request_rate   too many requests in a window (sustained rate), or in a
 *                short one (burst).  Rate alone is weak evidence, so the
 *                default sustained score stays below Alert; a burst no
 *                person produces alerts.
 * ai_velocity    machine-like cadence: a sustained rate whose intervals
 *                barely vary (low coefficient of variation), the
 *                signature of a loop rather than a person reading output.
 *
 * Settings (rules/request_rate.yaml, rules/ai_velocity.yaml) are
 * documented in docs/sessions.md. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/fmt.h"
#include "engine/analyzers/builtin.h"

typedef struct rate_settings {
    double window, max_requests, score;
    double burst_window, burst_requests, burst_score;
} rate_settings;

typedef struct velocity_settings {
    double window, min_requests, max_mean_interval, max_jitter, score;
} velocity_settings;

static int check(int ok, const char *analyzer, const char *what, char *err, size_t errlen)
{
    if (!ok)
        snprintf(err, errlen, "%s: setting %s", analyzer, what);
    return ok ? 0 : -1;
}

int px_an_request_rate_init(const px_engine *e, int self, void **state, char *err, size_t errlen)
{
    rate_settings *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return -1;
    s->window = px_engine_setting_num(e, self, "window_seconds", 60);
    s->max_requests = px_engine_setting_num(e, self, "max_requests", 30);
    s->score = px_engine_setting_num(e, self, "score", 40);
    s->burst_window = px_engine_setting_num(e, self, "burst_window_seconds", 5);
    s->burst_requests = px_engine_setting_num(e, self, "burst_requests", 15);
    s->burst_score = px_engine_setting_num(e, self, "burst_score", 55);
    *state = s;
    if (check(s->window > 0 && s->burst_window > 0, "request_rate", "window_seconds and burst_window_seconds must be > 0",
              err, errlen) != 0 ||
        check(s->max_requests >= 2 && s->max_requests <= PX_SESSION_MAX_TIMES && s->burst_requests >= 2 &&
                  s->burst_requests <= PX_SESSION_MAX_TIMES,
              "request_rate", "max_requests and burst_requests must be 2..64 (the times a session keeps)", err,
              errlen) != 0)
        return -1;
    return 0;
}

int px_an_ai_velocity_init(const px_engine *e, int self, void **state, char *err, size_t errlen)
{
    velocity_settings *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return -1;
    s->window = px_engine_setting_num(e, self, "window_seconds", 120);
    s->min_requests = px_engine_setting_num(e, self, "min_requests", 10);
    s->max_mean_interval = px_engine_setting_num(e, self, "max_mean_interval_seconds", 5);
    s->max_jitter = px_engine_setting_num(e, self, "max_jitter", 0.15);
    s->score = px_engine_setting_num(e, self, "score", 45);
    *state = s;
    if (check(s->window > 0 && s->max_mean_interval > 0 && s->max_jitter >= 0, "ai_velocity",
              "window_seconds, max_mean_interval_seconds must be > 0 and max_jitter >= 0", err, errlen) != 0 ||
        check(s->min_requests >= 3 && s->min_requests <= PX_SESSION_MAX_TIMES, "ai_velocity",
              "min_requests must be 3..64 (the times a session keeps)", err, errlen) != 0)
        return -1;
    return 0;
}

void px_an_session_settings_fini(void *state)
{
    free(state);
}

/* Requests at or after now - window, this one included. */
static int count_since(const px_session_state *st, double now, double window)
{
    int n = 0;
    for (int i = st->ntimes - 1; i >= 0 && st->times[i] >= now - window; i--)
        n++;
    return n;
}

void px_an_request_rate_run_session(const px_engine *e, int self, const void *state, const px_session_state *st,
                                    px_analysis *an)
{
    (void)e;
    const rate_settings *s = state;
    if (st->ntimes == 0)
        return;
    double now = st->times[st->ntimes - 1];
    int burst = count_since(st, now, s->burst_window);
    if (burst >= s->burst_requests) {
        char *p = px_arena_alloc(an->arena, 128);
        if (p != NULL)
            px_fmt(p, 128, "Request burst: %d requests within %g s (threshold %g)", burst, s->burst_window,
                     s->burst_requests);
        px_analysis_add(an, self, -1, -1, -1, s->burst_score, 0, "request_rate.burst",
                        p != NULL ? p : "Request burst");
    }
    int sustained = count_since(st, now, s->window);
    if (sustained >= s->max_requests) {
        char *p = px_arena_alloc(an->arena, 128);
        if (p != NULL)
            px_fmt(p, 128, "High request rate: %d requests within %g s (threshold %g)", sustained, s->window,
                     s->max_requests);
        px_analysis_add(an, self, -1, -1, -1, s->score, 0, "request_rate.sustained",
                        p != NULL ? p : "High request rate");
    }
}

void px_an_ai_velocity_run_session(const px_engine *e, int self, const void *state, const px_session_state *st,
                                   px_analysis *an)
{
    (void)e;
    const velocity_settings *s = state;
    if (st->ntimes < 3)
        return;
    double now = st->times[st->ntimes - 1];
    int n = count_since(st, now, s->window);
    if (n < s->min_requests)
        return;
    /* Intervals between the last n requests. */
    int first = st->ntimes - n;
    double sum = 0, sum2 = 0;
    for (int i = first + 1; i < st->ntimes; i++) {
        double d = st->times[i] - st->times[i - 1];
        sum += d;
        sum2 += d * d;
    }
    int k = n - 1;
    double mean = sum / k;
    double var = sum2 / k - mean * mean;
    double cv = mean > 0 ? sqrt(var > 0 ? var : 0) / mean : 0;
    if (mean > s->max_mean_interval || cv > s->max_jitter)
        return;
    char *p = px_arena_alloc(an->arena, 160);
    if (p != NULL)
        px_fmt(p, 160, "Machine-like cadence: %d requests %.2f s apart with %.0f%% jitter (a person varies more)", n,
                 mean, cv * 100);
    px_analysis_add(an, self, -1, -1, -1, s->score, 0, "ai_velocity.cadence", p != NULL ? p : "Machine-like cadence");
}
