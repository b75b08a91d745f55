/* Finding where a word, substitution or line ends.
 *
 * The scanner does not interpret anything; it only tracks enough nesting
 * (quotes, $( ), ${ }, backticks, $(( )), heredocs and case patterns inside
 * substitutions) to find the matching end, iteratively with an explicit
 * bounded stack so hostile nesting cannot exhaust the C stack. */
#include "engine/normalize/norm_int.h"

enum {
    K_WORD, K_CODE, K_PAREN, K_ARITH, K_BQ, K_BRACE, K_DQ, K_LINE,
};

typedef struct sframe {
    uint8_t kind;
    uint8_t ncase;   /* open `case` statements (their ')' do not close) */
    uint16_t paren;  /* open '(' inside $(( )) */
} sframe;

enum { HD_MAX = 4, HD_DELIM = 64 };

typedef struct hdpend {
    char   delim[HD_DELIM];
    size_t dlen;
    bool   strip;
} hdpend;

#define M (CC_META | CC_WSPEC)
#define W CC_WSPEC
#define X CC_XSPEC
const uint8_t nx_cc[256] = {
    ['\0'] = M | X, [' '] = M, ['\t'] = M, ['\n'] = M, ['\r'] = M,
    [';'] = M, ['&'] = M, ['|'] = M, ['<'] = M | X, ['>'] = M | X, ['('] = M, [')'] = M,
    ['\\'] = W | X, ['\''] = W | X, ['"'] = W | X, ['$'] = W | X, ['`'] = W | X,
    ['~'] = X, ['*'] = X, ['?'] = X, ['['] = X,
};
#undef M
#undef W
#undef X

bool nx_is_meta(unsigned char ch)
{
    return nx_cc[ch] & CC_META;
}

bool nx_is_arith(const char *s, size_t n, size_t pos)
{
    /* bash tries arithmetic first and falls back to a subshell when the
     * parentheses do not close with "))".  The look-ahead is bounded so that
     * many nested "$((" stay linear; an unclosed long one counts as arithmetic. */
    int depth = 0;
    size_t lim = pos + 4096 < n ? pos + 4096 : n;
    for (size_t i = pos; i < lim; i++) {
        char ch = s[i];
        if (ch == '(')
            depth++;
        else if (ch == ')') {
            if (depth == 0)
                return i + 1 < n && s[i + 1] == ')';
            depth--;
        } else if (ch == '\'' || ch == ';' || ch == '\n' || ch == '|' || ch == '&') {
            /* not arithmetic syntax: a command list */
            if (ch == '&' && i + 1 < n && s[i + 1] == '&')
                continue;
            if (ch == '|' && i + 1 < n && s[i + 1] == '|')
                continue;
            return false;
        }
    }
    return true;
}

static size_t skip_squote(const char *s, size_t n, size_t pos, bool *unterm)
{
    const char *q = memchr(s + pos, '\'', n - pos);
    if (q == NULL) {
        *unterm = true;
        return n;
    }
    return (size_t)(q - s) + 1;
}

static size_t skip_ansi(const char *s, size_t n, size_t pos, bool *unterm)
{
    while (pos < n) {
        if (s[pos] == '\\')
            pos += 2;
        else if (s[pos] == '\'')
            return pos + 1;
        else
            pos++;
    }
    *unterm = true;
    return n;
}

/* Reads a heredoc delimiter word at pos (after "<<" / "<<-"), quotes removed. */
static size_t read_delim(const char *s, size_t n, size_t pos, hdpend *h)
{
    while (pos < n && (s[pos] == ' ' || s[pos] == '\t'))
        pos++;
    h->dlen = 0;
    char q = 0;
    while (pos < n) {
        char ch = s[pos];
        if (q) {
            if (ch == q)
                q = 0;
            else if (h->dlen < HD_DELIM)
                h->delim[h->dlen++] = ch;
            pos++;
            continue;
        }
        if (ch == '\'' || ch == '"') {
            q = ch;
            pos++;
            continue;
        }
        if (ch == '\\' && pos + 1 < n) {
            if (h->dlen < HD_DELIM)
                h->delim[h->dlen++] = s[pos + 1];
            pos += 2;
            continue;
        }
        if (nx_is_meta((unsigned char)ch))
            break;
        if (h->dlen < HD_DELIM)
            h->delim[h->dlen++] = ch;
        pos++;
    }
    return pos;
}

