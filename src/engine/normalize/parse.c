/* The reader: lists, pipelines, compound-command keywords, simple commands,
 * redirections and heredocs.
 *
 * Compound commands are read flat: their keywords are recognised in command
 * position and skipped, and what they enclose is read as ordinary commands.
 * Structure does not matter to the analyzers, every simple command does, and
 * a flat reader needs no recursion for nesting of if/while/{ }/( ). */
#include "engine/normalize/norm_int.h"

typedef struct span {
    size_t b, e;
} span;

void nx_ps_init(nps *ps, nctx *c, const char *s, size_t n, int depth, int parent, uint32_t inherit)
{
    ps->c = c;
    ps->s = s;
    ps->n = n;
    ps->pos = 0;
    ps->depth = depth;
    ps->parent = parent;
    ps->inherit = inherit;
    ps->wflags = 0;
    ps->hd_nl = SIZE_MAX;
    ps->hd_end = 0;
    ps->want_out = false;
    ps->out_nc = false;
    nstr_init(&ps->outb);
    ps->out_flags = 0;
    ps->pipe_pending = false;
    ps->pl_id = -1;
    ps->pl_stage = 0;
    ps->pl_in = false;
    ps->nstages = 0;
    ps->case_top = 0;
    ps->bal = 0;
    ps->kw_if = ps->kw_do = ps->kw_case = 0;
}

/* ---- low-level lexing --------------------------------------------------- */

static void newline(nps *ps)
{
    size_t at = ps->pos;
    ps->pos++;
    if (ps->hd_nl != SIZE_MAX && at == ps->hd_nl) {
        /* heredoc bodies of that line were read already: jump over them */
        ps->pos = ps->hd_end > ps->pos ? ps->hd_end : ps->pos;
        ps->hd_nl = SIZE_MAX;
    }
}

void nx_skip_blanks(nps *ps)
{
    const char *s = ps->s;
    while (ps->pos < ps->n) {
        unsigned char ch = (unsigned char)s[ps->pos];
        if (nx_isblank(ch))
            ps->pos++;
        else if (ch == '\\' && ps->pos + 1 < ps->n && s[ps->pos + 1] == '\n')
            ps->pos += 2;
        else
            break;
    }
}

static void skip_comment(nps *ps)
{
    const char *nl = memchr(ps->s + ps->pos, '\n', ps->n - ps->pos);
    ps->pos = nl ? (size_t)(nl - ps->s) : ps->n;
}

/* Blanks, comments and newlines between commands. */
static void skip_space(nps *ps)
{
    while (ps->pos < ps->n) {
        nx_skip_blanks(ps);
        if (ps->pos >= ps->n)
            break;
        char ch = ps->s[ps->pos];
        if (ch == '\n')
            newline(ps);
        else if (ch == '#')
            skip_comment(ps);
        else
            break;
    }
}

size_t nx_scan_word(nps *ps, size_t pos)
{
    /* inline fast path for plain words; anything else goes to the scanner */
    const char *s = ps->s;
    size_t p = pos, n = ps->n;
    for (;;) {
        while (p < n && !(nx_cc[(unsigned char)s[p]] & CC_WSPEC))
            p++;
        if (p >= n || ((nx_cc[(unsigned char)s[p]] & CC_META) && s[p] != '(' &&
                       !((s[p] == '<' || s[p] == '>') && p + 1 < n && s[p + 1] == '('))) {
            nx_charge(ps->c, p - pos + 1);
            return p;
        }
        /* simple quotes: '..' and ".." without $ ` \ inside */
        if (s[p] == '\'') {
            const char *q = memchr(s + p + 1, '\'', n - p - 1);
            if (q == NULL)
                break;
            p = (size_t)(q - s) + 1;
            continue;
        }
        if (s[p] == '"') {
            size_t q = p + 1;
            while (q < n && s[q] != '"' && s[q] != '$' && s[q] != '`' && s[q] != '\\')
                q++;
            if (q >= n || s[q] != '"')
                break;
            p = q + 1;
            continue;
        }
        break;
    }
    bool un = false;
    size_t e = nx_scan(ps->c, ps->s, ps->n, pos, SC_WORD, &un);
    if (un)
        nx_parse_err(ps->c);
    return e;
}

