/* Private to the expander (expand.c, param.c, brace.c): the builder that
 * collects the fields one word expands to. */
#ifndef PX_ENGINE_NORMALIZE_EXPAND_INT_H
#define PX_ENGINE_NORMALIZE_EXPAND_INT_H

#include "engine/normalize/norm_int.h"

enum { CL_NONE, CL_PLAIN, CL_SQ, CL_DQ, CL_ANSI, CL_ESC, CL_EXP };
enum { X_UNQ, X_DQ, X_HD };

typedef struct xout {
    nctx    *c;
    nps     *ps;
    nwlist  *dst;
    nstr     cur;
    bool     live;     /* the current field exists (content or "") */
    bool     emptyq;   /* '' or "" seen in the current field */
    bool     broke;    /* a field was already emitted for this word */
    int      lastcls;
    uint32_t flags;
    unsigned opts;
} xout;

/* expand.c */
void nx_xo_init(xout *o, nps *ps, nwlist *dst, unsigned opts);
bool nx_xo_atstart(const xout *o);
void nx_xo_break(xout *o);
void nx_xo_piece(xout *o, const char *s, size_t n, int cls);
/* An expansion result: split on IFS when unquoted in a splitting context. */
void nx_xo_exp(xout *o, const char *s, size_t n, uint32_t fl, bool quoted);
/* Text we could not resolve, kept literally. */
void nx_xo_lit_nc(xout *o, const char *s, size_t n, uint32_t fl);
void nx_walk(xout *o, const char *s, size_t n, int ctx);
void nx_expand_one(nps *ps, const char *s, size_t n, unsigned opts, nwlist *dst);

/* param.c */
bool nx_parse_int(const char *s, size_t n, long long *v);
void nx_param_brace(xout *o, const char *body, size_t bn, const char *raw, size_t rawn, bool quoted);
void nx_simple_var(xout *o, const char *name, size_t nn, const char *raw, size_t rawn, bool quoted);

/* brace.c */
size_t nx_skip_construct(nctx *c, const char *s, size_t n, size_t i);
void nx_brace(nps *ps, const char *s, size_t n, unsigned opts, nwlist *dst);

#endif
