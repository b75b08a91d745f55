/* One Hyperscan database for every regex of every rule.
 *
 * Each rule condition (programs, match, paths, all, unless) becomes one or
 * more expressions; Hyperscan reports which fired on a text, and the rule
 * logic (rule.h) is then evaluated only for rules with a primary hit
 * (programs, match or paths).  The database is immutable and shared by all
 * threads; each thread scans with its own px_match_scratch. */
#ifndef PX_ENGINE_RULES_MATCHER_H
#define PX_ENGINE_RULES_MATCHER_H

#include <stddef.h>

#include "common/arena.h"
#include "engine/normalize/action.h"
#include "engine/rules/rule.h"

typedef struct px_matcher px_matcher;
typedef struct px_match_scratch px_match_scratch;

typedef struct px_match_hit {
    int rule;   /* index into the ruleset */
    int text;   /* index into px_actions.texts */
} px_match_hit;

/* Compiles every rule of rs (which must outlive the matcher).  On a bad
 * regex, err names the rule, the expression and Hyperscan's message.
 * cache_dir: where compiled databases are kept between runs (dbcache.h);
 * NULL or "" = compile every time. */
px_matcher *px_matcher_create(const px_ruleset *rs, const char *cache_dir, char *err, size_t errlen);
void        px_matcher_destroy(px_matcher *m);
int         px_matcher_expression_count(const px_matcher *m);

px_match_scratch *px_match_scratch_create(const px_matcher *m);
void              px_match_scratch_destroy(px_match_scratch *s);

/* Scans every text of act; appends one hit per (rule, text) that fires.
 * fs_op is the file operation of PATH texts (px_fs_op), or -1.  Hits are
 * allocated from `a`.  Returns the number of hits, or -1 on a scan error. */
int px_matcher_run(const px_matcher *m, px_match_scratch *s, const px_actions *act, int fs_op,
                   px_arena *a, px_match_hit **hits);

/* The regex a path glob compiles to (exposed for tests and --explain). */
int px_path_glob_to_regex(const char *glob, char *out, size_t outlen);

#endif
