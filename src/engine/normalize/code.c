/* Shell-outs inside interpreter code.
 *
 * The code itself is matched as a CODE text; this finds the string literals
 * handed to well-known process-spawning calls (system(), os.popen,
 * subprocess.*, child_process.exec, backticks, qx{}, awk pipes, vim :!, ...)
 * and reads each as shell, so `awk 'BEGIN{system("/bin/sh")}'` yields a
 * command whose prog is sh.  A lexical scan, not a parser: literals and
 * lists of literals are understood, computed strings are not. */
#include "engine/normalize/norm_int.h"

enum {
    C_QUAL   = 1u << 0,  /* only as a method: subprocess.call, os.execute */
    C_EXECV  = 1u << 1,  /* (path, argv0, args...): argv0 repeats the path */
    C_NOPY   = 1u << 2,  /* not in Python or awk (Python's exec runs Python) */
    C_PIPE   = 1u << 3,  /* perl open(): only "|cmd" / "cmd|" strings */
    C_TCL    = 1u << 4,  /* Tcl: the rest of the command is the command */
};

typedef struct ncall {
    const char *name;
    uint8_t     flags;
} ncall;

static const ncall CALLS[] = {
    {"system", 0}, {"system2", 0}, {"popen", 0}, {"popen2", 0}, {"popen3", 0}, {"popen4", 0},
    {"proc_open", 0}, {"shell_exec", 0}, {"passthru", 0}, {"pcntl_exec", 0},
    {"exec", C_NOPY}, {"execl", C_EXECV}, {"execle", C_EXECV}, {"execlp", C_EXECV},
    {"execv", C_EXECV}, {"execve", C_EXECV}, {"execvp", C_EXECV}, {"execvpe", C_EXECV},
    {"spawnl", C_EXECV}, {"spawnlp", C_EXECV}, {"spawnv", C_EXECV}, {"spawnvp", C_EXECV},
    {"posix_spawn", C_EXECV}, {"posix_spawnp", C_EXECV},
    {"spawn", 0}, {"spawnSync", 0}, {"execSync", 0}, {"execFile", 0}, {"execFileSync", 0},
    {"Popen", 0}, {"check_output", 0}, {"check_call", 0}, {"getoutput", 0},
    {"getstatusoutput", 0}, {"call", C_QUAL}, {"run", C_QUAL}, {"execute", C_QUAL},
    {"capture2", C_QUAL}, {"capture2e", C_QUAL}, {"capture3", C_QUAL},
    {"open", C_PIPE}, {"exec_command", C_QUAL}, {"shell", C_QUAL},
};

static bool is_ident(unsigned char ch)
{
    return ch == '_' || nx_isalnum(ch);
}

/* Reads a string literal at s[*i] into b; returns false if none. */
static bool lit(nctx *c, const char *s, size_t n, size_t *ip, nstr *b, bool js)
{
    size_t i = *ip;
    /* perl q{..} qq{..} */
    if (s[i] == 'q') {
        size_t d = i + 1 + (i + 1 < n && s[i + 1] == 'q');
        if (d < n && nx_in("{([<|/!", s[d])) {
            char open = s[d], close = open == '{' ? '}' : open == '(' ? ')' : open == '[' ? ']'
                                                          : open == '<' ? '>' : open;
            int depth = 1;
            size_t k = d + 1;
            while (k < n) {
                if (s[k] == '\\' && k + 1 < n) {
                    nstr_addc(c, b, s[k + 1]);
                    k += 2;
                    continue;
                }
                if (s[k] == close && --depth == 0)
                    break;
                if (s[k] == open && open != close)
                    depth++;
                nstr_addc(c, b, s[k++]);
            }
            *ip = k < n ? k + 1 : n;
            return true;
        }
    }
    /* python prefixes r"", b'', f"" */
    size_t p = i;
    while (p < n && p - i < 2 && nx_in("rRbBuUfF", s[p]))
        p++;
    if (p >= n || !(s[p] == '"' || s[p] == '\'' || (js && s[p] == '`')))
        return false;
    bool raw = memchr(s + i, 'r', p - i) || memchr(s + i, 'R', p - i);
    char q = s[p];
    size_t k = p + 1;
    bool triple = k + 1 < n && s[k] == q && s[k + 1] == q;
    if (triple)
        k += 2;
    while (k < n) {
        char ch = s[k];
        if (ch == q && (!triple || (k + 2 < n && s[k + 1] == q && s[k + 2] == q))) {
            *ip = k + (triple ? 3 : 1);
            return true;
        }
        if (ch == '\\' && k + 1 < n && !raw) {
            char e = s[k + 1];
            switch (e) {
            case 'n': nstr_addc(c, b, '\n'); break;
            case 't': nstr_addc(c, b, '\t'); break;
            case 'r': nstr_addc(c, b, '\r'); break;
            case '\\': case '\'': case '"': case '`': case '$': nstr_addc(c, b, e); break;
            case 'x':
                if (k + 3 < n) {
                    int v = 0, ok = 1;
                    for (int j = 2; j < 4; j++) {
                        char h = s[k + (size_t)j];
                        int d = (h >= '0' && h <= '9') ? h - '0'
                                : ((h | 0x20) >= 'a' && (h | 0x20) <= 'f') ? (h | 0x20) - 'a' + 10
                                                                          : -1;
                        if (d < 0)
                            ok = 0;
                        v = v * 16 + d;
                    }
                    if (ok && v != 0) {
                        nstr_addc(c, b, (char)v);
                        k += 4;
                        continue;
                    }
                }
                nstr_addc(c, b, '\\');
                nstr_addc(c, b, e);
                break;
            default:
                nstr_addc(c, b, '\\');
                nstr_addc(c, b, e);
            }
            k += 2;
            continue;
        }
        nstr_addc(c, b, ch);
        k++;
    }
    *ip = n;
    return true;
}

