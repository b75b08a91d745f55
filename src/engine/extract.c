#include "engine/extract.h"

#include <ctype.h>
#include <string.h>

#include "engine/normalize/shell.h"

size_t px_url_host(const char *s, size_t len, char *out, size_t outlen)
{
    const char *end = s + len;
    const char *p = memmem(s, len, "://", 3);
    if (p == NULL || p == s)
        return 0;
    for (const char *q = s; q < p; q++)
        if (!isalnum((unsigned char)*q) && *q != '+' && *q != '-' && *q != '.')
            return 0;
    p += 3;
    const char *auth_end = p;
    while (auth_end < end && *auth_end != '/' && *auth_end != '?' && *auth_end != '#')
        auth_end++;
    const char *at = NULL;
    for (const char *q = p; q < auth_end; q++)
        if (*q == '@')
            at = q;
    if (at != NULL)
        p = at + 1;
    const char *h_end;
    if (p < auth_end && *p == '[') {
        h_end = memchr(p, ']', (size_t)(auth_end - p));
        if (h_end == NULL)
            return 0;
        p++;
    } else {
        h_end = p;
        while (h_end < auth_end && *h_end != ':')
            h_end++;
    }
    size_t n = (size_t)(h_end - p);
    if (n == 0 || n >= outlen)
        return 0;
    for (size_t i = 0; i < n; i++)
        out[i] = (char)tolower((unsigned char)p[i]);
    out[n] = '\0';
    return n;
}

static int add_target(px_analysis *an, const char *h, size_t n)
{
    for (int i = 0; i < an->ntargets; i++)
        if (strlen(an->targets[i]) == n && memcmp(an->targets[i], h, n) == 0)
            return 0;
    if (an->ntargets >= PX_MAX_TARGETS)
        return 0;
    char *c = px_arena_strndup(an->arena, h, n);
    if (c == NULL)
        return -1;
    for (size_t i = 0; i < n; i++)
        c[i] = (char)tolower((unsigned char)c[i]);
    an->targets[an->ntargets++] = c;
    return 0;
}

/* Dotted-quad IPv4, optionally with /prefix and :port; returns the length of
 * the address part (without port) or 0. */
static size_t ipv4_len(const char *s)
{
    size_t i = 0;
    for (int part = 0; part < 4; part++) {
        size_t d = 0;
        int v = 0;
        while (isdigit((unsigned char)s[i]) && d < 3) {
            v = v * 10 + (s[i] - '0');
            i++;
            d++;
        }
        if (d == 0 || v > 255)
            return 0;
        if (part < 3) {
            if (s[i] != '.')
                return 0;
            i++;
        }
    }
    if (isdigit((unsigned char)s[i]) || s[i] == '.')
        return 0;
    if (s[i] == '/' && isdigit((unsigned char)s[i + 1])) {
        i++;
        while (isdigit((unsigned char)s[i]))
            i++;
    }
    return i;
}

/* user@host (ssh, scp, rsync): the host part up to ':' or end. */
static int user_at_host(px_analysis *an, const char *arg)
{
    const char *at = strchr(arg, '@');
    const char *slash = strchr(arg, '/');
    if (at == NULL || at == arg || (slash != NULL && slash < at) || strstr(arg, "://") != NULL)
        return 0;
    for (const char *q = arg; q < at; q++)
        if (!isalnum((unsigned char)*q) && *q != '_' && *q != '-' && *q != '.')
            return 0;
    const char *h = at + 1, *e = h;
    while (*e != '\0' && *e != ':' && *e != '/' && !isspace((unsigned char)*e))
        e++;
    if (e == h)
        return 0;
    for (const char *q = h; q < e; q++)
        if (!isalnum((unsigned char)*q) && *q != '-' && *q != '.')
            return 0;
    return add_target(an, h, (size_t)(e - h));
}

/* The HTTP method a URL-fetching command would use: uploads are what
 * exfiltration rules care about. */
