/* MCP orchestration: secrets moved outward within one tool call.
 *
 * The rules (rules/mcp_orchestration.yaml) recognise secret material in the
 * texts of a call.  This code decides where the call sends it:
 *
 *   destination  Network: the URL's host.  Generic MCP (Unknown) calls: a
 *                URL among the arguments (for a sensitive file: in another
 *                argument than the file's), or a tool name matching
 *                settings.outbound_tools (send_message, create_gist, ...).  Bash: a URL named by the same command as the secret.
 *                A destination is external unless it is loopback, private,
 *                link-local or a single-label / .local / .internal name.
 *   suspicious   a finding of settings.suspicious_analyzers of at least
 *                settings.suspicious_min (tunnel, out-of-band service, paste
 *                site, upload to a raw IP, ...).
 *
 * Secret classes are rule-id prefixes in settings (key_rules, token_rules,
 * weak_rules).  Findings:
 *
 *   any secret + suspicious destination      score_suspicious, critical
 *   key material + external destination      score_key_external, critical
 *   API token + external destination         score_token_external
 *   credential headers + suspicious host     score_header_suspicious
 *   MCP call naming a sensitive file in an argument (a finding of
 *   settings.source_analyzers or of a rule in settings.source_rules on an
 *   argument text) + external destination
 *                                            score_source_external, critical
 *
 * Secrets in request headers only count towards suspicious destinations
 * (tokens in headers are how APIs are called), and the conversation fields
 * (user_message, ai_response) are never a secret's source here. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "engine/analyzers/builtin.h"
#include "engine/extract.h"
#include "engine/normalize/shell.h"

enum { CLS_NONE, CLS_WEAK, CLS_TOKEN, CLS_KEY };

typedef struct mcp_state {
    const px_strlist *key_rules, *token_rules, *weak_rules;
    const px_strlist *suspicious, *sources, *source_rules, *outbound, *auth_headers;
    double            suspicious_min;
    double            s_suspicious, s_key, s_token, s_source, s_header;
} mcp_state;

int px_an_mcp_orchestration_init(const px_engine *e, int self, void **state, char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    mcp_state *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return -1;
    s->key_rules = px_engine_setting(e, self, "key_rules");
    s->token_rules = px_engine_setting(e, self, "token_rules");
    s->weak_rules = px_engine_setting(e, self, "weak_rules");
    s->suspicious = px_engine_setting(e, self, "suspicious_analyzers");
    s->sources = px_engine_setting(e, self, "source_analyzers");
    s->source_rules = px_engine_setting(e, self, "source_rules");
    s->outbound = px_engine_setting(e, self, "outbound_tools");
    s->auth_headers = px_engine_setting(e, self, "auth_headers");
    s->suspicious_min = px_engine_setting_num(e, self, "suspicious_min", 50);
    s->s_suspicious = px_engine_setting_num(e, self, "score_suspicious", 92);
    s->s_key = px_engine_setting_num(e, self, "score_key_external", 85);
    s->s_token = px_engine_setting_num(e, self, "score_token_external", 60);
    s->s_source = px_engine_setting_num(e, self, "score_source_external", 85);
    s->s_header = px_engine_setting_num(e, self, "score_header_suspicious", 85);
    *state = s;
    return 0;
}

void px_an_mcp_orchestration_fini(void *state)
{
    free(state);
}

static int has_prefix(const px_strlist *l, const char *id)
{
    for (int i = 0; l != NULL && id != NULL && i < l->n; i++)
        if (strncmp(id, l->v[i], strlen(l->v[i])) == 0)
            return 1;
    return 0;
}

static int class_of(const mcp_state *s, const char *id)
{
    if (has_prefix(s->key_rules, id))
        return CLS_KEY;
    if (has_prefix(s->token_rules, id))
        return CLS_TOKEN;
    if (has_prefix(s->weak_rules, id))
        return CLS_WEAK;
    return CLS_NONE;
}

/* Dotted-quad value, or -1. */
static long ipv4(const char *h)
{
    unsigned long v = 0;
    int parts = 0;
    const char *p = h;
    while (parts < 4) {
        if (!isdigit((unsigned char)*p))
            return -1;
        unsigned long o = 0;
        int d = 0;
        while (isdigit((unsigned char)*p) && d < 4) {
            o = o * 10 + (unsigned long)(*p++ - '0');
            d++;
        }
        if (o > 255)
            return -1;
        v = v << 8 | o;
        parts++;
        if (parts < 4 && *p++ != '.')
            return -1;
    }
    return *p == '\0' ? (long)v : -1;
}