static size_t skip_ws(const char *s, size_t n, size_t i)
{
    while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
        i++;
    return i;
}

typedef struct sargs {
    nstr   one[8];
    int    n;
} sargs;

/* Skips one argument we cannot read (a variable, an expression) up to the
 * next ',' or the closing parenthesis at the same nesting. */
static size_t skip_arg(const char *s, size_t n, size_t i)
{
    int depth = 0;
    while (i < n) {
        char ch = s[i];
        if (ch == '"' || ch == '\'') {
            const char *q = memchr(s + i + 1, ch, n - i - 1);
            i = q ? (size_t)(q - s) + 1 : n;
            continue;
        }
        if (ch == '(' || ch == '[' || ch == '{')
            depth++;
        else if (ch == ')' || ch == ']' || ch == '}') {
            if (depth == 0)
                return i;
            depth--;
        } else if ((ch == ',' || ch == ';' || ch == '\n') && depth == 0)
            return i;
        i++;
    }
    return n;
}

/* Arguments after a call name: literals and [lists] of literals. */
static void call_args(nctx *c, const char *s, size_t n, size_t i, sargs *a, bool js)
{
    a->n = 0;
    i = skip_ws(s, n, i);
    bool paren = i < n && s[i] == '(';
    if (paren)
        i++;
    else if (i < n && s[i] == '{')
        return; /* perl exec {'/bin/sh'} is too rare to matter */
    for (int guard = 0; guard < 16 && i < n && a->n < 8; guard++) {
        i = skip_ws(s, n, i);
        if (i < n && (s[i] == '[' || s[i] == '(')) {
            char close = s[i] == '[' ? ']' : ')';
            i++;
            while (i < n && a->n < 8) {
                i = skip_ws(s, n, i);
                nstr_init(&a->one[a->n]);
                if (!lit(c, s, n, &i, &a->one[a->n], js))
                    break;
                a->n++;
                i = skip_ws(s, n, i);
                if (i < n && s[i] == ',')
                    i++;
            }
            while (i < n && s[i] != close && s[i] != ')' && s[i] != ';' && s[i] != '\n')
                i++;
            if (i < n && s[i] == close)
                i++;
        } else {
            nstr_init(&a->one[a->n]);
            if (lit(c, s, n, &i, &a->one[a->n], js))
                a->n++;
            else if (!paren)
                break;
        }
        if (paren)
            i = skip_arg(s, n, i); /* "ls " + dir, shell=True, ... */
        i = skip_ws(s, n, i);
        if (i < n && s[i] == ',')
            i++;
        else
            break;
    }
}

static bool needs_quote(const char *s, size_t n)
{
    if (n == 0)
        return true;
    for (size_t i = 0; i < n; i++)
        if (!(nx_isalnum((unsigned char)s[i]) || nx_in("/._-=:,+@%", s[i])))
            return true;
    return false;
}

