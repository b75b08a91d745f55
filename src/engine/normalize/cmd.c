/* One simple command: peel wrappers, record it with its canonical line, and
 * follow what it runs (sh -c bodies, interpreter code, heredocs, data it
 * produces for the next pipeline stage). */
#include "engine/normalize/norm_int.h"

void nx_nested(nps *ps, int idx, int handler, nword *av, int ac, uint32_t cflags);
void nx_interp_follow(nps *ps, int idx, int which, nword *av, int ac, uint32_t cflags);
bool nx_env_split(nps *ps, int idx, nword *av, int ac, uint32_t cflags);

static bool in_list(const char *list, const char *name, size_t n)
{
    /* list is "|a|b|c|" */
    if (n == 0 || list == NULL)
        return false;
    const char *p = list;
    while ((p = strstr(p, "|")) != NULL && p[1] != '\0') {
        p++;
        if (strncmp(p, name, n) == 0 && p[n] == '|')
            return true;
    }
    return false;
}

/* Skips a wrapper's options and positionals.  Returns the index of the
 * wrapped command, or -1 when none follows.  VAR=val words (env, sudo) are
 * collected into env. */
static int wrap_skip(const nwrap *w, nword *av, int ac, int i, nassign *env, int *nenv, int envcap)
{
    if ((w->flags & WF_NOOPTS) && i < ac && nx_eq(av[i].s, av[i].len, "--"))
        i++; /* nohup -- cmd */
    if (!(w->flags & WF_NOOPTS)) {
        while (i < ac) {
            const char *a = av[i].s;
            size_t al = av[i].len;
            if (nx_eq(a, al, "--")) {
                i++;
                break;
            }
            if ((w->flags & WF_ASSIGN) && nx_assign_len(a, al) > 0 && memchr(a, '[', nx_assign_len(a, al)) == NULL) {
                size_t k = nx_assign_len(a, al);
                if (*nenv < envcap && a[k] == '=') {
                    nassign *e = &env[(*nenv)++];
                    e->name = a;
                    e->nlen = k;
                    e->val.s = a + k + 1;
                    e->val.len = al - k - 1;
                    e->val.flags = av[i].flags;
                    e->append = false;
                }
                i++;
                continue;
            }
            if (a[0] != '-' || al < 2)
                break;
            if (w->flags & WF_ALLDASH) {
                i++;
                continue;
            }
            if (a[1] == '-') {
                const char *eq = memchr(a + 2, '=', al - 2);
                size_t nl = eq ? (size_t)(eq - a - 2) : al - 2;
                i += (!eq && in_list(w->longarg, a + 2, nl)) ? 2 : 1;
                continue;
            }
            if ((w->flags & WF_DIGITOPT) && nx_isdigit((unsigned char)a[1])) {
                i++;
                continue;
            }
            bool takes = false;
            for (size_t k = 1; k < al; k++) {
                if (nx_in(w->stop, a[k]))
                    return -1;
                if (nx_in(w->shortarg, a[k])) {
                    takes = k + 1 == al; /* else the argument is attached */
                    break;
                }
            }
            i += takes ? 2 : 1;
        }
    }
    for (int k = 0; k < w->npos && i < ac; k++)
        i++;
    /* a wrapper's own VAR=val words may also follow its options */
    while ((w->flags & WF_ASSIGN) && i < ac && nx_assign_len(av[i].s, av[i].len) > 0 &&
           av[i].s[nx_assign_len(av[i].s, av[i].len)] == '=') {
        size_t k = nx_assign_len(av[i].s, av[i].len);
        if (*nenv < envcap) {
            nassign *e = &env[(*nenv)++];
            e->name = av[i].s;
            e->nlen = k;
            e->val.s = av[i].s + k + 1;
            e->val.len = av[i].len - k - 1;
            e->val.flags = av[i].flags;
            e->append = false;
        }
        i++;
    }
    return i < ac ? i : -1;
}

static const char *prog_of(nctx *c, const nword *w)
{
    if (w->len == 0)
        return "''";
    if ((w->flags & W_LITSUB) && (w->s[w->len - 1] == ')' || w->s[w->len - 1] == '`'))
        return w->s;
    const char *b = nx_basename(w->s);
    (void)c;
    return *b ? b : w->s;
}

