/* Request templates: ${__VU}, ${__ITER}, ${__ENV.NAME} and ${timestamp}.
 *
 * A template is compiled once, when the scenario loads, into literal runs and
 * dynamic slots, so rendering on the hot path is memcpy plus integer
 * formatting.  ${__ENV.NAME} cannot change during a run, so it is resolved at
 * compile time into a literal; when the template text came from a JSON value
 * (a payload body given as an object) the substituted text is JSON-escaped so
 * an environment value with quotes cannot break the document.  The k6
 * scripts in loadtest/lib/scenario.js apply the same rules. */
#ifndef PL_LOAD_TEMPLATE_H
#define PL_LOAD_TEMPLATE_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

typedef struct pl_tpl pl_tpl;

/* Looks NAME up for ${__ENV.NAME}; NULL means unset (renders as ""). */
typedef const char *(*pl_env_fn)(void *ud, const char *name);

typedef struct pl_tpl_vars {
    uint64_t vu;            /* 1-based, as k6's __VU */
    uint64_t iter;          /* 0-based per VU, as k6's __ITER */
    uint64_t timestamp_ms;  /* wall clock, ms since the epoch (Date.now()) */
} pl_tpl_vars;

/* json_escape: escape substituted environment values as JSON string content.
 * Returns NULL with a message in err for an unknown or unterminated ${...}. */
pl_tpl *pl_tpl_create(const char *src, size_t len, int json_escape, pl_env_fn env, void *env_ud,
                      char *err, size_t errlen);
void    pl_tpl_destroy(pl_tpl *t);
/* 1 when the template has no per-iteration slot (render once, reuse). */
int     pl_tpl_is_static(const pl_tpl *t);
/* Appends the rendered text to out. */
void    pl_tpl_render(const pl_tpl *t, const pl_tpl_vars *v, px_buf *out);

#endif