static int emit(nps *ps, int idx, const char *s, size_t n, uint32_t child, uint32_t wflags)
{
    nctx *c = ps->c;
    while (n > 0 && (s[0] == ' ' || s[0] == '\t'))
        s++, n--;
    if (n == 0 || c->stop || idx < 0 || idx >= c->out->ncmds)
        return 0;
    nx_parse_nested(c, s, n, c->out->cmds[idx].depth, idx, child, wflags, false);
    return 1;
}

static int emit_args(nps *ps, int idx, sargs *a, uint8_t flags, uint32_t child, uint32_t wflags)
{
    nctx *c = ps->c;
    if (a->n == 0)
        return 0;
    if (flags & C_PIPE) {
        /* perl open(F, "|cmd") / open(F, "cmd|") / open(F, "-|", "cmd") */
        for (int k = 0; k < a->n; k++) {
            nstr *t = &a->one[k];
            if (t->len == 2 && (memcmp(t->p, "-|", 2) == 0 || memcmp(t->p, "|-", 2) == 0)) {
                if (k + 1 < a->n) /* 3-argument form: the mode, then the command */
                    return emit(ps, idx, a->one[k + 1].p, a->one[k + 1].len, child, wflags);
                return 0;
            }
            if (t->len > 1 && t->p[0] == '|')
                return emit(ps, idx, t->p + 1, t->len - 1, child, wflags);
            if (t->len > 1 && t->p[t->len - 1] == '|')
                return emit(ps, idx, t->p, t->len - 1, child, wflags);
        }
        return 0;
    }
    if (a->n == 1)
        return emit(ps, idx, a->one[0].p ? a->one[0].p : "", a->one[0].len, child, wflags);
    int skip = -1;
    if ((flags & C_EXECV) && a->n >= 2) {
        const char *p0 = nstr_cstr(c, &a->one[0]), *p1 = nstr_cstr(c, &a->one[1]);
        if (strcmp(nx_basename(p0), nx_basename(p1)) == 0)
            skip = 1;
    }
    nstr b;
    nstr_init(&b);
    for (int k = 0; k < a->n; k++) {
        if (k == skip)
            continue;
        if (b.len)
            nstr_addc(c, &b, ' ');
        nstr *t = &a->one[k];
        if (k > 0 && needs_quote(t->p, t->len)) {
            nstr_addc(c, &b, '\'');
            for (size_t j = 0; j < t->len; j++) {
                if (t->p[j] == '\'')
                    nstr_adds(c, &b, "'\\''");
                else
                    nstr_addc(c, &b, t->p[j]);
            }
            nstr_addc(c, &b, '\'');
        } else {
            nstr_add(c, &b, t->p, t->len);
        }
    }
    return emit(ps, idx, b.p ? b.p : "", b.len, child, wflags);
}

/* qx{..} %x(..) `..`: the quoted command up to the matching delimiter. */
static size_t quoted_cmd(const char *s, size_t n, size_t i, char open, size_t *b, size_t *e)
{
    char close = open == '(' ? ')' : open == '{' ? '}' : open == '[' ? ']' : open == '<' ? '>' : open;
    int depth = 1;
    *b = i;
    while (i < n) {
        if (s[i] == '\\') {
            i += 2;
            continue;
        }
        if (s[i] == close && --depth == 0) {
            *e = i;
            return i + 1;
        }
        if (s[i] == open && open != close)
            depth++;
        i++;
    }
    *e = n;
    return n;
}

static bool line_prefix(const char *s, size_t n, const char *p, size_t *rest)
{
    size_t l = strlen(p);
    if (n < l || memcmp(s, p, l) != 0)
        return false;
    *rest = l;
    return true;
}

/* base64.b64decode("..") / base64_decode / atob / Base64.decode64 /
 * decode_base64: a literal payload the code is about to decode. */
static bool is_b64_call(const char *w, size_t wl, bool qual)
{
    return nx_eq(w, wl, "b64decode") || nx_eq(w, wl, "base64_decode") || nx_eq(w, wl, "atob") ||
           nx_eq(w, wl, "decode_base64") || (qual && (nx_eq(w, wl, "decode64") || nx_eq(w, wl, "decodebytes") ||
                                                       nx_eq(w, wl, "standard_b64decode")));
}

