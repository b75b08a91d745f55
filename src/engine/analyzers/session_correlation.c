/* Correlation beyond one session, from counts the store keeps per user and
 * per org (see px_session_state):
 *
 * multi_target_orchestration  many distinct targets (hosts, IPs) touched
 *     within the window by this session, by this user (any session), or by
 *     anyone in the org: one agent fanning out over a network.  It fires
 *     only on a call that touches a target, so the work around it is not
 *     scored.  A developer touching two or three hosts stays far below the
 *     first tier.
 * multi_user_correlation  the same MITRE technique used by several users
 *     of one org within the window: a campaign run through several
 *     accounts.  Only techniques of rules scoring at least min_rule_score
 *     in this call count, so everyday techniques (listing files) do not.
 *
 * Thresholds come in tiers: `user_targets: [8, 16]` with
 * `user_scores: [60, 75]` scores 60 from 8 targets and 75 from 16.  The
 * windows are also the store's: the gateway passes them to the store's
 * workers (px_an_session_windows), so counts and settings agree. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/fmt.h"
#include "engine/analyzers/builtin.h"

#define MAX_TIERS 4

typedef struct tiers {
    double at[MAX_TIERS];
    double score[MAX_TIERS];
    int    n;
} tiers;

typedef struct targets_settings {
    double window;
    tiers  session, user, org;
} targets_settings;

typedef struct users_settings {
    double window, min_rule_score;
    tiers  users;
} users_settings;

static int read_list(const px_engine *e, int self, const char *key, const double *def, int ndef, double *out,
                     int *n, char *err, size_t errlen)
{
    const px_strlist *l = px_engine_setting(e, self, key);
    if (l == NULL) {
        memcpy(out, def, (size_t)ndef * sizeof(*def));
        *n = ndef;
        return 0;
    }
    if (l->n < 1 || l->n > MAX_TIERS) {
        snprintf(err, errlen, "%s: setting %s needs 1..%d values", px_engine_analyzer_name(e, self), key, MAX_TIERS);
        return -1;
    }
    for (int i = 0; i < l->n; i++) {
        char *end;
        out[i] = strtod(l->v[i], &end);
        if (end == l->v[i] || *end != '\0' || (i > 0 && out[i] < out[i - 1])) {
            snprintf(err, errlen, "%s: setting %s must be ascending numbers", px_engine_analyzer_name(e, self), key);
            return -1;
        }
    }
    *n = l->n;
    return 0;
}

static int read_tiers(const px_engine *e, int self, const char *at_key, const char *score_key, const double *def_at,
                      const double *def_score, int ndef, tiers *t, char *err, size_t errlen)
{
    int na, ns;
    if (read_list(e, self, at_key, def_at, ndef, t->at, &na, err, errlen) != 0 ||
        read_list(e, self, score_key, def_score, ndef, t->score, &ns, err, errlen) != 0)
        return -1;
    if (na != ns) {
        snprintf(err, errlen, "%s: settings %s and %s need as many values", px_engine_analyzer_name(e, self), at_key,
                 score_key);
        return -1;
    }
    t->n = na;
    return 0;
}

/* Index of the highest tier reached, or -1. */
static int tier_of(const tiers *t, double v)
{
    int k = -1;
    for (int i = 0; i < t->n; i++)
        if (v >= t->at[i])
            k = i;
    return k;
}

int px_an_multi_target_init(const px_engine *e, int self, void **state, char *err, size_t errlen)
{
    targets_settings *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return -1;
    *state = s;
    s->window = px_engine_setting_num(e, self, "window_seconds", 600);
    static const double sess_at[] = {10, 20}, sess_sc[] = {55, 70};
    static const double user_at[] = {8, 16}, user_sc[] = {60, 75};
    static const double org_at[] = {20, 50}, org_sc[] = {50, 70};
    if (!(s->window > 0)) {
        snprintf(err, errlen, "multi_target_orchestration: setting window_seconds must be > 0");
        return -1;
    }
    return read_tiers(e, self, "session_targets", "session_scores", sess_at, sess_sc, 2, &s->session, err, errlen) ||
                   read_tiers(e, self, "user_targets", "user_scores", user_at, user_sc, 2, &s->user, err, errlen) ||
                   read_tiers(e, self, "org_targets", "org_scores", org_at, org_sc, 2, &s->org, err, errlen)
               ? -1
               : 0;
}