static bool has_opt(nword *av, int ac, const char *o1, const char *o2, const char *o3)
{
    for (int i = 1; i < ac; i++) {
        const char *a = av[i].s;
        if ((o1 && strcmp(a, o1) == 0) || (o2 && strcmp(a, o2) == 0) || (o3 && strcmp(a, o3) == 0))
            return true;
    }
    return false;
}

/* A short option letter set anywhere in a bundle (-rp). */
static bool has_short(nword *av, int ac, char ch)
{
    for (int i = 1; i < ac; i++) {
        const char *a = av[i].s;
        if (a[0] == '-' && a[1] != '-' && strchr(a + 1, ch) != NULL)
            return true;
    }
    return false;
}

/* tr set: ranges and a few escapes/classes expanded into bytes. */
static const char *tr_set(nctx *c, const char *s)
{
    nstr b;
    nstr_init(&b);
    size_t n = strlen(s);
    for (size_t i = 0; i < n && b.len < 1024; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == '[' && s[i + 1] == ':') {
            const char *e = strstr(s + i, ":]");
            if (e != NULL) {
                size_t cl = (size_t)(e - (s + i + 2));
                const char *cls = s + i + 2;
                const char *set = nx_eq(cls, cl, "upper")   ? "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                  : nx_eq(cls, cl, "lower") ? "abcdefghijklmnopqrstuvwxyz"
                                  : nx_eq(cls, cl, "digit") ? "0123456789"
                                  : nx_eq(cls, cl, "space") ? " \t\n\r\f\v"
                                                            : NULL;
                if (set != NULL) {
                    nstr_adds(c, &b, set);
                    i = (size_t)(e - s) + 1;
                    continue;
                }
            }
        }
        if (ch == '\\' && i + 1 < n) {
            char e = s[++i];
            ch = e == 'n' ? '\n' : e == 't' ? '\t' : e == 'r' ? '\r' : (unsigned char)e;
        }
        if (i + 2 < n && s[i + 1] == '-') {
            unsigned char hi = (unsigned char)s[i + 2];
            if (hi >= ch) {
                for (unsigned v = ch; v <= hi && b.len < 1024; v++)
                    nstr_addc(c, &b, (char)v);
                i += 2;
                continue;
            }
        }
        nstr_addc(c, &b, (char)ch);
    }
    return nstr_cstr(c, &b);
}

/* Does tr SET1 SET2 rotate whole alphabets (rot13 and kin)? */
static bool tr_rotation(const char *a, const char *b)
{
    size_t al = strlen(a), bl = strlen(b), letters = 0;
    if (al != bl || al < 26)
        return false;
    for (size_t i = 0; i < al; i++) {
        bool la = ((a[i] | 0x20) >= 'a' && (a[i] | 0x20) <= 'z');
        bool lb = ((b[i] | 0x20) >= 'a' && (b[i] | 0x20) <= 'z');
        if (la != lb || (la && ((a[i] >= 'a') != (b[i] >= 'a'))))
            return false; /* letters map to letters of the same case */
        letters += la;
    }
    return letters >= 26 && strcmp(a, b) != 0;
}

