/* Shell-aware normalisation: read a command the way bash would.
 *
 * px_shell_normalize() lexes and parses src (a single command or a whole
 * script) and appends to `out` one px_cmd per simple command it finds,
 * including those inside $(..), backticks, subshells, eval and sh -c bodies,
 * decoded payloads piped into interpreters, and wrapper commands (sudo, env,
 * nohup, timeout, xargs, find -exec, ...), plus the texts the rule matcher
 * scans.  See action.h for the data model.
 *
 * All memory comes from `a`.  Work is bounded by `lim` (NULL = defaults). */
#ifndef PX_ENGINE_NORMALIZE_SHELL_H
#define PX_ENGINE_NORMALIZE_SHELL_H

#include <stdbool.h>
#include <stddef.h>

#include "common/arena.h"
#include "common/buf.h"
#include "engine/normalize/action.h"

void px_norm_limits_default(px_norm_limits *lim);

void px_actions_init(px_actions *out);

/* Appends a text to out (copies nothing: s must live in the arena or longer).
 * Returns its index, or -1 when the arena is exhausted.
 * px_actions carries no capacities: its arrays are sized by convention (the
 * power of two >= max(count, 8)), so start from px_actions_init() and add
 * texts and commands only through these functions. */
int px_actions_add_text(px_arena *a, px_actions *out, px_text_kind kind,
                        const char *s, size_t len, int cmd, const char *lang);

/* Returns 0 on success; -1 when the arena cap was hit (out holds what was
 * produced before, with PX_ACT_TRUNCATED set).  Never fails on malformed
 * shell: unbalanced input is parsed best-effort and flagged PX_ACT_PARSE_ERR. */
int px_shell_normalize(px_arena *a, const char *src, size_t len,
                       const px_norm_limits *lim, px_actions *out);

/* Human-readable dump of the actions, for --explain and test failure messages. */
void px_actions_format(const px_actions *act, px_buf *out);

/* fnmatch-style match of one glob (* ? [..], no brace expansion) against s. */
bool px_glob_match(const char *pattern, const char *s);
/* True when some string matches both globs: decides whether a path the
 * command names with wildcards (cat /home/x/.ss?/id_*) can reach a sensitive
 * path pattern (~/.ssh/id_*).  '*' and '?' never match '/' in either. */
bool px_glob_intersects(const char *a, const char *b);

#endif