static int ends_with(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && strcmp(s + a - b, suf) == 0;
}

/* Loopback, private, link-local, CGNAT, single-label and local names. */
int px_host_is_internal(const char *h)
{
    if (h == NULL || h[0] == '\0')
        return 1;
    long v = ipv4(h);
    if (v >= 0) {
        unsigned long a = (unsigned long)v >> 24, b = ((unsigned long)v >> 16) & 255;
        return a == 127 || a == 10 || a == 0 || (a == 192 && b == 168) || (a == 172 && b >= 16 && b <= 31) ||
               (a == 169 && b == 254) || (a == 100 && b >= 64 && b <= 127);
    }
    if (strchr(h, ':') != NULL) /* IPv6 */
        return strcmp(h, "::1") == 0 || strcmp(h, "::") == 0 || strncmp(h, "fc", 2) == 0 ||
               strncmp(h, "fd", 2) == 0 || strncmp(h, "fe80", 4) == 0;
    if (strchr(h, '.') == NULL)
        return 1;
    static const char *const local[] = {".localhost", ".local", ".internal", ".lan", ".home.arpa", ".intranet",
                                        ".corp", ".svc", ".cluster.local"};
    for (size_t i = 0; i < sizeof(local) / sizeof(local[0]); i++)
        if (ends_with(h, local[i]))
            return 1;
    return 0;
}

/* Is there a URL with an external host in s? */
static int external_url_in(const char *s, size_t len)
{
    const char *end = s + len;
    for (const char *p = memmem(s, len, "://", 3); p != NULL; p = memmem(p + 3, (size_t)(end - p - 3), "://", 3)) {
        const char *start = p;
        while (start > s && (isalnum((unsigned char)start[-1]) || start[-1] == '+' || start[-1] == '-' ||
                             start[-1] == '.'))
            start--;
        char host[256];
        if (start < p && px_url_host(start, (size_t)(end - start), host, sizeof(host)) > 0 &&
            !px_host_is_internal(host))
            return 1;
        if (end - p < 4)
            break;
    }
    return 0;
}

static int is_message_text(const px_analysis *an, const px_text *tx)
{
    const px_toolcall *tc = an->call;
    if (tx->kind != PX_TEXT_ARG)
        return 0;
    return (tc->user_message.s != NULL && tx->len == tc->user_message.len &&
            memcmp(tx->s, tc->user_message.s, tx->len) == 0) ||
           (tc->ai_response.s != NULL && tx->len == tc->ai_response.len &&
            memcmp(tx->s, tc->ai_response.s, tx->len) == 0);
}

static int outbound_tool(const mcp_state *s, const char *name)
{
    if (s->outbound == NULL || name == NULL)
        return 0;
    char low[256];
    size_t n = 0;
    for (; name[n] != '\0' && n + 1 < sizeof(low); n++)
        low[n] = (char)tolower((unsigned char)name[n]);
    low[n] = '\0';
    for (int i = 0; i < s->outbound->n; i++)
        if (px_glob_match(s->outbound->v[i], low))
            return 1;
    return 0;
}

/* Does the call send somewhere outside?  For Bash, `cmd` restricts it to
 * URLs named by that command; for MCP calls, `skip` (a text index, or -1)
 * is an argument that does not count as the destination. */
static int external_destination(const mcp_state *s, const px_analysis *an, int cmd, int skip)
{
    const px_toolcall *tc = an->call;
    char host[256];
    switch (tc->kind) {
    case PX_TC_NETWORK:
        return px_url_host(tc->u.net.url.s, tc->u.net.url.len, host, sizeof(host)) > 0 && !px_host_is_internal(host);
    case PX_TC_UNKNOWN:
        if (outbound_tool(s, tc->tool_name))
            return 1;
        for (int t = 0; t < an->actions.ntexts; t++) {
            const px_text *tx = &an->actions.texts[t];
            if (t != skip && tx->kind == PX_TEXT_ARG && !is_message_text(an, tx) && external_url_in(tx->s, tx->len))
                return 1;
        }
        return 0;
    case PX_TC_BASH:
        for (int t = 0; t < an->actions.ntexts; t++) {
            const px_text *tx = &an->actions.texts[t];
            if (tx->kind != PX_TEXT_URL || tx->cmd != cmd || cmd < 0)
                continue;
            const char *u = strchr(tx->s, ' ');
            u = u != NULL ? u + 1 : tx->s;
            if (px_url_host(u, strlen(u), host, sizeof(host)) > 0 && !px_host_is_internal(host))
                return 1;
        }
        return 0;
    default:
        return 0;
    }
}