static void decoder_setup(nctx *c, ncinfo *inf, int which, nword *av, int ac)
{
    inf->role = R_DECODER;
    inf->dec = -1;
    bool d = has_opt(av, ac, "-d", "--decode", "-D") || has_short(av, ac, 'd');
    switch (which) {
    case ND_BASE64:
        if (d)
            inf->dec = D_B64;
        break;
    case ND_BASE32:
        if (d)
            inf->dec = D_B32;
        break;
    case ND_BASENC:
        if (d)
            inf->dec = has_opt(av, ac, "--base32", NULL, NULL)       ? D_B32
                       : has_opt(av, ac, "--base16", NULL, NULL)     ? D_B16
                       : has_opt(av, ac, "--base64url", NULL, NULL)  ? D_B64URL
                                                                     : D_B64;
        break;
    case ND_XXD:
        if (has_short(av, ac, 'r') || has_opt(av, ac, "-revert", "--revert", NULL))
            inf->dec = (has_short(av, ac, 'p') || has_opt(av, ac, "-ps", "-plain", "--plain"))
                           ? D_XXD_PLAIN
                           : D_XXD_DUMP;
        break;
    case ND_REV:
        if (ac == 1)
            inf->dec = D_REV;
        break;
    case ND_TR: {
        const char *sets[2] = {NULL, NULL};
        int ns = 0;
        bool del = false;
        for (int i = 1; i < ac; i++) {
            if (av[i].s[0] == '-' && av[i].len > 1 && ns == 0) {
                if (strcmp(av[i].s, "-d") == 0 || strcmp(av[i].s, "--delete") == 0)
                    del = true;
                else
                    return; /* -c -s: not a plain mapping */
                continue;
            }
            if (ns < 2)
                sets[ns++] = av[i].s;
        }
        if (ns == 2 || (del && ns == 1)) {
            inf->tr1 = tr_set(c, sets[0]);
            inf->tr2 = ns == 2 ? tr_set(c, sets[1]) : NULL;
            inf->tr_del = del;
            inf->dec = D_TR;
            inf->tr_rot = !del && tr_rotation(inf->tr1, inf->tr2);
        }
        break;
    }
    case ND_OPENSSL:
        /* openssl base64 -d | openssl enc -d -base64 / -a */
        if (ac >= 2 && (strcmp(av[1].s, "base64") == 0 ||
                        (strcmp(av[1].s, "enc") == 0 &&
                         (has_opt(av, ac, "-base64", "-a", "-A") || has_opt(av, ac, "-a", NULL, NULL)))) &&
            has_opt(av, ac, "-d", NULL, NULL) && !has_opt(av, ac, "-k", "-K", "-pass"))
            inf->dec = D_B64;
        break;
    default:
        break;
    }
}

/* echo [-neE] args */
static void echo_out(nps *ps, int idx, ncinfo *inf, nword *av, int ac)
{
    nctx *c = ps->c;
    bool nl = true, esc = false;
    int i = 1;
    for (; i < ac; i++) {
        const char *a = av[i].s;
        if (a[0] != '-' || a[1] == '\0' || strspn(a + 1, "neE") != av[i].len - 1)
            break;
        for (const char *p = a + 1; *p; p++) {
            if (*p == 'n')
                nl = false;
            else if (*p == 'e')
                esc = true;
            else
                esc = false;
        }
    }
    uint32_t fl = 0;
    for (int k = i; k < ac; k++) {
        if (av[k].flags & W_NONCONST)
            return;
        fl |= av[k].flags & (W_ANSI | W_DECODED);
    }
    nstr b;
    nstr_init(&b);
    bool stop = false;
    for (int k = i; k < ac && !stop; k++) {
        if (k > i)
            nstr_addc(c, &b, ' ');
        if (esc)
            fl |= nx_echo_esc(c, &b, av[k].s, av[k].len, &stop);
        else
            nstr_add(c, &b, av[k].s, av[k].len);
    }
    if (nl && !stop)
        nstr_addc(c, &b, '\n');
    inf->out = nstr_cstr(c, &b);
    inf->outlen = b.len;
    inf->oflags = fl;
    inf->has_out = 1;
    inf->role = R_PRODUCER;
    if (esc && (fl & W_ANSI)) {
        nx_add_text(c, PX_TEXT_DECODED, inf->out, inf->outlen, idx, NULL);
        c->out->flags |= PX_ACT_DECODED;
    }
}