static const char *method_of(const px_cmd *c)
{
    int curl = strcmp(c->prog, "curl") == 0, wget = strcmp(c->prog, "wget") == 0;
    if (!curl && !wget)
        return "GET";
    for (int i = 1; i < c->argc; i++) {
        const char *a = c->argv[i];
        if (curl && (strcmp(a, "-X") == 0 || strcmp(a, "--request") == 0) && i + 1 < c->argc)
            return c->argv[i + 1];
        if (curl && strncmp(a, "-X", 2) == 0 && a[2] != '\0')
            return a + 2;
        if (curl && (strcmp(a, "-T") == 0 || strncmp(a, "--upload-file", 13) == 0))
            return "PUT";
        if (curl && (strncmp(a, "-d", 2) == 0 || strncmp(a, "--data", 6) == 0 || strncmp(a, "-F", 2) == 0 ||
                     strncmp(a, "--form", 6) == 0 || strcmp(a, "--json") == 0))
            return "POST";
        if (wget && (strncmp(a, "--post-data", 11) == 0 || strncmp(a, "--post-file", 11) == 0 ||
                     strncmp(a, "--body-file", 11) == 0))
            return "POST";
    }
    return "GET";
}

static int add_url(px_analysis *an, const px_cmd *c, int ci, const char *u, size_t ul)
{
    char host[256];
    size_t hl = px_url_host(u, ul, host, sizeof(host));
    if (hl == 0)
        return 0;
    if (add_target(an, host, hl) != 0)
        return -1;
    const char *m = c != NULL ? method_of(c) : "GET";
    size_t ml = strlen(m), l = ml + 1 + ul;
    char *t = px_arena_alloc(an->arena, l + 1);
    if (t == NULL)
        return -1;
    for (size_t i = 0; i < ml; i++)
        t[i] = (char)toupper((unsigned char)m[i]);
    t[ml] = ' ';
    memcpy(t + ml + 1, u, ul);
    t[l] = '\0';
    return px_actions_add_text(an->arena, &an->actions, PX_TEXT_URL, t, l, ci, NULL) < 0 ? -1 : 0;
}

int px_extract_network(px_analysis *an)
{
    int ntexts = an->actions.ntexts;
    /* URL texts of Network calls already exist: they give targets only. */
    for (int t = 0; t < ntexts; t++) {
        const px_text *tx = &an->actions.texts[t];
        if (tx->kind != PX_TEXT_URL)
            continue;
        const char *u = strchr(tx->s, ' ');
        u = u != NULL ? u + 1 : tx->s;
        char host[256];
        size_t hl = px_url_host(u, strlen(u), host, sizeof(host));
        if (hl > 0 && add_target(an, host, hl) != 0)
            return -1;
    }
    for (int ci = 0; ci < an->actions.ncmds; ci++) {
        const px_cmd *c = &an->actions.cmds[ci];
        for (int i = 1; i < c->argc; i++) {
            const char *a = c->argv[i];
            const char *u = strstr(a, "://");
            if (u != NULL) {
                /* The URL may follow a prefix such as url= or -d@. */
                const char *start = u;
                while (start > a && (isalnum((unsigned char)start[-1]) || start[-1] == '+'))
                    start--;
                if (add_url(an, c, ci, start, strlen(start)) != 0)
                    return -1;
                continue;
            }
            if (user_at_host(an, a) != 0)
                return -1;
            size_t n = ipv4_len(a);
            if (n > 0 && add_target(an, a, n) != 0)
                return -1;
        }
        /* /dev/tcp/HOST/PORT redirections are connections too. */
        for (int r = 0; r < c->nredirs; r++) {
            const char *tg = c->redirs[r].target;
            if (tg != NULL && (strncmp(tg, "/dev/tcp/", 9) == 0 || strncmp(tg, "/dev/udp/", 9) == 0)) {
                const char *h = tg + 9, *e = strchr(h, '/');
                if (e != NULL && e > h && add_target(an, h, (size_t)(e - h)) != 0)
                    return -1;
            }
        }
    }
    return 0;
}
