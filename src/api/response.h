/* Building /analyze and /demo responses (JSON written by hand into a
 * px_buf: the shape is fixed and this is on every request's path). */
#ifndef PX_API_RESPONSE_H
#define PX_API_RESPONSE_H

#include "api/gateway.h"
#include "common/buf.h"
#include "engine/engine.h"

typedef struct px_verdict {
    px_decision decision;
    int         status;           /* HTTP status to answer with */
    int         session_terminated;
    int         degraded;         /* session store unavailable, fail-open */
    const char *session_id;
    const char *message;          /* 403 only */
} px_verdict;

/* Decides status and messages from the analysis, the mode and the session. */
void px_verdict_make(const px_config *cfg, const px_analysis *an, const px_session_state *st, px_verdict *v);

/* The members of an analysis response, without the enclosing braces, so
 * the demo can embed them per step. */
void px_response_members(px_buf *b, const px_engine *e, const px_analysis *an, const px_verdict *v);
void px_response_analyze(px_buf *b, const px_engine *e, const px_analysis *an, const px_verdict *v,
                         const char *mode, const char *explain);

#endif