static void printf_out(nps *ps, int idx, ncinfo *inf, nword *av, int ac)
{
    nctx *c = ps->c;
    int i = 1;
    const char *var = NULL;
    size_t vl = 0;
    while (i < ac && av[i].s[0] == '-' && av[i].len > 1) {
        if (strcmp(av[i].s, "--") == 0) {
            i++;
            break;
        }
        if (strcmp(av[i].s, "-v") == 0 && i + 1 < ac) {
            var = av[i + 1].s;
            vl = av[i + 1].len;
            i += 2;
            continue;
        }
        break;
    }
    if (i >= ac)
        return;
    bool konst = true;
    for (int k = i; k < ac; k++)
        if (av[k].flags & W_NONCONST)
            konst = false;
    if (!konst) {
        if (var && nx_is_name(var, vl))
            nx_var_unset(c, var, vl);
        return;
    }
    nstr b;
    nstr_init(&b);
    uint32_t fl = nx_printf(c, &b, av + i, ac - i);
    for (int k = i; k < ac; k++)
        fl |= av[k].flags & (W_ANSI | W_DECODED);
    const char *out = nstr_cstr(c, &b);
    if (fl & W_ANSI) {
        nx_add_text(c, PX_TEXT_DECODED, out, b.len, idx, NULL);
        c->out->flags |= PX_ACT_DECODED;
    }
    if (var != NULL) {
        if (nx_is_name(var, vl))
            nx_var_set(c, var, vl, out, b.len, fl);
        return;
    }
    inf->out = out;
    inf->outlen = b.len;
    inf->oflags = fl;
    inf->has_out = 1;
    inf->role = R_PRODUCER;
}

static void decl(nctx *c, nword *av, int ac, int kind)
{
    for (int i = 1; i < ac; i++) {
        const char *a = av[i].s;
        size_t al = av[i].len;
        if (a[0] == '-' || a[0] == '+')
            continue;
        if (kind == PK_DECL) {
            size_t k = nx_assign_len(a, al);
            if (k == 0 || memchr(a, '[', k) != NULL)
                continue;
            bool app = a[k] == '+';
            const char *v = a + k + (app ? 2 : 1);
            size_t vl = al - k - (app ? 2 : 1);
            if ((av[i].flags & W_NONCONST) || app)
                nx_var_unset(c, a, k);
            else
                nx_var_set(c, a, k, v, vl, av[i].flags & (W_ANSI | W_DECODED | W_VAR));
        } else if (nx_is_name(a, al)) {
            if (kind == PK_UNSET)
                nx_var_set(c, a, al, "", 0, 0);
            else
                nx_var_unset(c, a, al);
        }
    }
}

static void shell_follow(nps *ps, int idx, ncinfo *inf, nword *av, int ac, uint32_t cflags)
{
    nctx *c = ps->c;
    bool cmode = false, stdin_mode = false;
    int i = 1;
    inf->role = R_SHELL;
    while (i < ac) {
        const char *a = av[i].s;
        if (strcmp(a, "--") == 0 || strcmp(a, "-") == 0) {
            stdin_mode |= a[1] == '\0';
            i++;
            break;
        }
        if ((a[0] != '-' && a[0] != '+') || a[1] == '\0')
            break;
        if (a[1] == '-') {
            i += (strcmp(a, "--rcfile") == 0 || strcmp(a, "--init-file") == 0) ? 2 : 1;
            continue;
        }
        int extra = 0;
        for (const char *p = a + 1; *p; p++) {
            if (*p == 'c')
                cmode = true;
            else if (*p == 's')
                stdin_mode = true;
            else if (*p == 'o' || *p == 'O')
                extra++;
        }
        i += 1 + extra;
    }
    if (cmode && i < ac) {
        c->out->flags |= PX_ACT_EVAL;
        if (av[i].flags & W_ANSI)
            c->out->flags |= PX_ACT_ANSI_C;
        nx_parse_nested(c, av[i].s, av[i].len, ps->depth, idx, cflags, av[i].flags, false);
        return;
    }
    if (!cmode && (i >= ac || stdin_mode))
        inf->stdin_code = 1;
}

static uint32_t child_flags(uint32_t cmdflags)
{
    return (cmdflags & (PX_CMD_SUDO | PX_CMD_REMOTE | PX_CMD_SUBST | PX_CMD_NESTED | PX_CMD_DECODED)) |
           PX_CMD_NESTED;
}

