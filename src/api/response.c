#include "api/response.h"

#include <stdio.h>
#include <string.h>

const char *px_decision_name(px_decision d)
{
    static const char *const n[] = {"Allow", "Alert", "Block", "Terminate"};
    return (unsigned)d < 4 ? n[d] : "?";
}

px_decision px_gateway_decide(const px_config *cfg, double score)
{
    if (score >= cfg->terminate_threshold)
        return PX_TERMINATE;
    if (score >= cfg->block_threshold)
        return PX_BLOCK;
    if (score >= cfg->alert_threshold)
        return PX_ALERT;
    return PX_ALLOW;
}

void px_verdict_make(const px_config *cfg, const px_analysis *an, const px_session_state *st, px_verdict *v)
{
    v->decision = px_gateway_decide(cfg, an->score);
    v->status = 200;
    v->session_terminated = 0;
    v->degraded = st == NULL || !st->available;
    v->message = NULL;
    /* The body's decision always reflects the score; the status reflects
     * what the mode enforces. */
    if (st != NULL && st->terminated) {
        v->status = 403;
        v->session_terminated = 1;
        v->message = "session terminated: calls in this session are refused until it expires";
        return;
    }
    switch (cfg->mode) {
    case PX_MODE_MONITOR:
    case PX_MODE_ALERT:
        break;
    case PX_MODE_BLOCK:
        if (v->decision >= PX_BLOCK) {
            v->status = 403;
            v->message = "blocked by Proxilion: threat score at or above the block threshold";
        }
        break;
    case PX_MODE_TERMINATE:
        if (v->decision == PX_TERMINATE) {
            v->status = 403;
            v->session_terminated = 1;
            v->message = "session terminated by Proxilion: threat score at or above the terminate threshold";
        } else if (v->decision >= PX_BLOCK) {
            v->status = 403;
            v->message = "blocked by Proxilion: threat score at or above the block threshold";
        }
        break;
    }
}

/* Findings sorted by score, highest first; at most `max` indexes. */
static int top_findings(const px_analysis *an, int *idx, int max)
{
    int n = 0;
    for (int i = 0; i < an->nfindings; i++) {
        double sc = an->findings[i].score;
        if (n == max && an->findings[idx[n - 1]].score >= sc)
            continue;
        int k = n < max ? n++ : n - 1;
        while (k > 0 && an->findings[idx[k - 1]].score < sc) {
            idx[k] = idx[k - 1];
            k--;
        }
        idx[k] = i;
    }
    return n;
}

void px_response_members(px_buf *b, const px_engine *e, const px_analysis *an, const px_verdict *v)
{
    int idx[32];
    int n = top_findings(an, idx, 32);
    px_buf_puts(b, "\"decision\":\"");
    px_buf_puts(b, px_decision_name(v->decision));
    px_buf_puts(b, "\",\"threat_score\":");
    px_buf_put_decimal1(b, an->score);
    px_buf_puts(b, ",\"patterns\":[");
    for (int i = 0, wrote = 0; i < n; i++) {
        const char *p = an->findings[idx[i]].pattern;
        int dup = 0;
        for (int k = 0; k < i && !dup; k++)
            dup = strcmp(an->findings[idx[k]].pattern, p) == 0;
        if (dup)
            continue;
        if (wrote++ > 0)
            px_buf_putc(b, ',');
        px_buf_json_str(b, p, strlen(p));
    }
    px_buf_puts(b, "],\"rules\":[");
    for (int i = 0; i < n; i++) {
        if (i > 0)
            px_buf_putc(b, ',');
        px_buf_json_str(b, an->findings[idx[i]].id, strlen(an->findings[idx[i]].id));
    }
    px_buf_puts(b, "],\"analyzers\":[");
    /* Analyzers with a score, highest first. */
    int order[PX_MAX_ANALYZERS], na = 0;
    for (int a = 0; a < px_engine_analyzer_count(e); a++) {
        if (an->analyzer_score[a] <= 0)
            continue;
        int k = na++;
        order[k] = a;
        while (k > 0 && an->analyzer_score[order[k - 1]] < an->analyzer_score[order[k]]) {
            int t = order[k - 1];
            order[k - 1] = order[k];
            order[k] = t;
            k--;
        }
    }
    for (int i = 0; i < na; i++) {
        const char *name = px_engine_analyzer_name(e, order[i]);
        px_buf_puts(b, i > 0 ? ",{\"name\":" : "{\"name\":");
        px_buf_json_str(b, name, strlen(name));
        px_buf_puts(b, ",\"score\":");
        px_buf_put_decimal1(b, an->analyzer_score[order[i]]);
        px_buf_putc(b, '}');
    }
    px_buf_puts(b, "],\"tactics\":[");
    int first = 1;
    for (int t = 0; t < PX_TACTIC_COUNT; t++)
        if (an->tactics & (1u << t)) {
            px_buf_puts(b, first ? "\"" : ",\"");
            px_buf_puts(b, px_tactic_name((px_tactic)t));
            px_buf_putc(b, '"');
            first = 0;
        }
    px_buf_puts(b, v->session_terminated ? "],\"session_terminated\":true" : "],\"session_terminated\":false");
    if (v->degraded)
        px_buf_puts(b, ",\"degraded\":true");
    if (v->message != NULL) {
        px_buf_puts(b, ",\"message\":");
        px_buf_json_str(b, v->message, strlen(v->message));
    }
}

void px_response_analyze(px_buf *b, const px_engine *e, const px_analysis *an, const px_verdict *v, const char *mode,
                         const char *explain)
{
    px_buf_putc(b, '{');
    px_response_members(b, e, an, v);
    px_buf_puts(b, ",\"session_id\":");
    px_buf_json_str(b, v->session_id, strlen(v->session_id));
    px_buf_puts(b, ",\"mode\":\"");
    px_buf_puts(b, mode);
    px_buf_putc(b, '"');
    if (explain != NULL) {
        px_buf_puts(b, ",\"explain\":");
        px_buf_json_str(b, explain, strlen(explain));
    }
    px_buf_putc(b, '}');
}