static bool raw_is(nps *ps, size_t b, size_t e, const char *kw)
{
    return nx_eq(ps->s + b, e - b, kw);
}

/* ---- keywords ------------------------------------------------------------ */

enum kw {
    KW_NONE, KW_IF, KW_THEN, KW_ELSE, KW_ELIF, KW_FI, KW_WHILE, KW_UNTIL, KW_DO, KW_DONE,
    KW_FOR, KW_SELECT, KW_CASE, KW_ESAC, KW_FUNCTION, KW_LBRACE, KW_RBRACE, KW_BANG,
    KW_DBRACK, KW_COPROC,
};

static int keyword(const char *s, size_t n)
{
    /* Most first words are not keywords: decide by length and first byte. */
    switch (n) {
    case 1:
        return s[0] == '{' ? KW_LBRACE : s[0] == '}' ? KW_RBRACE : s[0] == '!' ? KW_BANG : KW_NONE;
    case 2:
        if (s[0] == 'i' && s[1] == 'f')
            return KW_IF;
        if (s[0] == 'f' && s[1] == 'i')
            return KW_FI;
        if (s[0] == 'd' && s[1] == 'o')
            return KW_DO;
        if (s[0] == '[' && s[1] == '[')
            return KW_DBRACK;
        return KW_NONE;
    case 3:
        return memcmp(s, "for", 3) == 0 ? KW_FOR : KW_NONE;
    case 4:
        switch (s[0]) {
        case 't': return memcmp(s, "then", 4) == 0 ? KW_THEN : KW_NONE;
        case 'e':
            return memcmp(s, "else", 4) == 0   ? KW_ELSE
                   : memcmp(s, "elif", 4) == 0 ? KW_ELIF
                   : memcmp(s, "esac", 4) == 0 ? KW_ESAC
                                               : KW_NONE;
        case 'd': return memcmp(s, "done", 4) == 0 ? KW_DONE : KW_NONE;
        case 'c': return memcmp(s, "case", 4) == 0 ? KW_CASE : KW_NONE;
        default: return KW_NONE;
        }
    case 5:
        return memcmp(s, "while", 5) == 0 ? KW_WHILE : memcmp(s, "until", 5) == 0 ? KW_UNTIL : KW_NONE;
    case 6:
        return memcmp(s, "select", 6) == 0 ? KW_SELECT : memcmp(s, "coproc", 6) == 0 ? KW_COPROC : KW_NONE;
    case 8:
        return memcmp(s, "function", 8) == 0 ? KW_FUNCTION : KW_NONE;
    default:
        return KW_NONE;
    }
}

/* Expands words whose substitutions must run but which form no command
 * (case subjects, for lists, [[ ]] operands). */
static void expand_loose(nps *ps, size_t b, size_t e, nwlist *dst)
{
    nctx *c = ps->c;
    int first = c->out->ncmds;
    nx_expand(ps, ps->s + b, e - b, XO_SPLIT | XO_BRACE, dst);
    for (int i = first; i < c->out->ncmds; i++)
        if (c->out->cmds[i].parent == NX_PENDING)
            c->out->cmds[i].parent = ps->parent >= 0 ? ps->parent : -1;
}

static void case_header(nps *ps)
{
    nx_skip_blanks(ps);
    size_t e = nx_scan_word(ps, ps->pos);
    if (e > ps->pos) {
        nwlist l = {0};
        expand_loose(ps, ps->pos, e, &l);
        ps->pos = e;
    }
    skip_space(ps);
    e = nx_scan_word(ps, ps->pos);
    if (raw_is(ps, ps->pos, e, "in"))
        ps->pos = e;
    if (ps->case_top < NX_CASE_MAX)
        ps->case_body[ps->case_top] = 0;
    else
        nx_trunc(ps->c);
    ps->case_top++;
    ps->kw_case++;
}

