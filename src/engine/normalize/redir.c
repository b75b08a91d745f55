/* Redirection operators and heredoc bodies.
 *
 * A heredoc body starts after the line holding its operator: the first
 * heredoc of a line finds that line's end with the scanner, bodies are read
 * in order from there, and the reader jumps over them when it reaches the
 * newline (see newline() in parse.c). */
#include "engine/normalize/norm_int.h"

static void read_heredoc(nps *ps, const char *delim, size_t dl, bool strip, rredir *r)
{
    nctx *c = ps->c;
    const char *s = ps->s;
    size_t n = ps->n;
    if (ps->hd_nl == SIZE_MAX || ps->pos > ps->hd_nl) {
        /* first heredoc of this line: its body starts after the line */
        size_t nl = nx_scan(c, s, n, ps->pos, SC_LINE, NULL);
        ps->hd_nl = nl;
        ps->hd_end = nl < n ? nl + 1 : n;
    }
    size_t start = ps->hd_end, p = start;
    bool found = false;
    while (p < n) {
        const char *nl = memchr(s + p, '\n', n - p);
        size_t e = nl ? (size_t)(nl - s) : n;
        size_t b = p;
        if (strip)
            while (b < e && s[b] == '\t')
                b++;
        size_t le = e;
        if (le > b && s[le - 1] == '\r')
            le--;
        if (le - b == dl && memcmp(s + b, delim, dl) == 0) {
            r->body = s + start;
            r->blen = p - start;
            ps->hd_end = nl ? e + 1 : n;
            found = true;
            break;
        }
        p = nl ? e + 1 : n;
    }
    if (!found) {
        /* bash: "here-document delimited by end-of-file"; it still runs */
        r->body = s + start;
        r->blen = n - start;
        ps->hd_end = n;
    }
    nx_charge(c, r->blen + 1);
    if (strip && r->blen > 0) {
        nstr b;
        nstr_init(&b);
        bool bol = true;
        for (size_t i = 0; i < r->blen; i++) {
            char ch = r->body[i];
            if (bol && ch == '\t')
                continue;
            bol = ch == '\n';
            nstr_addc(c, &b, ch);
        }
        r->body = b.p ? b.p : "";
        r->blen = b.len;
    }
}

/* Reads a redirection operator at pos (fd given by the caller, or -1). */
void nx_read_redir(nps *ps, rredir *r)
{
    const char *s = ps->s;
    size_t n = ps->n, p = ps->pos;
    char c0 = s[p], c1 = p + 1 < n ? s[p + 1] : 0, c2 = p + 2 < n ? s[p + 2] : 0;
    int dfd = 1;
    if (c0 == '<') {
        dfd = 0;
        if (c1 == '<' && c2 == '<')
            r->op = PX_REDIR_HERESTRING, r->optext = "<<<", p += 3;
        else if (c1 == '<' && c2 == '-')
            r->op = PX_REDIR_HEREDOC, r->optext = "<<-", p += 3;
        else if (c1 == '<')
            r->op = PX_REDIR_HEREDOC, r->optext = "<<", p += 2;
        else if (c1 == '&')
            r->op = PX_REDIR_DUP, r->optext = "<&", p += 2;
        else if (c1 == '>')
            r->op = PX_REDIR_INOUT, r->optext = "<>", p += 2;
        else
            r->op = PX_REDIR_IN, r->optext = "<", p += 1;
    } else if (c0 == '>') {
        if (c1 == '>')
            r->op = PX_REDIR_APPEND, r->optext = ">>", p += 2;
        else if (c1 == '&')
            r->op = PX_REDIR_DUP, r->optext = ">&", p += 2;
        else if (c1 == '|')
            r->op = PX_REDIR_OUT, r->optext = ">|", p += 2;
        else
            r->op = PX_REDIR_OUT, r->optext = ">", p += 1;
    } else { /* &> &>> */
        if (c2 == '>')
            r->op = PX_REDIR_APPEND, r->optext = "&>>", p += 3;
        else
            r->op = PX_REDIR_OUT, r->optext = "&>", p += 2;
    }
    if (r->fd < 0)
        r->fd = dfd;
    ps->pos = p;
    nx_skip_blanks(ps);
    size_t e = ps->pos < n ? nx_scan_word(ps, ps->pos) : ps->pos;
    r->tb = ps->pos;
    r->te = e;
    r->body = NULL;
    r->blen = 0;
    r->quoted = false;
    if (e == ps->pos)
        nx_parse_err(ps->c);
    ps->pos = e;
    if (r->op == PX_REDIR_DUP) {
        /* >&word with a non-number word is "stdout and stderr to file" */
        bool num = e > r->tb;
        for (size_t k = r->tb; k < e; k++)
            if (!nx_isdigit((unsigned char)s[k]) && !(s[k] == '-' && k + 1 == e))
                num = false;
        if (!num)
            r->op = s[r->tb - 1] == '&' && r->optext[0] == '<' ? PX_REDIR_IN : PX_REDIR_OUT;
    }
    if (r->op == PX_REDIR_HEREDOC) {
        char dbuf[256];
        size_t dl = 0;
        char q = 0;
        for (size_t k = r->tb; k < e; k++) {
            char ch = s[k];
            if (q) {
                if (ch == q)
                    q = 0;
                else if (dl < sizeof(dbuf))
                    dbuf[dl++] = ch;
                continue;
            }
            if (ch == '\'' || ch == '"') {
                q = ch;
                r->quoted = true;
                continue;
            }
            if (ch == '\\' && k + 1 < e) {
                r->quoted = true;
                k++;
                ch = s[k];
            }
            if (dl < sizeof(dbuf))
                dbuf[dl++] = ch;
        }
        read_heredoc(ps, dbuf, dl, r->optext[2] == '-', r);
    }
}

