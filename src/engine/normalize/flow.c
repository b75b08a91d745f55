/* Data flow through pipelines (constant producers, decoders, consumers) and
 * the entry points that read nested bodies and argv-executed commands. */
#include "engine/normalize/norm_int.h"

/* Follows constant data (echo/printf output, heredocs) through decoders
 * into the command that consumes it.  Returns true with the pipeline's
 * output in *out when that output is constant. */
bool nx_pipeline_flow(nps *ps, const char **out, size_t *outlen, uint32_t *oflags)
{
    nctx *c = ps->c;
    const char *d = NULL;
    size_t dl = 0;
    uint32_t df = 0;
    bool have = false, decoded = false, konst = true;
    const char *pend = NULL; /* heredoc body not yet consumed */
    size_t pendl = 0;
    int pendcmd = -1, lastdec = -1;

    for (int k = 0; k < ps->nstages && !c->stop; k++) {
        int idx = ps->stages[k];
        ncinfo *inf = idx >= 0 ? nx_info(c, idx) : NULL;
        if (inf == NULL) {
            have = false;
            konst = false;
            continue;
        }
        if (inf->has_in) {
            if (pend != NULL)
                nx_add_text(c, PX_TEXT_DATA, pend, pendl, pendcmd, NULL);
            d = inf->in;
            dl = inf->inlen;
            df = inf->iflags;
            have = true;
            pend = d;
            pendl = dl;
            pendcmd = idx;
        } else if (k == 0) {
            have = false;
        }
        if (inf->role != R_DECODER && decoded && lastdec >= 0) {
            nx_add_text(c, PX_TEXT_DECODED, d, dl, lastdec, NULL);
            decoded = false;
        }
        switch (inf->role) {
        case R_PRODUCER:
            if (inf->has_out) {
                d = inf->out;
                dl = inf->outlen;
                df = inf->oflags;
                have = true;
            } else {
                have = false;
                konst = false;
            }
            break;
        case R_DECODER:
            if (have && inf->dec >= 0 && nx_decode(c, inf->dec, inf, d, dl, &d, &dl)) {
                if (inf->dec != D_TR || inf->tr_rot) {
                    /* a general tr mapping only transforms; rot13 decodes */
                    df |= W_DECODED;
                    decoded = true;
                    lastdec = idx;
                    c->out->flags |= PX_ACT_DECODED;
                }
            } else {
                have = false;
                konst = false;
            }
            break;
        case R_PASS:
            if (!have)
                konst = false;
            else if (inf->tee)
                nx_add_text(c, PX_TEXT_DATA, d, dl, idx, NULL);
            break;
        default:
            if (have && inf->stdin_code) {
                nx_feed_stdin(ps, idx, d, dl, df);
                pend = NULL;
            } else if (have && pend == NULL && !(df & W_DECODED)) {
                nx_add_text(c, PX_TEXT_DATA, d, dl, idx, NULL); /* crontab -, mail, ... */
            }
            have = false;
            konst = false;
        }
        if (inf->out_redir && have && inf->role == R_PRODUCER && !(df & W_DECODED))
            nx_add_text(c, PX_TEXT_DATA, d, dl, idx, NULL);
        if (inf->out_redir)
            have = false, konst = false;
    }
    if (decoded && lastdec >= 0)
        nx_add_text(c, PX_TEXT_DECODED, d, dl, lastdec, NULL);
    if (pend != NULL && !(have && konst && ps->want_out))
        nx_add_text(c, PX_TEXT_DATA, pend, pendl, pendcmd, NULL);
    if (have && konst && ps->nstages > 0) {
        *out = d;
        *outlen = dl;
        *oflags = df & (W_ANSI | W_DECODED);
        return true;
    }
    return false;
}

bool nx_parse_nested(nctx *c, const char *s, size_t n, int depth, int parent,
                     uint32_t inherit, uint32_t wflags, bool keep_vars)
{
    int maxd = c->lim.max_depth < NX_DEPTH_CAP ? c->lim.max_depth : NX_DEPTH_CAP;
    if (c->stop)
        return false;
    if (depth + 1 > maxd || c->rec >= NX_REC_CAP) {
        nx_trunc(c);
        return false;
    }
    nps sub;
    if (wflags & W_DECODED)
        inherit |= PX_CMD_DECODED;
    nx_ps_init(&sub, c, s, n, depth + 1, parent, inherit);
    sub.wflags = wflags;
    int scope = c->scope, nvars = c->nvars;
    if (!keep_vars)
        c->scope = c->nvars;
    c->rec++;
    nx_parse_body(&sub);
    c->rec--;
    if (!keep_vars) {
        c->nvars = nvars;
        c->scope = scope;
    }
    return true;
}

int nx_exec_argv(nps *ps, int parent, nword *av, int ac, uint32_t flags)
{
    nctx *c = ps->c;
    int maxd = c->lim.max_depth < NX_DEPTH_CAP ? c->lim.max_depth : NX_DEPTH_CAP;
    if (ac <= 0 || c->stop)
        return -1;
    if (ps->depth + 1 > maxd || c->rec >= NX_REC_CAP) {
        nx_trunc(c);
        return -1;
    }
    nps sub;
    nx_ps_init(&sub, c, "", 0, ps->depth + 1, parent, (ps->inherit & ~PX_CMD_PIPE_IN) | PX_CMD_NESTED);
    c->rec++;
    int idx = nx_build_cmd(&sub, av, ac, NULL, 0, NULL, 0, flags);
    c->rec--;
    return idx;
}