/* Skips heredoc bodies starting at pos (the start of the line after "<<"). */
static size_t skip_bodies(const char *s, size_t n, size_t pos, hdpend *hd, int nhd)
{
    for (int k = 0; k < nhd && pos < n; k++) {
        while (pos < n) {
            const char *nl = memchr(s + pos, '\n', n - pos);
            size_t e = nl ? (size_t)(nl - s) : n;
            size_t b = pos;
            if (hd[k].strip)
                while (b < e && s[b] == '\t')
                    b++;
            pos = nl ? e + 1 : n;
            if (e - b == hd[k].dlen && memcmp(s + b, hd[k].delim, hd[k].dlen) == 0)
                break;
        }
    }
    return pos;
}

static bool is_kw_at(const char *s, size_t n, size_t pos, const char *kw, size_t kl)
{
    if (pos + kl > n || memcmp(s + pos, kw, kl) != 0)
        return false;
    return pos + kl == n || nx_is_meta((unsigned char)s[pos + kl]);
}

size_t nx_scan(nctx *c, const char *s, size_t n, size_t pos, int mode, bool *unterminated)
{
    sframe st[NX_SCAN_STACK];
    hdpend hd[HD_MAX];
    int nhd = 0;
    int top = 0;
    size_t start = pos;
    bool wstart = true;
    bool unterm = false;

    if (mode == SC_WORD) {
        /* Fast path: most words are plain text up to a blank. */
        while (pos < n && !(nx_cc[(unsigned char)s[pos]] & CC_WSPEC))
            pos++;
        bool slow = false;
        if (pos < n) {
            char ch = s[pos];
            if (!(nx_cc[(unsigned char)ch] & CC_META))
                slow = true; /* a quote or $ inside the word */
            else if (ch == '(' || ((ch == '<' || ch == '>') && pos + 1 < n && s[pos + 1] == '('))
                slow = true; /* extglob, array, process substitution */
        }
        if (!slow) {
            nx_charge(c, pos - start + 1);
            if (unterminated)
                *unterminated = false;
            return pos;
        }
    }
    switch (mode) {
    case SC_WORD: st[0].kind = K_WORD; break;
    case SC_SUBST: st[0].kind = K_CODE; break;
    case SC_ARITH: st[0].kind = K_ARITH; break;
    case SC_BQ: st[0].kind = K_BQ; break;
    case SC_BRACE: st[0].kind = K_BRACE; break;
    case SC_DQ: st[0].kind = K_DQ; break;
    default: st[0].kind = K_LINE; break;
    }
    st[0].ncase = 0;
    st[0].paren = 0;

#define PUSH(k)                                   \
    do {                                          \
        if (top + 1 >= NX_SCAN_STACK)             \
            goto overflow;                        \
        top++;                                    \
        st[top].kind = (k);                       \
        st[top].ncase = 0;                        \
        st[top].paren = 0;                        \
    } while (0)
#define POP()                                     \
    do {                                          \
        if (top == 0)                             \
            goto done;                            \
        top--;                                    \
    } while (0)

    while (pos < n) {
        unsigned char ch = (unsigned char)s[pos];
        sframe *f = &st[top];
        switch (f->kind) {
        case K_DQ:
            if (ch == '"') {
                pos++;
                POP();
            } else if (ch == '\\') {
                pos += 2;
            } else if (ch == '`') {
                pos++;
                PUSH(K_BQ);
            } else if (ch == '$' && pos + 1 < n && s[pos + 1] == '(') {
                if (pos + 2 < n && s[pos + 2] == '(' && nx_is_arith(s, n, pos + 3)) {
                    pos += 3;
                    PUSH(K_ARITH);
                } else {
                    pos += 2;
                    PUSH(K_CODE);
                }
            } else if (ch == '$' && pos + 1 < n && s[pos + 1] == '{') {
                pos += 2;
                PUSH(K_BRACE);
            } else {
                pos++;
            }
            continue;
        case K_BQ:
            if (ch == '`') {
                pos++;
                POP();
            } else if (ch == '\\') {
                pos += 2;
            } else {
                pos++;
            }
            continue;
        default:
            break;
        }

        /* Contexts where quoting works normally. */
        if (f->kind == K_WORD && nx_is_meta(ch)) {
            if ((ch == '<' || ch == '>') && pos + 1 < n && s[pos + 1] == '(') {
                pos += 2;
                PUSH(K_CODE);
                continue;
            }
            if (ch == '(' && pos > start && nx_in("?*+@!=", s[pos - 1])) {
                /* extglob @(a|b) or array assignment a=(x y) */
                pos++;
                PUSH(K_PAREN);
                continue;
            }
            goto done;
        }
        if (f->kind == K_BRACE && ch == '}') {
            pos++;
            POP();
            continue;
        }
        if (f->kind == K_ARITH) {
            if (ch == '(') {
                f->paren++;
                pos++;
                continue;
            }
            if (ch == ')') {
                if (f->paren > 0) {
                    f->paren--;
                    pos++;
                    continue;
                }
                pos += (pos + 1 < n && s[pos + 1] == ')') ? 2 : 1;
                POP();
                continue;
            }
        }
        bool code = f->kind == K_CODE || f->kind == K_PAREN || f->kind == K_LINE;
        if (code) {
            if (ch == '\n') {
                if (f->kind == K_LINE && top == 0)
                    goto done;
                pos++;
                if (nhd > 0) {
                    pos = skip_bodies(s, n, pos, hd, nhd);
                    nhd = 0;
                }
                wstart = true;
                continue;
            }
            if (ch == ')') {
                pos++;
                if (f->kind == K_LINE)
                    ;
                else if (f->ncase > 0 && f->kind == K_CODE)
                    ; /* a case pattern's ')' */
                else if (f->ncase > 0 && f->kind == K_PAREN)
                    ;
                else
                    POP();
                wstart = true;
                continue;
            }
            if (ch == '(') {
                pos++;
                PUSH(K_PAREN);
                wstart = true;
                continue;
            }
            if (ch == '#' && wstart) {
                const char *nl = memchr(s + pos, '\n', n - pos);
                pos = nl ? (size_t)(nl - s) : n;
                continue;
            }
            if (ch == '<' && pos + 1 < n && s[pos + 1] == '<' &&
                !(pos + 2 < n && s[pos + 2] == '<')) {
                pos += 2;
                bool strip = false;
                if (pos < n && s[pos] == '-') {
                    strip = true;
                    pos++;
                }
                hdpend tmp;
                pos = read_delim(s, n, pos, &tmp);
                tmp.strip = strip;
                if (nhd < HD_MAX && tmp.dlen > 0)
                    hd[nhd++] = tmp;
                wstart = false;
                continue;
            }
            if (wstart && (ch == 'c' || ch == 'e')) {
                if (is_kw_at(s, n, pos, "case", 4)) {
                    if (f->ncase < 255)
                        f->ncase++;
                    pos += 4;
                    wstart = false;
                    continue;
                }
                if (is_kw_at(s, n, pos, "esac", 4)) {
                    if (f->ncase > 0)
                        f->ncase--;
                    pos += 4;
                    wstart = false;
                    continue;
                }
            }
            wstart = nx_is_meta(ch);
        }
        switch (ch) {
        case '\\':
            pos += 2;
            break;
        case '\'':
            if (f->kind == K_BRACE && top > 0 && st[top - 1].kind == K_DQ) {
                pos++; /* "${a:-'x'}": the quote is literal */
                break;
            }
            pos = skip_squote(s, n, pos + 1, &unterm);
            break;
        case '"':
            pos++;
            PUSH(K_DQ);
            break;
        case '`':
            pos++;
            PUSH(K_BQ);
            break;
        case '$':
            if (pos + 1 >= n) {
                pos++;
                break;
            }
            switch (s[pos + 1]) {
            case '\'':
                pos = skip_ansi(s, n, pos + 2, &unterm);
                break;
            case '"':
                pos += 2;
                PUSH(K_DQ);
                break;
            case '(':
                if (pos + 2 < n && s[pos + 2] == '(' && nx_is_arith(s, n, pos + 3)) {
                    pos += 3;
                    PUSH(K_ARITH);
                } else {
                    pos += 2;
                    PUSH(K_CODE);
                }
                break;
            case '{':
                pos += 2;
                PUSH(K_BRACE);
                break;
            default:
                pos++;
            }
            break;
        default:
            pos++;
        }
    }
    /* Input ended inside something. */
    if (pos > n)
        pos = n;
    if (top > 0 || (mode != SC_WORD && mode != SC_LINE))
        unterm = true;
done:
    if (pos > n)
        pos = n;
    nx_charge(c, pos - start + 1);
    if (unterminated)
        *unterminated = unterm;
    return pos;

overflow:
    /* Deeper than we track: swallow the rest as one opaque span. */
    nx_trunc(c);
    nx_charge(c, n - start + 1);
    if (unterminated)
        *unterminated = false;
    return n;
#undef PUSH
#undef POP
}
