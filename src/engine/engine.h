/* The detection engine: tool call in, scored analysis out.
 *
 *   px_engine           immutable after create: rules, one Hyperscan
 *                       database, analyzer registry; shared by threads
 *   px_engine_worker    per thread: Hyperscan scratch and analyzer scratch
 *   px_analysis         one call's result, allocated from the caller's arena
 *
 * Flow: px_engine_analyze() normalises the call, scans every text once,
 * evaluates the rules, runs the stateless analyzers and combines.  The
 * caller then loads session state and calls px_engine_apply_session(),
 * which runs the session-aware analyzers and recombines. */
#ifndef PX_ENGINE_ENGINE_H
#define PX_ENGINE_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/buf.h"
#include "engine/normalize/action.h"
#include "engine/rules/rule.h"
#include "engine/toolcall.h"
#include "session/state.h"

#define PX_MAX_ANALYZERS 48
#define PX_MAX_TARGETS   32

typedef struct px_engine px_engine;
typedef struct px_engine_worker px_engine_worker;

typedef struct px_engine_opts {
    const char *rules_dir;
    const char *policy_file;   /* NULL or "" = none */
    /* Compiled rule databases kept between runs: NULL or "" = the user's
     * cache directory ($XDG_CACHE_HOME/proxilion or ~/.cache/proxilion),
     * "off" = none, else that directory (see rules/dbcache.h). */
    const char *cache_dir;
} px_engine_opts;

/* One fired rule, or one finding of a code analyzer (rule = -1). */
typedef struct px_finding {
    int         rule;       /* index into the ruleset, or -1 */
    int         analyzer;   /* analyzer index */
    int         text;       /* text it fired on, or -1 */
    int         tactic;     /* px_tactic, or -1 */
    double      score;
    int         critical;
    const char *pattern;    /* readable description */
    const char *id;         /* rule id or code analyzer finding id */
} px_finding;

typedef struct px_analysis {
    px_toolcall const *call;
    px_actions   actions;
    px_finding  *findings;
    int          nfindings;
    int          cap_findings;
    double       analyzer_score[PX_MAX_ANALYZERS];
    double       floor;          /* max score of critical findings */
    double       discount;       /* from the legitimacy analyzer */
    double       score;          /* final threat score 0..100 */
    uint32_t     tactics;        /* bit set of px_tactic seen in this call */
    const char  *targets[PX_MAX_TARGETS];
    int          ntargets;
    const char  *techniques[16]; /* distinct MITRE techniques, for org correlation */
    int          ntechniques;
    int          truncated;      /* normalisation hit a limit */
    px_arena    *arena;
} px_analysis;

px_engine *px_engine_create(const px_engine_opts *opts, char *err, size_t errlen);
void       px_engine_destroy(px_engine *e);

const px_ruleset *px_engine_ruleset(const px_engine *e);
int         px_engine_analyzer_count(const px_engine *e);
const char *px_engine_analyzer_name(const px_engine *e, int i);
int         px_engine_analyzer_index(const px_engine *e, const char *name);

px_engine_worker *px_engine_worker_create(px_engine *e);
void              px_engine_worker_destroy(px_engine_worker *w);

/* Stateless analysis.  Everything in `out` lives in `a` (reset it after the
 * response is sent).  Returns 0, or -1 on an internal error (arena cap,
 * scan failure); `out` is then still a valid, possibly partial, result. */
int px_engine_analyze(px_engine_worker *w, const px_toolcall *tc, px_arena *a, px_analysis *out);

/* Runs the session-aware analyzers over `st` and recombines the score. */
void px_engine_apply_session(px_engine_worker *w, const px_session_state *st, px_analysis *an);

/* Adds a finding (used by code analyzers).  Returns 0 or -1 (arena full). */
int px_analysis_add(px_analysis *an, int analyzer, int rule, int text, int tactic, double score, int critical,
                    const char *id, const char *pattern);

/* Recomputes analyzer scores and the final score from the findings. */
void px_analysis_combine(px_analysis *an, int nanalyzers, const int *discount_analyzer);

/* Human-readable trace: normalised actions, rules that fired on which text,
 * analyzer scores and the combination steps. */
void px_engine_explain(const px_engine *e, const px_analysis *an, px_buf *out);

/* Runs every rule's tests.match / tests.no_match examples.  Returns the
 * number of failures; each failure is described in `report`. */
int px_engine_check_examples(px_engine *e, px_buf *report, int *nchecked);

#endif