int px_an_multi_user_init(const px_engine *e, int self, void **state, char *err, size_t errlen)
{
    users_settings *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return -1;
    *state = s;
    s->window = px_engine_setting_num(e, self, "window_seconds", 900);
    s->min_rule_score = px_engine_setting_num(e, self, "min_rule_score", 50);
    static const double at[] = {3, 5}, sc[] = {60, 75};
    if (!(s->window > 0)) {
        snprintf(err, errlen, "multi_user_correlation: setting window_seconds must be > 0");
        return -1;
    }
    return read_tiers(e, self, "min_users", "scores", at, sc, 2, &s->users, err, errlen);
}

static void span(char *out, size_t len, double secs)
{
    double v = secs < 120 ? secs : secs < 7200 ? secs / 60 : secs / 3600;
    const char *unit = secs < 120 ? "second" : secs < 7200 ? "minute" : "hour";
    px_fmt(out, len, "%.0f %s%s", v, unit, v == 1 ? "" : "s");
}

static void add(px_analysis *an, int self, double score, const char *id, const char *text)
{
    const char *p = px_arena_strdup(an->arena, text);
    px_analysis_add(an, self, -1, -1, -1, score, 0, id, p != NULL ? p : id);
}

void px_an_multi_target_run_session(const px_engine *e, int self, const void *state, const px_session_state *st,
                                    px_analysis *an)
{
    (void)e;
    const targets_settings *s = state;
    if (an->ntargets == 0)
        return;
    char text[200], when[32];
    span(when, sizeof(when), s->window);
    int k = tier_of(&s->session, st->distinct_targets);
    if (k >= 0) {
        px_fmt(text, sizeof(text), "Multi-target orchestration: %d distinct targets touched in this session",
                 st->distinct_targets);
        add(an, self, s->session.score[k], "multi_target.session", text);
    }
    if ((k = tier_of(&s->user, st->user_distinct_targets)) >= 0) {
        px_fmt(text, sizeof(text), "Multi-target orchestration: %d distinct targets touched by this user within %s",
                 st->user_distinct_targets, when);
        add(an, self, s->user.score[k], "multi_target.user", text);
    }
    if ((k = tier_of(&s->org, st->org_distinct_targets)) >= 0) {
        px_fmt(text, sizeof(text), "Multi-target orchestration: %d distinct targets touched in org %.64s within %s",
                 st->org_distinct_targets, st->org[0] != '\0' ? st->org : "(this org)", when);
        add(an, self, s->org.score[k], "multi_target.org", text);
    }
}

void px_an_multi_user_run_session(const px_engine *e, int self, const void *state, const px_session_state *st,
                                  px_analysis *an)
{
    const users_settings *s = state;
    const px_ruleset *rs = px_engine_ruleset(e);
    int best = -1, users = 0;
    for (int i = 0; i < st->ntechniques && i < an->ntechniques; i++) {
        if (st->technique_users[i] <= users)
            continue;
        /* Does a rule of this call with this technique score enough? */
        int strong = 0;
        for (int f = 0; f < an->nfindings && !strong; f++) {
            const px_finding *fd = &an->findings[f];
            strong = fd->rule >= 0 && fd->score >= s->min_rule_score && rs->rules[fd->rule].technique != NULL &&
                     strcmp(rs->rules[fd->rule].technique, an->techniques[i]) == 0;
        }
        if (strong) {
            best = i;
            users = st->technique_users[i];
        }
    }
    int k = best >= 0 ? tier_of(&s->users, users) : -1;
    if (k < 0)
        return;
    char text[240], when[32];
    span(when, sizeof(when), s->window);
    px_fmt(text, sizeof(text), "Same technique %.32s used by %d users of org %.64s within %s", an->techniques[best],
             users, st->org[0] != '\0' ? st->org : "(this org)", when);
    add(an, self, s->users.score[k], "multi_user.same-technique", text);
}

void px_an_session_windows(const px_engine *e, double *target_window, double *technique_window)
{
    *target_window = px_engine_setting_num(e, px_engine_analyzer_index(e, "multi_target_orchestration"),
                                           "window_seconds", 600);
    *technique_window = px_engine_setting_num(e, px_engine_analyzer_index(e, "multi_user_correlation"),
                                              "window_seconds", 900);
}