static void case_pop(nps *ps)
{
    if (ps->case_top > 0)
        ps->case_top--;
    ps->kw_case--;
}

static void case_sep(nps *ps)
{
    if (ps->case_top > 0 && ps->case_top <= NX_CASE_MAX)
        ps->case_body[ps->case_top - 1] = 0;
}

/* At a case item: either `esac` or `[(] pat [| pat]... )`. */
static void case_pattern(nps *ps)
{
    size_t e = nx_scan_word(ps, ps->pos);
    if (raw_is(ps, ps->pos, e, "esac")) {
        ps->pos = e;
        case_pop(ps);
        return;
    }
    if (ps->pos < ps->n && ps->s[ps->pos] == '(')
        ps->pos++;
    while (ps->pos < ps->n && !ps->c->stop) {
        nx_skip_blanks(ps);
        if (ps->pos >= ps->n)
            break;
        char ch = ps->s[ps->pos];
        if (ch == ')') {
            ps->pos++;
            break;
        }
        if (ch == '\n') {
            nx_parse_err(ps->c);
            break;
        }
        e = nx_scan_word(ps, ps->pos);
        ps->pos = e > ps->pos ? e : ps->pos + 1;
    }
    if (ps->case_top > 0 && ps->case_top <= NX_CASE_MAX)
        ps->case_body[ps->case_top - 1] = 1;
}

static void for_header(nps *ps)
{
    nx_skip_blanks(ps);
    if (ps->pos + 1 < ps->n && ps->s[ps->pos] == '(' && ps->s[ps->pos + 1] == '(') {
        bool un;
        ps->pos = nx_scan(ps->c, ps->s, ps->n, ps->pos + 2, SC_ARITH, &un);
        return;
    }
    size_t e = nx_scan_word(ps, ps->pos);
    if (nx_is_name(ps->s + ps->pos, e - ps->pos)) {
        const char *name = nx_strndup(ps->c, ps->s + ps->pos, e - ps->pos);
        if (name != NULL)
            nx_var_unset(ps->c, name, e - ps->pos);
    }
    ps->pos = e;
    skip_space(ps);
    e = nx_scan_word(ps, ps->pos);
    if (!raw_is(ps, ps->pos, e, "in"))
        return;
    ps->pos = e;
    nwlist l = {0};
    while (ps->pos < ps->n && !ps->c->stop) {
        nx_skip_blanks(ps);
        if (ps->pos >= ps->n || nx_is_meta((unsigned char)ps->s[ps->pos]))
            break;
        if (ps->s[ps->pos] == '#') {
            skip_comment(ps);
            break;
        }
        e = nx_scan_word(ps, ps->pos);
        expand_loose(ps, ps->pos, e, &l);
        l.n = 0;
        ps->pos = e;
    }
}

static void function_header(nps *ps)
{
    nx_skip_blanks(ps);
    size_t e = nx_scan_word(ps, ps->pos);
    ps->pos = e;
    nx_skip_blanks(ps);
    if (ps->pos < ps->n && ps->s[ps->pos] == '(') {
        size_t p = ps->pos + 1;
        while (p < ps->n && nx_isblank((unsigned char)ps->s[p]))
            p++;
        if (p < ps->n && ps->s[p] == ')')
            ps->pos = p + 1;
    }
}

/* [[ ... ]]: operands are expanded (their substitutions run), no command. */
static void cond_expr(nps *ps)
{
    nwlist l = {0};
    while (ps->pos < ps->n && !ps->c->stop) {
        nx_skip_blanks(ps);
        if (ps->pos >= ps->n)
            break;
        char ch = ps->s[ps->pos];
        if (ch == '\n') {
            newline(ps);
            continue;
        }
        size_t e = nx_scan_word(ps, ps->pos);
        if (e == ps->pos) {
            ps->pos++; /* && || ( ) < > inside [[ ]] are its operators */
            continue;
        }
        if (raw_is(ps, ps->pos, e, "]]")) {
            ps->pos = e;
            return;
        }
        expand_loose(ps, ps->pos, e, &l);
        l.n = 0;
        ps->pos = e;
    }
    nx_parse_err(ps->c);
}