static void follow(nps *ps, int idx, nprog p, nword *av, int ac, nredir *r, int nr,
                   nassign *pre, int npre, uint32_t cflags)
{
    nctx *c = ps->c;
    ncinfo *inf = nx_info(c, idx);
    if (inf == NULL)
        return;
    bool writes = false;
    for (int k = 0; k < nr; k++) {
        if ((r[k].op == PX_REDIR_HEREDOC || r[k].op == PX_REDIR_HERESTRING) && r[k].fd == 0) {
            if (r[k].op == PX_REDIR_HERESTRING) {
                char *t = nx_alloc(c, r[k].tlen + 2);
                if (t == NULL)
                    return;
                memcpy(t, r[k].target, r[k].tlen);
                t[r[k].tlen] = '\n';
                t[r[k].tlen + 1] = '\0';
                inf->in = t;
                inf->inlen = r[k].tlen + 1;
            } else {
                inf->in = r[k].target;
                inf->inlen = r[k].tlen;
            }
            inf->iflags = r[k].tflags;
            inf->has_in = 1;
        }
        if ((r[k].op == PX_REDIR_OUT || r[k].op == PX_REDIR_APPEND) && r[k].fd == 1) {
            inf->out_redir = 1;
            writes = true;
        }
    }
    /* Builtins that change variables act before any temporary scope. */
    if (p.kind == PK_DECL || p.kind == PK_READ || p.kind == PK_UNSET)
        decl(c, av, ac, p.kind);
    int scope = c->scope, nvars = c->nvars;
    if (npre > 0) {
        c->scope = c->nvars; /* FOO=1 cmd: FOO exists for cmd only */
        for (int k = 0; k < npre; k++)
            if (!(pre[k].val.flags & W_NONCONST) && nx_is_name(pre[k].name, pre[k].nlen))
                nx_var_set(c, pre[k].name, pre[k].nlen, pre[k].val.s, pre[k].val.len, pre[k].val.flags);
    }
    uint32_t child = child_flags(cflags);
    switch (p.kind) {
    case PK_ECHO:
        echo_out(ps, idx, inf, av, ac);
        break;
    case PK_PRINTF:
        printf_out(ps, idx, inf, av, ac);
        break;
    case PK_CAT: {
        bool files = false;
        for (int k = 1; k < ac; k++)
            if (av[k].s[0] != '-' || av[k].len == 1)
                files |= !(av[k].len == 1 && av[k].s[0] == '-');
        if (!files)
            inf->role = R_PASS;
        break;
    }
    case PK_TEE:
        inf->role = R_PASS;
        inf->tee = 1;
        break;
    case PK_DECODER:
        decoder_setup(c, inf, p.idx, av, ac);
        break;
    case PK_SHELL:
        shell_follow(ps, idx, inf, av, ac, child);
        break;
    case PK_INTERP:
        nx_interp_follow(ps, idx, p.idx, av, ac, child);
        break;
    case PK_NESTED:
        nx_nested(ps, idx, p.idx, av, ac, cflags);
        break;
    case PK_STDIN_SH:
        inf->role = R_STDIN_SH;
        inf->stdin_code = 1;
        break;
    case PK_WRAPPER:
        nx_env_split(ps, idx, av, ac, child);
        break;
    default:
        break;
    }
    if (writes && (p.kind == PK_ECHO || p.kind == PK_PRINTF) && !inf->has_out) {
        /* not constant: the written words as they stand */
        nstr b;
        nstr_init(&b);
        for (int k = 1; k < ac; k++) {
            if (k > 1)
                nstr_addc(c, &b, ' ');
            nstr_add(c, &b, av[k].s, av[k].len);
        }
        nx_add_text(c, PX_TEXT_DATA, nstr_cstr(c, &b), b.len, idx, NULL);
    }
    if (npre > 0) {
        c->nvars = nvars;
        c->scope = scope;
    }
}

