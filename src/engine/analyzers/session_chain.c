/* session_progression: kill-chain progression over a session.
 *
 * Each MITRE tactic belongs to a kill-chain phase (px_tactic_phase):
 * 1 reconnaissance/discovery, 2 credential access/privilege escalation,
 * 3 lateral movement/collection/persistence, 4 exfiltration/impact/C2.
 * The store remembers when each tactic was first seen in the session.
 * When a call reaches phase p and earlier requests of the session (within
 * the window) reached lower phases, the chain is as long as the number of
 * distinct phases involved, and the call escalates:
 *
 *   2 phases                                     score_two_phases  (60)
 *   3 phases                                     score_three_phases (80)
 *   all 4, or 3 ending in exfiltration/impact    score_full_chain  (95, critical)
 *
 * So recon, then credential access, then an exfiltration call that alone
 * scores ~80 ends at >= 90 (Terminate); recon followed by ordinary work
 * (phase 0) never escalates.  Only phases first seen in *earlier* requests
 * count (the store says which tactics this request saw first): one call
 * doing everything is the rules' business. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/fmt.h"
#include "engine/analyzers/builtin.h"

#define PHASES 4

typedef struct chain_settings {
    double window, two, three, full;
} chain_settings;

int px_an_session_progression_init(const px_engine *e, int self, void **state, char *err, size_t errlen)
{
    chain_settings *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return -1;
    s->window = px_engine_setting_num(e, self, "window_seconds", 3600);
    s->two = px_engine_setting_num(e, self, "score_two_phases", 60);
    s->three = px_engine_setting_num(e, self, "score_three_phases", 80);
    s->full = px_engine_setting_num(e, self, "score_full_chain", 95);
    *state = s;
    if (!(s->window > 0)) {
        snprintf(err, errlen, "session_progression: setting window_seconds must be > 0");
        return -1;
    }
    return 0;
}

/* "credential-access" -> "credential access", in the arena. */
static const char *label(px_arena *a, int tactic)
{
    const char *n = px_tactic_name((px_tactic)tactic);
    char *c = px_arena_strdup(a, n != NULL ? n : "?");
    if (c == NULL)
        return n;
    for (char *p = c; *p != '\0'; p++)
        if (*p == '-')
            *p = ' ';
    return c;
}

/* "within 3 minutes": rounded up, so the claim always holds. */
static void span(char *out, size_t len, double secs)
{
    double v = secs < 90 ? ceil(secs) : secs < 90 * 60 ? ceil(secs / 60) : ceil(secs / 3600);
    const char *unit = secs < 90 ? "second" : secs < 90 * 60 ? "minute" : "hour";
    if (v < 1)
        v = 1;
    px_fmt(out, len, "%.0f %s%s", v, unit, v == 1 ? "" : "s");
}

void px_an_session_progression_run_session(const px_engine *e, int self, const void *state,
                                           const px_session_state *st, px_analysis *an)
{
    (void)e;
    const chain_settings *s = state;
    if (st->ntimes == 0)
        return;
    double now = st->times[st->ntimes - 1];
    /* The phase this call reaches, and the tactic that names it. */
    int p = 0, p_tactic = -1;
    for (int t = 0; t < PX_TACTIC_COUNT; t++) {
        int ph = px_tactic_phase((px_tactic)t);
        if ((an->tactics & (1u << t)) && ph > p) {
            p = ph;
            p_tactic = t;
        }
    }
    if (p < 2)
        return;
    /* For each lower phase, the earliest tactic first seen in an earlier
     * request within the window. */
    int first_tactic[PHASES + 1];
    double first_time[PHASES + 1];
    for (int ph = 0; ph <= PHASES; ph++) {
        first_tactic[ph] = -1;
        first_time[ph] = 0;
    }
    for (int t = 0; t < PX_TACTIC_COUNT; t++) {
        int ph = px_tactic_phase((px_tactic)t);
        double ft = st->tactic_first_seen[t];
        if (ph < 1 || ph >= p || ft <= 0 || (st->new_tactics & (1u << t)) || now - ft > s->window)
            continue;
        if (first_tactic[ph] < 0 || ft < first_time[ph]) {
            first_tactic[ph] = t;
            first_time[ph] = ft;
        }
    }
    int earlier = 0;
    double start = now;   /* another instance's clock may run ahead: never after now */
    for (int ph = 1; ph < p; ph++)
        if (first_tactic[ph] >= 0) {
            earlier++;
            start = fmin(start, first_time[ph]);
        }
    if (earlier == 0)
        return;
    int length = earlier + 1;
    int full = length == PHASES || (length == 3 && p == PHASES);
    double score = full ? s->full : length == 3 ? s->three : s->two;
    const char *id = full ? "session_progression.full-chain"
                     : length == 3 ? "session_progression.three-phases" : "session_progression.two-phases";

    char text[256], when[32];
    size_t o = px_fmt(text, sizeof(text), "Kill chain: ");
    for (int ph = 1; ph < p && o < sizeof(text); ph++)
        if (first_tactic[ph] >= 0)
            o += px_fmt(text + o, sizeof(text) - o, "%s -> ", label(an->arena, first_tactic[ph]));
    span(when, sizeof(when), now - start);
    if (o < sizeof(text))
        px_fmt(text + o, sizeof(text) - o, "%s within %s", label(an->arena, p_tactic), when);
    const char *pattern = px_arena_strdup(an->arena, text);
    px_analysis_add(an, self, -1, -1, -1, score, full, id, pattern != NULL ? pattern : "Kill chain progression");
}