/* ---- simple commands ---------------------------------------------------- */

typedef struct spanv {
    span *v;
    int   n, cap;
} spanv;

static bool spanv_push(nctx *c, spanv *l, size_t b, size_t e)
{
    if (l->n == l->cap) {
        int ncap = l->cap ? l->cap * 2 : 16;
        span *v = nx_alloc(c, (size_t)ncap * sizeof(*v));
        if (v == NULL)
            return false;
        if (l->n)
            memcpy(v, l->v, (size_t)l->n * sizeof(*v));
        l->v = v;
        l->cap = ncap;
    }
    l->v[l->n].b = b;
    l->v[l->n].e = e;
    l->n++;
    return true;
}

static bool fd_prefix(const char *s, size_t b, size_t e)
{
    if (e - b >= 3 && s[b] == '{' && s[e - 1] == '}')
        return nx_is_name(s + b + 1, e - b - 2);
    if (e - b > 4)
        return false;
    for (size_t k = b; k < e; k++)
        if (!nx_isdigit((unsigned char)s[k]))
            return false;
    return e > b;
}

/* Returns the command index, -1 for nothing, -3 for "something we cannot
 * compute ran" (a redirect-only command). */
static int parse_simple(nps *ps, size_t first_end, bool after_compound)
{
    nctx *c = ps->c;
    const char *s = ps->s;
    span wbuf[16], abuf[4];
    spanv words = {wbuf, 0, 16}, assigns = {abuf, 0, 4};
    rredir rdv[16];
    rredir *rd = rdv;
    int nr = 0, rcap = 16;
    bool toomany = false;

    while (ps->pos < ps->n && !c->stop) {
        nx_skip_blanks(ps);
        if (ps->pos >= ps->n)
            break;
        char ch = s[ps->pos];
        char c1 = ps->pos + 1 < ps->n ? s[ps->pos + 1] : 0;
        if (ch == '\n' || ch == ';' || ch == ')' || ch == '|')
            break;
        if (ch == '&' && c1 != '>')
            break;
        if (ch == '(') {
            if (words.n == 1 && assigns.n == 0 && nr == 0) {
                size_t p = ps->pos + 1;
                while (p < ps->n && nx_isblank((unsigned char)s[p]))
                    p++;
                if (p < ps->n && s[p] == ')') {
                    ps->pos = p + 1; /* name () body: a function definition */
                    return -1;
                }
            }
            break;
        }
        if (ch == '#') {
            skip_comment(ps);
            break;
        }
        size_t fdb = 0, fde = 0;
        bool redir = ((ch == '<' || ch == '>') && c1 != '(') || ch == '&';
        size_t e = 0;
        if (!redir) {
            if (first_end > ps->pos) {
                e = first_end; /* parse_command scanned it already */
                first_end = 0;
            } else {
                e = nx_scan_word(ps, ps->pos);
            }
            if (e == ps->pos) {
                ps->pos++;
                continue;
            }
            if (e < ps->n && (s[e] == '<' || s[e] == '>') && !(e + 1 < ps->n && s[e + 1] == '(') &&
                fd_prefix(s, ps->pos, e)) {
                fdb = ps->pos;
                fde = e;
                ps->pos = e;
                redir = true;
            }
        }
        if (redir) {
            if (nr == rcap) {
                rredir *nv = nx_alloc(c, (size_t)rcap * 2 * sizeof(*nv));
                if (nv == NULL)
                    break;
                memcpy(nv, rd, (size_t)nr * sizeof(*nv));
                rd = nv;
                rcap *= 2;
            }
            rredir *r = &rd[nr++];
            r->fdb = fdb;
            r->fde = fde;
            r->fd = -1;
            if (fde > fdb && nx_isdigit((unsigned char)s[fdb])) {
                int v = 0;
                for (size_t k = fdb; k < fde; k++)
                    v = v * 10 + (s[k] - '0');
                r->fd = v;
            } else if (fde > fdb) {
                r->fd = 10; /* {var}>: bash allocates an fd >= 10 */
            }
            nx_read_redir(ps, r);
            continue;
        }
        if (words.n == 0 && nx_assign_len(s + ps->pos, e - ps->pos) > 0) {
            spanv_push(c, &assigns, ps->pos, e);
        } else if (words.n < c->lim.max_words) {
            spanv_push(c, &words, ps->pos, e);
        } else {
            toomany = true;
        }
        ps->pos = e;
    }
    if (toomany)
        nx_trunc(c);
    if (c->stop)
        return -1;

    int first = c->out->ncmds;
    nword argbuf[16];
    nwlist argv = {argbuf, 0, 16};
    for (int i = 0; i < words.n && !c->stop; i++)
        nx_expand(ps, s + words.v[i].b, words.v[i].e - words.v[i].b, XO_SPLIT | XO_BRACE, &argv);

    /* Assignments: expanded left to right; without a command they persist. */
    nassign *as = assigns.n ? nx_alloc(c, (size_t)assigns.n * sizeof(*as)) : NULL;
    int na = 0;
    for (int i = 0; as != NULL && i < assigns.n && !c->stop; i++) {
        const char *w = s + assigns.v[i].b;
        size_t wl = assigns.v[i].e - assigns.v[i].b;
        size_t k = nx_assign_len(w, wl);
        bool app = w[k] == '+';
        size_t vb = k + (app ? 2 : 1);
        nassign *a = &as[na++];
        a->name = nx_strndup(c, w, k);
        a->nlen = k;
        a->append = app;
        if (a->name == NULL)
            break;
        if (vb < wl && w[vb] == '(') {
            a->val.s = nx_strndup(c, w + vb, wl - vb);
            a->val.len = wl - vb;
            a->val.flags = W_NONCONST;
        } else {
            a->val = nx_expand1(ps, w + vb, wl - vb, XO_ASSIGN);
        }
        if (memchr(w, '[', k) != NULL)
            continue; /* array element: not tracked */
        if (argv.n == 0) {
            if (app) {
                nvar *old = nx_var_get(c, a->name, k);
                if (old != NULL && old->val != NULL && !(a->val.flags & W_NONCONST)) {
                    nstr cat;
                    nstr_init(&cat);
                    nstr_add(c, &cat, old->val, old->vlen);
                    nstr_add(c, &cat, a->val.s, a->val.len);
                    nx_var_set(c, a->name, k, nstr_cstr(c, &cat), cat.len, old->flags | a->val.flags);
                    continue;
                }
            }
            if (a->val.flags & W_NONCONST)
                nx_var_unset(c, a->name, k);
            else
                nx_var_set(c, a->name, k, a->val.s, a->val.len, a->val.flags);
        }
    }

    nredir *rv = nr ? nx_alloc(c, (size_t)nr * sizeof(*rv)) : NULL;
    for (int i = 0; rv != NULL && i < nr && !c->stop; i++) {
        rredir *r = &rd[i];
        nredir *o = &rv[i];
        o->fd = r->fd;
        o->fdtext = r->fde > r->fdb ? nx_strndup(c, s + r->fdb, r->fde - r->fdb) : NULL;
        o->op = r->op;
        o->optext = r->optext;
        o->tflags = 0;
        if (r->op == PX_REDIR_HEREDOC) {
            if (r->quoted) {
                o->target = nx_strndup(c, r->body, r->blen);
                o->tlen = r->blen;
            } else {
                nword w = nx_expand1(ps, r->body, r->blen, XO_HEREDOC);
                o->target = w.s;
                o->tlen = w.len;
                o->tflags = w.flags;
            }
        } else {
            nword w = nx_expand1(ps, s + r->tb, r->te - r->tb, 0);
            o->target = w.s;
            o->tlen = w.len;
            o->tflags = w.flags;
        }
        if (o->target == NULL)
            o->target = "", o->tlen = 0;
    }

    int idx = -1;
    if (argv.n > 0 && !c->stop) {
        idx = nx_build_cmd(ps, argv.v, argv.n, rv, rv ? nr : 0, as, na, 0);
    } else if (words.n == 0 && na == 0 && nr > 0 && rv != NULL && !c->stop &&
               (after_compound || (nr == 1 && rv[0].op == PX_REDIR_IN && ps->want_out && (ps->inherit & PX_CMD_SUBST)))) {
        /* Redirections that act without a command of their own: `$(< file)`
         * is bash's own `cat file`, and those after a compound command
         * (`done < /etc/shadow`, `} > /etc/cron.d/x`) feed it a file or
         * take its output.  They get a command, `cat` when one reads a
         * file, else `:`, so that rules see the files.  A bare `< file`
         * or `> file` on its own runs nothing and stays no command. */
        bool reads = false;
        for (int i = 0; i < nr; i++)
            reads = reads || rv[i].op == PX_REDIR_IN;
        nword w = reads ? (nword){"cat", 3, 0} : (nword){":", 1, 0};
        idx = nx_build_cmd(ps, &w, 1, rv, nr, NULL, 0, 0);
    }
    /* Substitutions of this command waited for its index (also on the way
     * out after a limit stopped us). */
    int pend = idx >= 0 ? idx : c->out->ncmds;
    for (int i = first; i < pend; i++)
        if (c->out->cmds[i].parent == NX_PENDING)
            c->out->cmds[i].parent = idx;
    if (idx < 0 && words.n == 0 && nr > 0)
        return -3;
    return idx;
}