int nx_build_cmd(nps *ps, nword *argv, int argc, nredir *r, int nr,
                 nassign *pre, int npre, uint32_t extra)
{
    nctx *c = ps->c;
    if (argc <= 0 || c->stop)
        return -1;
    uint32_t flags = ps->inherit | extra;
    nstr wraps;
    nstr_init(&wraps);
    nassign envv[8];
    int nenv = 0;
    int i = 0;
    const char *prog = prog_of(c, &argv[0]);
    nprog p = nx_prog_lookup(prog);
    for (int guard = 0; p.kind == PK_WRAPPER && guard < 16; guard++) {
        const nwrap *w = nx_wrap(p.idx);
        if (strcmp(w->name, "env") == 0 &&
            (has_short(argv + i, argc - i, 'S') || has_opt(argv + i, argc - i, "--split-string", NULL, NULL)))
            break;
        int j = wrap_skip(w, argv, argc, i + 1, envv, &nenv, 8);
        if (j < 0)
            break;
        if (wraps.len)
            nstr_addc(c, &wraps, ' ');
        nstr_adds(c, &wraps, w->name);
        if (w->flags & WF_SUDO)
            flags |= PX_CMD_SUDO;
        if (w->flags & WF_BG)
            flags |= PX_CMD_BACKGROUND;
        i = j;
        prog = prog_of(c, &argv[i]);
        p = nx_prog_lookup(prog);
    }
    nword *av = argv + i;
    int ac = argc - i;
    uint32_t pf = av[0].flags;
    if (pf & (W_SPLIT | W_VAR | W_SUBST | W_ANSI | W_DECODED))
        flags |= PX_CMD_OBFUSCATED;
    if (pf & W_VAR)
        c->out->flags |= PX_ACT_VARPROG;
    if (pf & W_ANSI)
        c->out->flags |= PX_ACT_ANSI_C;
    for (int k = 0; k < argc; k++)
        if (argv[k].flags & W_SPLIT)
            c->out->flags |= PX_ACT_QUOTESPLIT;

    if (ps->pl_id < 0)
        ps->pl_id = c->out->npipelines++;
    if (ps->pl_stage > 0 || ps->pl_in)
        flags |= PX_CMD_PIPE_IN;

    px_cmd cmd;
    cmd.prog = prog;
    cmd.argc = ac;
    cmd.argv = nx_alloc(c, (size_t)(ac + 1) * sizeof(char *));
    cmd.redirs = nr ? nx_alloc(c, (size_t)nr * sizeof(px_redir)) : NULL;
    if (cmd.argv == NULL || (nr && cmd.redirs == NULL))
        return -1;
    nstr line;
    nstr_init(&line);
    size_t est = strlen(prog) + 1;
    for (int k = 1; k < ac; k++)
        est += av[k].len + 1;
    nstr_reserve(c, &line, est + 16);
    nstr_adds(c, &line, prog);
    for (int k = 0; k < ac; k++) {
        cmd.argv[k] = av[k].s;
        if (k > 0) {
            nstr_addc(c, &line, ' ');
            nstr_add(c, &line, av[k].s, av[k].len);
        }
    }
    cmd.argv[ac] = NULL;
    for (int k = 0; k < nr; k++) {
        cmd.redirs[k].fd = r[k].fd;
        cmd.redirs[k].op = (px_redir_op)r[k].op;
        cmd.redirs[k].target = r[k].target;
        nstr_addc(c, &line, ' ');
        if (r[k].fdtext)
            nstr_adds(c, &line, r[k].fdtext);
        nstr_adds(c, &line, r[k].optext);
        if (r[k].op != PX_REDIR_HEREDOC)
            nstr_add(c, &line, r[k].target, r[k].tlen);
    }
    cmd.nredirs = nr;
    cmd.flags = flags;
    cmd.pipeline = ps->pl_id;
    cmd.pipe_pos = ps->pl_stage;
    cmd.depth = ps->depth;
    cmd.parent = ps->parent;
    cmd.wrappers = wraps.len ? nstr_cstr(c, &wraps) : NULL;
    cmd.line = nstr_cstr(c, &line);
    if (c->stop)
        return -1;
    int idx = nx_add_cmd(c, &cmd);
    if (idx < 0)
        return -1;
    nx_add_text(c, PX_TEXT_CMD, cmd.line, line.len, idx, NULL);

    /* env/sudo VAR=val act like prefix assignments */
    nassign *allpre = pre;
    int nall = npre;
    if (nenv > 0) {
        allpre = nx_alloc(c, (size_t)(npre + nenv) * sizeof(*allpre));
        if (allpre == NULL)
            return idx;
        if (npre)
            memcpy(allpre, pre, (size_t)npre * sizeof(*pre));
        memcpy(allpre + npre, envv, (size_t)nenv * sizeof(*envv));
        nall = npre + nenv;
    }
    follow(ps, idx, p, av, ac, r, nr, allpre, nall, flags);
    if (i == 0)
        nx_alias_follow(ps, idx, av, ac, flags);
    return idx;
}