/* Network headers are texts 1..nheaders (build_actions adds the URL, then
 * the headers, then the body). */
static int is_header_text(const px_analysis *an, int t)
{
    return an->call->kind == PX_TC_NETWORK && t >= 1 && t <= an->call->u.net.nheaders;
}

static int auth_header_present(const mcp_state *s, const px_toolcall *tc)
{
    if (tc->kind != PX_TC_NETWORK || s->auth_headers == NULL)
        return 0;
    for (int i = 0; i < tc->u.net.nheaders; i++) {
        const px_kv *kv = &tc->u.net.headers[i];
        char low[64];
        if (kv->key.len == 0 || kv->key.len >= sizeof(low) || kv->value.len == 0)
            continue;
        for (size_t k = 0; k <= kv->key.len; k++)
            low[k] = (char)tolower((unsigned char)kv->key.s[k]);
        if (px_strlist_has(s->auth_headers, low))
            return 1;
    }
    return 0;
}

void px_an_mcp_orchestration_run(const px_engine *e, int self, const void *state, px_analysis *an)
{
    const mcp_state *s = state;
    const px_toolcall *tc = an->call;
    if (tc->kind != PX_TC_NETWORK && tc->kind != PX_TC_UNKNOWN && tc->kind != PX_TC_BASH)
        return;
    int nf = an->nfindings;
    int suspicious = 0;
    for (int i = 0; i < nf && !suspicious; i++)
        suspicious = an->findings[i].score >= s->suspicious_min &&
                     px_strlist_has(s->suspicious, px_engine_analyzer_name(e, an->findings[i].analyzer));
    int any = 0, best = CLS_NONE, text = -1, source = -1;
    for (int i = 0; i < nf; i++) {
        const px_finding *f = &an->findings[i];
        if (f->text < 0 || f->text >= an->actions.ntexts || is_message_text(an, &an->actions.texts[f->text]))
            continue;
        if (tc->kind == PX_TC_UNKNOWN && source < 0 && an->actions.texts[f->text].kind == PX_TEXT_ARG &&
            (f->analyzer == self ? has_prefix(s->source_rules, f->id)
                                 : px_strlist_has(s->sources, px_engine_analyzer_name(e, f->analyzer))))
            source = f->text;
        if (f->analyzer != self)
            continue;
        int cls = class_of(s, f->id);
        if (cls == CLS_NONE)
            continue;
        any = 1;
        if (text < 0)
            text = f->text;
        if (is_header_text(an, f->text))
            continue; /* credentials in headers: only a suspicious host makes them a leak */
        if (cls > best && (cls == CLS_WEAK || external_destination(s, an, an->actions.texts[f->text].cmd, -1))) {
            best = cls;
            text = f->text;
        }
    }
    if (any && suspicious)
        px_analysis_add(an, self, -1, text, PX_TACTIC_EXFILTRATION, s->s_suspicious, 1, "mcp.secret-to-suspicious-host",
                        "Secrets sent to a suspicious destination (tunnel, callback service, paste site, raw IP)");
    else if (best == CLS_KEY)
        px_analysis_add(an, self, -1, text, PX_TACTIC_EXFILTRATION, s->s_key, 1, "mcp.key-material-outbound",
                        "Key material or credential-file contents sent to an external destination");
    else if (best == CLS_TOKEN)
        px_analysis_add(an, self, -1, text, PX_TACTIC_EXFILTRATION, s->s_token, 0, "mcp.token-outbound",
                        "API token sent to an external destination");
    if (!any && suspicious && auth_header_present(s, tc))
        px_analysis_add(an, self, -1, 0, PX_TACTIC_EXFILTRATION, s->s_header, 0, "mcp.auth-header-to-suspicious-host",
                        "Credentials in request headers sent to a suspicious host");
    if (source >= 0 && external_destination(s, an, -1, source))
        px_analysis_add(an, self, -1, source, PX_TACTIC_EXFILTRATION, s->s_source, 1, "mcp.sensitive-file-outbound",
                        "Sensitive file and an external destination in one tool call");
}