/* Keywords, subshell parentheses, then a simple command. */
static int parse_command(nps *ps)
{
    nctx *c = ps->c;
    int ret = -1;
    size_t first_end = 0;
    while (ps->pos < ps->n && !c->stop) {
        nx_skip_blanks(ps);
        if (ps->pos >= ps->n)
            return ret;
        char ch = ps->s[ps->pos];
        char c1 = ps->pos + 1 < ps->n ? ps->s[ps->pos + 1] : 0;
        if (ch == '\n' || ch == ';' || ch == '|' || ch == ')' || (ch == '&' && c1 != '>'))
            return ret;
        if (ch == '#') {
            skip_comment(ps);
            return ret;
        }
        if (ch == '(') {
            if (c1 == '(') {
                bool un;
                ps->pos = nx_scan(c, ps->s, ps->n, ps->pos + 2, SC_ARITH, &un);
                return -3;
            }
            ps->pos++;
            ps->bal++;
            ret = -3;
            continue;
        }
        if (ch == '<' || ch == '>' || ch == '&')
            break;
        size_t e = nx_scan_word(ps, ps->pos);
        switch (keyword(ps->s + ps->pos, e - ps->pos)) {
        case KW_NONE:
            first_end = e;
            goto simple;
        case KW_IF:
            ps->kw_if++;
            break;
        case KW_FI:
            ps->kw_if--;
            break;
        case KW_WHILE:
        case KW_UNTIL:
            ps->kw_do++;
            break;
        case KW_DONE:
            ps->kw_do--;
            break;
        case KW_LBRACE:
            ps->bal++;
            break;
        case KW_RBRACE:
            ps->bal--;
            break;
        case KW_CASE:
            ps->pos = e;
            case_header(ps);
            return -3;
        case KW_ESAC:
            case_pop(ps);
            break;
        case KW_FOR:
        case KW_SELECT:
            ps->kw_do++;
            ps->pos = e;
            for_header(ps);
            return -3;
        case KW_FUNCTION:
            ps->pos = e;
            function_header(ps);
            ret = -3;
            continue;
        case KW_DBRACK:
            ps->pos = e;
            cond_expr(ps);
            return -3;
        default:
            break;
        }
        ps->pos = e;
        ret = -3;
    }
simple:
    if (ps->pos >= ps->n || c->stop)
        return ret;
    int r = parse_simple(ps, first_end, ret == -3 && first_end == 0);
    return r == -1 ? ret : r;
}