/* Decodes the literal and reads it as more code of the same language. */
static int decoded_code(nps *ps, int idx, const char *lang, nstr *lit, uint32_t child, uint32_t wflags)
{
    nctx *c = ps->c;
    const char *out;
    size_t ol;
    if (c->rec >= NX_REC_CAP || !nx_decode(c, D_B64, NULL, lit->p, lit->len, &out, &ol) || ol == 0)
        return 0;
    /* Only text is worth reading as code (binary blobs are not). */
    size_t printable = 0;
    for (size_t k = 0; k < ol; k++)
        printable += ((unsigned char)out[k] >= 0x20 && (unsigned char)out[k] < 0x7f) || out[k] == '\n' ||
                     out[k] == '\t' || out[k] == '\r';
    if (printable * 10 < ol * 9)
        return 0;
    c->out->flags |= PX_ACT_DECODED;
    nx_add_text(c, PX_TEXT_DECODED, out, ol, idx, NULL);
    nx_add_text(c, PX_TEXT_CODE, out, ol, idx, lang);
    c->rec++;
    int found = nx_code_scan(ps, idx, lang, out, ol, child | PX_CMD_DECODED, wflags | W_DECODED);
    c->rec--;
    return found;
}

/* Line-oriented escapes: vim :!cmd, gdb !cmd / shell cmd, sqlite .shell. */
static int line_escapes(nps *ps, int idx, const char *lang, const char *s, size_t n,
                        uint32_t child, uint32_t wflags)
{
    bool vim = strcmp(lang, "vim") == 0, gdb = strcmp(lang, "gdb") == 0,
         lldb = strcmp(lang, "lldb") == 0, sql = strcmp(lang, "sql") == 0;
    if (!vim && !gdb && !lldb && !sql)
        return 0;
    int found = 0;
    size_t i = 0;
    while (i < n) {
        const char *nl = memchr(s + i, '\n', n - i);
        size_t e = nl ? (size_t)(nl - s) : n;
        size_t b = i;
        while (b < e && (s[b] == ' ' || s[b] == '\t' || (vim && s[b] == ':')))
            b++;
        const char *l = s + b;
        size_t ln = e - b, r = 0;
        bool hit = false;
        if ((vim || gdb) && ln > 1 && l[0] == '!')
            hit = true, r = 1;
        else if (vim && (nx_eq(l, ln, "sh") || nx_eq(l, ln, "shell"))) {
            found += emit(ps, idx, "sh", 2, child, wflags); /* :shell runs $SHELL */
        } else if (gdb && line_prefix(l, ln, "shell ", &r))
            hit = true;
        else if (lldb && line_prefix(l, ln, "platform shell ", &r))
            hit = true;
        else if (sql && (line_prefix(l, ln, ".shell ", &r) || line_prefix(l, ln, ".system ", &r) ||
                         line_prefix(l, ln, "\\! ", &r) || line_prefix(l, ln, "system ", &r)))
            hit = true;
        if (hit)
            found += emit(ps, idx, l + r, ln - r, child, wflags);
        i = nl ? e + 1 : n;
    }
    return found;
}