/* ---- pipelines ------------------------------------------------------- */

static void set_flag(nctx *c, int idx, uint32_t f)
{
    if (idx >= 0 && idx < c->out->ncmds)
        c->out->cmds[idx].flags |= f;
}

static void parse_pipeline(nps *ps)
{
    nctx *c = ps->c;
    bool nc = false;
    ps->pl_id = -1;
    ps->pl_stage = 0;
    ps->nstages = 0;
    ps->pl_in = ps->pipe_pending;
    ps->pipe_pending = false;
    for (;;) {
        int idx = parse_command(ps);
        if (idx >= 0) {
            if (ps->nstages < NX_STAGES_MAX)
                ps->stages[ps->nstages++] = idx;
            else
                nc = true;
        } else if (idx == -3) {
            nc = true;
            if (ps->nstages < NX_STAGES_MAX)
                ps->stages[ps->nstages++] = -1;
        }
        if (c->stop)
            return;
        nx_skip_blanks(ps);
        if (ps->pos < ps->n && ps->s[ps->pos] == '|' &&
            !(ps->pos + 1 < ps->n && ps->s[ps->pos + 1] == '|')) {
            ps->pos++;
            if (ps->pos < ps->n && ps->s[ps->pos] == '&')
                ps->pos++;
            set_flag(c, idx, PX_CMD_PIPE_OUT);
            ps->pl_stage++;
            skip_space(ps);
            if (ps->pos >= ps->n)
                nx_parse_err(c);
            continue;
        }
        break;
    }
    if (ps->pos < ps->n && ps->s[ps->pos] == '&' &&
        !(ps->pos + 1 < ps->n && (ps->s[ps->pos + 1] == '&' || ps->s[ps->pos + 1] == '>'))) {
        ps->pos++;
        for (int k = 0; k < ps->nstages; k++)
            set_flag(c, ps->stages[k], PX_CMD_BACKGROUND);
    }
    const char *o = NULL;
    size_t ol = 0;
    uint32_t of = 0;
    bool k = !nc && nx_pipeline_flow(ps, &o, &ol, &of);
    if (ps->want_out) {
        if (k) {
            nstr_add(c, &ps->outb, o, ol);
            ps->out_flags |= of;
        } else if (nc || ps->nstages > 0) {
            ps->out_nc = true;
        }
    }
}

void nx_parse_body(nps *ps)
{
    nctx *c = ps->c;
    while (!c->stop) {
        skip_space(ps);
        if (ps->pos >= ps->n)
            break;
        const char *s = ps->s;
        char ch = s[ps->pos];
        char c1 = ps->pos + 1 < ps->n ? s[ps->pos + 1] : 0;
        if (ch == ';') {
            ps->pos++;
            if (c1 == ';' || c1 == '&') {
                ps->pos++;
                if (ps->pos < ps->n && s[ps->pos] == '&')
                    ps->pos++;
                case_sep(ps);
            }
            continue;
        }
        if (ch == '&') {
            ps->pos += c1 == '&' ? 2 : 1;
            continue;
        }
        if (ch == '|') {
            ps->pos++;
            if (c1 == '|') {
                ps->pos++;
            } else {
                if (c1 == '&')
                    ps->pos++;
                ps->pipe_pending = true;
            }
            continue;
        }
        if (ch == ')') {
            ps->pos++;
            if (--ps->bal < 0) {
                nx_parse_err(c);
                ps->bal = 0;
            }
            continue;
        }
        if (ps->case_top > 0 && ps->case_top <= NX_CASE_MAX && !ps->case_body[ps->case_top - 1]) {
            case_pattern(ps);
            continue;
        }
        size_t before = ps->pos;
        parse_pipeline(ps);
        if (ps->pos == before && !c->stop)
            ps->pos++; /* never loop without progress */
    }
    if (!c->stop && (ps->bal != 0 || ps->kw_if != 0 || ps->kw_do != 0 || ps->kw_case != 0))
        nx_parse_err(c);
}