int nx_code_scan(nps *ps, int idx, const char *lang, const char *s, size_t n,
                 uint32_t child, uint32_t wflags)
{
    nctx *c = ps->c;
    if (lang == NULL || n == 0 || c->stop)
        return 0;
    nx_charge(c, n);
    bool py = strcmp(lang, "python") == 0, js = strcmp(lang, "node") == 0 || strcmp(lang, "javascript") == 0;
    bool awk = strcmp(lang, "awk") == 0, tcl = strcmp(lang, "tcl") == 0;
    bool bq = strcmp(lang, "perl") == 0 || strcmp(lang, "ruby") == 0 || strcmp(lang, "php") == 0 ||
              strcmp(lang, "julia") == 0;
    int found = line_escapes(ps, idx, lang, s, n, child, wflags);
    size_t i = 0;
    while (i < n && !c->stop && found < 64) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == '"' || ch == '\'' || (ch == '`' && js)) {
            nstr t;
            nstr_init(&t);
            size_t st = i;
            if (!lit(c, s, n, &i, &t, js)) {
                i = st + 1;
                continue;
            }
            if (awk) {
                size_t k = skip_ws(s, n, i);
                if (k < n && s[k] == '|') {
                    k++;
                    if (k < n && s[k] == '&')
                        k++;
                    k = skip_ws(s, n, k);
                    if (k + 7 <= n && memcmp(s + k, "getline", 7) == 0)
                        found += emit(ps, idx, t.p ? t.p : "", t.len, child, wflags);
                }
            }
            continue;
        }
        if (ch == '`' && bq) {
            size_t b, e;
            i = quoted_cmd(s, n, i + 1, '`', &b, &e);
            found += emit(ps, idx, s + b, e - b, child, wflags);
            continue;
        }
        if (awk && ch == '|' && !(i + 1 < n && s[i + 1] == '|') && !(i > 0 && s[i - 1] == '|')) {
            size_t k = i + 1;
            if (k < n && s[k] == '&')
                k++;
            k = skip_ws(s, n, k);
            nstr t;
            nstr_init(&t);
            if (k < n && s[k] == '"' && lit(c, s, n, &k, &t, false))
                found += emit(ps, idx, t.p ? t.p : "", t.len, child, wflags);
            i = k > i ? k : i + 1;
            continue;
        }
        if (!(ch == '_' || ((ch | 0x20) >= 'a' && (ch | 0x20) <= 'z')) ||
            (i > 0 && is_ident((unsigned char)s[i - 1]))) {
            i++;
            continue;
        }
        size_t b = i;
        while (i < n && is_ident((unsigned char)s[i]))
            i++;
        const char *w = s + b;
        size_t wl = i - b;
        bool qual = b > 0 && (s[b - 1] == '.' || s[b - 1] == ':' || s[b - 1] == '>');
        if (bq && wl == 2 && (memcmp(w, "qx", 2) == 0) && i < n && !is_ident((unsigned char)s[i]) &&
            s[i] != ' ' && s[i] != '=' && s[i] != ',' && s[i] != ';' && s[i] != ')') {
            size_t cb, ce;
            i = quoted_cmd(s, n, i + 1, s[i], &cb, &ce);
            found += emit(ps, idx, s + cb, ce - cb, child, wflags);
            continue;
        }
        if (bq && wl == 1 && w[0] == 'x' && b > 0 && s[b - 1] == '%' && i < n && nx_in("({[<|!", s[i])) {
            size_t cb, ce;
            i = quoted_cmd(s, n, i + 1, s[i], &cb, &ce);
            found += emit(ps, idx, s + cb, ce - cb, child, wflags);
            continue;
        }
        if (tcl && (nx_eq(w, wl, "exec") || nx_eq(w, wl, "spawn")) && i < n && (s[i] == ' ' || s[i] == '\t')) {
            size_t e = i;
            while (e < n && s[e] != '\n' && s[e] != ']' && s[e] != ';' && s[e] != '}')
                e++;
            found += emit(ps, idx, s + i, e - i, child, wflags);
            i = e;
            continue;
        }
        if (nx_eq(w, wl, "do") && strcmp(lang, "applescript") == 0) {
            size_t k = skip_ws(s, n, i);
            if (k + 12 <= n && memcmp(s + k, "shell script", 12) == 0) {
                k = skip_ws(s, n, k + 12);
                nstr t;
                nstr_init(&t);
                if (lit(c, s, n, &k, &t, false))
                    found += emit(ps, idx, t.p ? t.p : "", t.len, child, wflags);
                i = k;
            }
            continue;
        }
        if (is_b64_call(w, wl, qual)) {
            sargs a;
            call_args(c, s, n, i, &a, js);
            if (a.n >= 1 && a.one[0].len >= 4)
                found += decoded_code(ps, idx, lang, &a.one[0], child, wflags);
            continue;
        }
        for (size_t k = 0; k < sizeof(CALLS) / sizeof(CALLS[0]); k++) {
            const ncall *cl = &CALLS[k];
            if (!nx_eq(w, wl, cl->name))
                continue;
            if ((cl->flags & C_QUAL) && !qual)
                break;
            if ((cl->flags & C_NOPY) && (py || awk))
                break;
            size_t k2 = skip_ws(s, n, i);
            bool direct = k2 > i && k2 < n &&
                          (s[k2] == '"' || s[k2] == '\'' ||
                           (s[k2] == 'q' && k2 + 2 < n && (s[k2 + 1] == 'q' || nx_in("{([<|/!", s[k2 + 1]))));
            if (!(k2 < n && s[k2] == '(') && !direct)
                break;
            sargs a;
            call_args(c, s, n, i, &a, js);
            found += emit_args(ps, idx, &a, cl->flags, child, wflags);
            break;
        }
    }
    return found;
}
