/* Commands that run other commands: eval, su -c, xargs, find -exec, ssh,
 * docker/kubectl exec, watch, ...; interpreter code options; data fed to a
 * shell or interpreter's stdin. */
#include "engine/normalize/norm_int.h"

#include <stddef.h>

void nx_nested(nps *ps, int idx, int handler, nword *av, int ac, uint32_t cflags);
void nx_interp_follow(nps *ps, int idx, int which, nword *av, int ac, uint32_t cflags);
bool nx_env_split(nps *ps, int idx, nword *av, int ac, uint32_t cflags);

static uint32_t child_of(uint32_t cflags)
{
    return (cflags & (PX_CMD_SUDO | PX_CMD_REMOTE | PX_CMD_SUBST | PX_CMD_NESTED | PX_CMD_DECODED)) |
           PX_CMD_NESTED;
}

static bool is(const nword *w, const char *s)
{
    return nx_eq(w->s, w->len, s);
}

static bool in_bar(const char *list, const char *name, size_t n)
{
    if (list == NULL || n == 0)
        return false;
    for (const char *p = list; (p = strchr(p, '|')) != NULL && p[1] != '\0';) {
        p++;
        if (strncmp(p, name, n) == 0 && p[n] == '|')
            return true;
    }
    return false;
}

/* Joins words with spaces into one shell string. */
static nword join(nctx *c, nword *av, int ac)
{
    nstr b;
    nstr_init(&b);
    uint32_t fl = 0;
    for (int i = 0; i < ac; i++) {
        if (i)
            nstr_addc(c, &b, ' ');
        nstr_add(c, &b, av[i].s, av[i].len);
        fl |= av[i].flags;
    }
    nword w = {nstr_cstr(c, &b), b.len, fl};
    return w;
}

static void run_string(nps *ps, int idx, nword w, uint32_t flags, bool keep)
{
    nctx *c = ps->c;
    c->out->flags |= PX_ACT_EVAL;
    if (w.flags & W_ANSI)
        c->out->flags |= PX_ACT_ANSI_C;
    nx_parse_nested(c, w.s, w.len, ps->depth, idx, flags, w.flags, keep);
}

/* getopt-style skip: returns the index of the first operand. */
static int skip_opts(nword *av, int ac, int i, const char *shortarg, const char *longarg)
{
    while (i < ac) {
        const char *a = av[i].s;
        if (is(&av[i], "--"))
            return i + 1;
        if (a[0] != '-' || a[1] == '\0')
            return i;
        if (a[1] == '-') {
            const char *eq = strchr(a, '=');
            size_t nl = eq ? (size_t)(eq - a - 2) : av[i].len - 2;
            i += (!eq && in_bar(longarg, a + 2, nl)) ? 2 : 1;
            continue;
        }
        bool takes = false;
        for (const char *p = a + 1; *p; p++)
            if (nx_in(shortarg, *p)) {
                takes = p[1] == '\0';
                break;
            }
        i += takes ? 2 : 1;
    }
    return i;
}

/* su / runuser / script / flock: find "-c BODY" (or --command[=]BODY). */
static int find_c(nword *av, int ac, const char *shortarg, const char *longarg, nword *body)
{
    for (int i = 1; i < ac; i++) {
        const char *a = av[i].s;
        if (is(&av[i], "--"))
            break;
        if (strncmp(a, "--command=", 10) == 0 || strncmp(a, "--session-command=", 18) == 0) {
            const char *eq = strchr(a, '=') + 1;
            body->s = eq;
            body->len = av[i].len - (size_t)(eq - a);
            body->flags = av[i].flags;
            return i;
        }
        if ((is(&av[i], "-c") || is(&av[i], "--command") || is(&av[i], "--session-command")) && i + 1 < ac) {
            *body = av[i + 1];
            return i;
        }
        if (a[0] == '-' && a[1] != '-' && av[i].len > 2 && a[av[i].len - 1] == 'c' && i + 1 < ac &&
            strspn(a + 1, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") == av[i].len - 1) {
            *body = av[i + 1]; /* a bundle ending in c: script -qc, su -lc */
            return i;
        }
        if (a[0] == '-' && a[1] == '-') {
            const char *eq = strchr(a, '=');
            size_t nl = eq ? (size_t)(eq - a - 2) : av[i].len - 2;
            if (!eq && in_bar(longarg, a + 2, nl))
                i++;
            continue;
        }
        if (a[0] == '-' && a[1] && nx_in(shortarg, a[av[i].len - 1]))
            i++;
    }
    return -1;
}

static void h_find(nps *ps, int idx, nword *av, int ac, uint32_t child)
{
    for (int i = 1; i < ac; i++) {
        if (!is(&av[i], "-exec") && !is(&av[i], "-execdir") && !is(&av[i], "-ok") && !is(&av[i], "-okdir"))
            continue;
        int b = i + 1, e = b;
        while (e < ac && !is(&av[e], ";") && !is(&av[e], "+"))
            e++;
        if (e > b)
            nx_exec_argv(ps, idx, av + b, e - b, child);
        i = e;
    }
}

static void h_ssh(nps *ps, int idx, nword *av, int ac, uint32_t child)
{
    static const char optarg[] = "BbcDEeFIiJLlmOoPpQRSWw";
    int i = skip_opts(av, ac, 1, optarg, "");
    if (i >= ac)
        return;
    /* OpenSSH also takes options after the destination: ssh host -t cmd */
    int j = skip_opts(av, ac, i + 1, optarg, "");
    if (j >= ac)
        return;
    run_string(ps, idx, join(ps->c, av + j, ac - j), child | PX_CMD_REMOTE, false);
}

static void h_docker(nps *ps, int idx, nword *av, int ac, uint32_t child)
{
    int i = skip_opts(av, ac, 1, "Hcl", "|host|context|config|log-level|tlscacert|tlscert|tlskey|");
    if (i < ac && is(&av[i], "container"))
        i++;
    if (i >= ac)
        return;
    bool ex = is(&av[i], "exec");
    if (!ex && !is(&av[i], "run") && !is(&av[i], "create"))
        return;
    i = skip_opts(av, ac, i + 1, "acehlmpuvwm",
                  "|attach|add-host|cpus|cap-add|cap-drop|cidfile|device|dns|env|env-file|entrypoint|"
                  "expose|hostname|ip|label|label-file|link|log-driver|log-opt|memory|mount|name|"
                  "network|net|pid|platform|publish|pull|restart|runtime|security-opt|shm-size|"
                  "stop-signal|tmpfs|user|ulimit|userns|volume|volumes-from|workdir|ipc|uts|gpus|"
                  "group-add|health-cmd|detach-keys|cpu-shares|memory-swap|cgroupns|device-cgroup-rule|");
    if (i + 1 < ac)
        nx_exec_argv(ps, idx, av + i + 1, ac - i - 1, child | (ex ? PX_CMD_REMOTE : 0));
}

static void h_kubectl(nps *ps, int idx, nword *av, int ac, uint32_t child)
{
    bool exec = false;
    for (int i = 1; i < ac; i++) {
        if (is(&av[i], "exec") || is(&av[i], "debug"))
            exec = true;
        if (is(&av[i], "--")) {
            if (exec && i + 1 < ac)
                nx_exec_argv(ps, idx, av + i + 1, ac - i - 1, child | PX_CMD_REMOTE);
            return;
        }
    }
}

static void h_watch(nps *ps, int idx, nword *av, int ac, uint32_t child)
{
    bool x = false;
    int i = 1;
    while (i < ac && av[i].s[0] == '-' && av[i].len > 1) {
        const char *a = av[i].s;
        if (is(&av[i], "--")) {
            i++;
            break;
        }
        if (a[1] == '-') {
            x |= is(&av[i], "--exec");
            i += is(&av[i], "--interval") ? 2 : 1;
            continue;
        }
        bool takes = false;
        for (const char *p = a + 1; *p; p++) {
            x |= *p == 'x';
            if (*p == 'n' || *p == 'q') {
                takes = p[1] == '\0';
                break;
            }
        }
        i += takes ? 2 : 1;
    }
    if (i >= ac)
        return;
    if (x)
        nx_exec_argv(ps, idx, av + i, ac - i, child);
    else
        run_string(ps, idx, join(ps->c, av + i, ac - i), child, false);
}

static void h_parallel(nps *ps, int idx, nword *av, int ac, uint32_t child)
{
    int i = skip_opts(av, ac, 1, "jSadIiNnLEP",
                      "|jobs|sshlogin|arg-file|delimiter|colsep|delay|timeout|joblog|results|tmpdir|"
                      "max-args|max-replace-args|workdir|basefile|");
    int e = i;
    while (e < ac && !is(&av[e], ":::") && !is(&av[e], "::::") && !is(&av[e], ":::+"))
        e++;
    if (e > i)
        run_string(ps, idx, join(ps->c, av + i, e - i), child, false);
}

static void h_flock(nps *ps, int idx, nword *av, int ac, uint32_t child)
{
    nword body;
    if (find_c(av, ac, "wE", "|timeout|conflict-exit-code|", &body) >= 0) {
        run_string(ps, idx, body, child, false);
        return;
    }
    int i = skip_opts(av, ac, 1, "wE", "|timeout|conflict-exit-code|");
    if (i + 1 < ac)
        nx_exec_argv(ps, idx, av + i + 1, ac - i - 1, child);
}

static void h_runuser(nps *ps, int idx, nword *av, int ac, uint32_t child, bool is_su)
{
    nword body;
    child |= PX_CMD_SUDO;
    if (find_c(av, ac, "sgGwu", "|shell|group|supp-group|whitelist-environment|user|", &body) >= 0) {
        run_string(ps, idx, body, child, false);
        return;
    }
    if (is_su)
        return;
    /* runuser -u user [--] cmd args */
    int i = skip_opts(av, ac, 1, "sgGwu", "|shell|group|supp-group|whitelist-environment|user|");
    bool has_u = false;
    for (int k = 1; k < i && k < ac; k++)
        if (is(&av[k], "-u") || strncmp(av[k].s, "--user", 6) == 0)
            has_u = true;
    if (has_u && i < ac)
        nx_exec_argv(ps, idx, av + i, ac - i, child);
}

static void h_xargs(nps *ps, int idx, nword *av, int ac, uint32_t child)
{
    int i = 1;
    while (i < ac) {
        const char *a = av[i].s;
        size_t al = av[i].len;
        if (is(&av[i], "--")) {
            i++;
            break;
        }
        if (a[0] != '-' || al < 2)
            break;
        if (a[1] == '-') {
            const char *eq = strchr(a, '=');
            size_t nl = eq ? (size_t)(eq - a - 2) : al - 2;
            i += (!eq && in_bar("|arg-file|delimiter|eof|replace|max-lines|max-args|max-procs|"
                                "max-chars|process-slot-var|",
                                a + 2, nl))
                     ? 2
                     : 1;
            continue;
        }
        /* -I R, -n N ...; -i[R], -e[E], -l[N] only take attached values */
        bool takes = false;
        for (size_t k = 1; k < al; k++) {
            if (nx_in("adEILnPs", a[k])) {
                takes = k + 1 == al;
                break;
            }
            if (nx_in("iel", a[k]))
                break;
        }
        i += takes ? 2 : 1;
    }
    if (i < ac)
        nx_exec_argv(ps, idx, av + i, ac - i, child | PX_CMD_PIPE_IN);
}

/* Aliases live in the variable table under a name no variable can have
 * (a leading \x01), so they follow the same scoping. */
#define ALIAS_KEY_MAX 128

static size_t alias_key(char *key, const char *name, size_t n)
{
    if (n == 0 || n + 1 >= ALIAS_KEY_MAX)
        return 0;
    key[0] = '\x01';
    memcpy(key + 1, name, n);
    return n + 1;
}

/* alias NAME=BODY: BODY is what NAME will run, so it is read as code at
 * once (an alias can hide any command) and remembered for later commands
 * named NAME.  Bash expands aliases only in interactive shells or under
 * expand_aliases, and only on lines read after the definition; a gateway
 * reads the worst case. */
static void h_alias(nps *ps, int idx, nword *av, int ac, uint32_t child)
{
    nctx *c = ps->c;
    for (int i = 1; i < ac; i++) {
        const char *eq = memchr(av[i].s, '=', av[i].len);
        char tmp[ALIAS_KEY_MAX];
        size_t kl = eq != NULL ? alias_key(tmp, av[i].s, (size_t)(eq - av[i].s)) : 0;
        char *key = kl ? nx_alloc(c, kl) : NULL;
        if (key == NULL)
            continue;
        memcpy(key, tmp, kl);
        nword body = {eq + 1, av[i].len - (size_t)(eq + 1 - av[i].s), av[i].flags};
        /* the body first: inside it, NAME is not yet this alias */
        if (body.len > 0)
            run_string(ps, idx, body, child, false);
        nx_var_set(c, key, kl, body.s, body.len, body.flags);
    }
}

void nx_alias_follow(nps *ps, int idx, nword *av, int ac, uint32_t cflags)
{
    nctx *c = ps->c;
    char key[ALIAS_KEY_MAX];
    size_t kl;
    /* a quoted or computed command word is never an alias */
    if (c->nvars == 0 || ac < 1 || (av[0].flags & (W_QUOTED | W_SPLIT | W_VAR | W_SUBST | W_NONCONST)) ||
        (kl = alias_key(key, av[0].s, av[0].len)) == 0)
        return;
    nvar *v = nx_var_get(c, key, kl);
    if (v == NULL || v->val == NULL || v->vlen == 0)
        return;
    nstr b;
    nstr_init(&b);
    nstr_add(c, &b, v->val, v->vlen);
    for (int k = 1; k < ac; k++) {
        nstr_addc(c, &b, ' ');
        nstr_add(c, &b, av[k].s, av[k].len);
    }
    nword w = {nstr_cstr(c, &b), b.len, v->flags};
    if (w.s == NULL)
        return;
    /* While its body runs, the alias is not expanded again (as in bash:
     * alias ls='ls -la' does not loop). */
    ptrdiff_t at = v - c->vars;
    const char *name = v->name;
    v->nlen = 0;
    run_string(ps, idx, w, child_of(cflags), true);
    if (at < c->nvars && c->vars[at].name == name)
        c->vars[at].nlen = kl;
}

void nx_nested(nps *ps, int idx, int handler, nword *av, int ac, uint32_t cflags)
{
    uint32_t child = child_of(cflags);
    nword body;
    int i;
    switch (handler) {
    case NN_ALIAS:
        h_alias(ps, idx, av, ac, child);
        break;
    case NN_EVAL:
        if (ac > 1)
            run_string(ps, idx, join(ps->c, av + 1, ac - 1), child, true);
        break;
    case NN_SU:
        h_runuser(ps, idx, av, ac, child, true);
        break;
    case NN_RUNUSER:
        h_runuser(ps, idx, av, ac, child, false);
        break;
    case NN_SCRIPT:
        if (find_c(av, ac, "EoTIOBm", "|echo|output-limit|log-timing|log-in|log-out|log-io|logging-format|", &body) >= 0)
            run_string(ps, idx, body, child, false);
        break;
    case NN_XARGS:
        h_xargs(ps, idx, av, ac, child);
        break;
    case NN_FIND:
        h_find(ps, idx, av, ac, child);
        break;
    case NN_SSH:
        h_ssh(ps, idx, av, ac, child);
        break;
    case NN_DOCKER:
        h_docker(ps, idx, av, ac, child);
        break;
    case NN_KUBECTL:
        h_kubectl(ps, idx, av, ac, child);
        break;
    case NN_WATCH:
        h_watch(ps, idx, av, ac, child);
        break;
    case NN_PARALLEL:
        h_parallel(ps, idx, av, ac, child);
        break;
    case NN_FLOCK:
        h_flock(ps, idx, av, ac, child);
        break;
    case NN_NSENTER:
        i = skip_opts(av, ac, 1, "tSGe", "|target|setuid|setgid|env|");
        if (i < ac)
            nx_exec_argv(ps, idx, av + i, ac - i, child);
        break;
    case NN_CHROOT:
        i = skip_opts(av, ac, 1, "", "|userspec|groups|");
        if (i + 1 < ac)
            nx_exec_argv(ps, idx, av + i + 1, ac - i - 1, child);
        break;
    case NN_UNSHARE:
        i = skip_opts(av, ac, 1, "SGRwl", "|map-user|map-group|propagation|setgroups|root|wd|setuid|setgid|map-users|map-groups|load-interp|");
        if (i < ac)
            nx_exec_argv(ps, idx, av + i, ac - i, child);
        break;
    case NN_SCREEN:
        i = skip_opts(av, ac, 1, "SceEhpstTX", "");
        if (i < ac)
            nx_exec_argv(ps, idx, av + i, ac - i, child);
        break;
    case NN_TMUX:
        for (i = 1; i < ac; i++)
            if (is(&av[i], "new-session") || is(&av[i], "new") || is(&av[i], "new-window") ||
                is(&av[i], "neww") || is(&av[i], "split-window") || is(&av[i], "splitw"))
                break;
        if (i < ac) {
            int j = skip_opts(av, ac, i + 1, "cnstxyeFfilLpPtT", "");
            if (j < ac)
                run_string(ps, idx, join(ps->c, av + j, ac - j), child, false);
        }
        break;
    default:
        break;
    }
}

/* env -S 'string' [args]: the string is split like a command line. */
bool nx_env_split(nps *ps, int idx, nword *av, int ac, uint32_t cflags)
{
    if (ac < 1 || strcmp(nx_basename(av[0].s), "env") != 0)
        return false;
    for (int i = 1; i < ac; i++) {
        const char *a = av[i].s;
        nword w = {NULL, 0, av[i].flags};
        int rest = i + 1;
        if (strncmp(a, "--split-string=", 15) == 0) {
            w.s = a + 15;
            w.len = av[i].len - 15;
        } else if (is(&av[i], "-S") || is(&av[i], "--split-string")) {
            if (i + 1 >= ac)
                return false;
            w = av[i + 1];
            rest = i + 2;
        } else if (a[0] == '-' && a[1] == 'S' && a[2]) {
            w.s = a + 2;
            w.len = av[i].len - 2;
        } else {
            continue;
        }
        nword all[2] = {w, {"", 0, 0}};
        nword body = w;
        if (rest < ac) {
            all[1] = join(ps->c, av + rest, ac - rest);
            body = join(ps->c, all, 2);
        }
        run_string(ps, idx, body, cflags, false);
        return true;
    }
    return false;
}

/* ---- interpreters ------------------------------------------------------ */

static void code_add(nctx *c, nstr *code, const nword *w, uint32_t *fl)
{
    if (code->len)
        nstr_addc(c, code, '\n');
    nstr_add(c, code, w->s, w->len);
    *fl |= w->flags;
}

static bool pwsh_prefix(const char *a, size_t al, const char *full, size_t minlen)
{
    /* PowerShell accepts any unambiguous prefix of a parameter, any case */
    if (al < 2 || a[0] != '-' || al - 1 < minlen)
        return false;
    size_t fl = strlen(full);
    if (al - 1 > fl)
        return false;
    for (size_t k = 1; k < al; k++)
        if ((a[k] | 0x20) != full[k - 1])
            return false;
    return true;
}

static void pwsh_follow(nps *ps, int idx, const ninterp *ip, nword *av, int ac, uint32_t child,
                        ncinfo *inf)
{
    nctx *c = ps->c;
    for (int i = 1; i < ac; i++) {
        const char *a = av[i].s;
        size_t al = av[i].len;
        if (pwsh_prefix(a, al, "command", 1)) {
            if (i + 1 >= ac)
                return;
            if (is(&av[i + 1], "-")) {
                inf->stdin_code = 1;
                return;
            }
            nword code = join(c, av + i + 1, ac - i - 1);
            nx_add_text(c, PX_TEXT_CODE, code.s, code.len, idx, ip->lang);
            c->out->flags |= PX_ACT_EVAL;
            nx_code_scan(ps, idx, ip->lang, code.s, code.len, child, code.flags);
            return;
        }
        if (pwsh_prefix(a, al, "encodedcommand", 1) || pwsh_prefix(a, al, "ec", 2)) {
            const char *out;
            size_t ol;
            if (i + 1 < ac && nx_decode_pwsh(c, av[i + 1].s, av[i + 1].len, &out, &ol)) {
                c->out->flags |= PX_ACT_DECODED | PX_ACT_EVAL;
                nx_add_text(c, PX_TEXT_DECODED, out, ol, idx, NULL);
                nx_add_text(c, PX_TEXT_CODE, out, ol, idx, ip->lang);
                nx_code_scan(ps, idx, ip->lang, out, ol, child | PX_CMD_DECODED, W_DECODED);
            }
            return;
        }
        if (pwsh_prefix(a, al, "file", 1))
            return;
        if (pwsh_prefix(a, al, "executionpolicy", 2) || pwsh_prefix(a, al, "ep", 2) || pwsh_prefix(a, al, "windowstyle", 1) ||
            pwsh_prefix(a, al, "outputformat", 1) || pwsh_prefix(a, al, "inputformat", 1) ||
            pwsh_prefix(a, al, "workingdirectory", 2) || pwsh_prefix(a, al, "configurationname", 4) ||
            pwsh_prefix(a, al, "version", 1) || pwsh_prefix(a, al, "settingsfile", 1)) {
            i++;
            continue;
        }
        if (a[0] == '-')
            continue;
        /* positional: powershell.exe runs it as a command */
        if (al > 4 && strcmp(a + al - 4, ".ps1") == 0)
            return;
        nword code = join(c, av + i, ac - i);
        nx_add_text(c, PX_TEXT_CODE, code.s, code.len, idx, ip->lang);
        c->out->flags |= PX_ACT_EVAL;
        nx_code_scan(ps, idx, ip->lang, code.s, code.len, child, code.flags);
        return;
    }
    inf->stdin_code = 1;
}

void nx_interp_follow(nps *ps, int idx, int which, nword *av, int ac, uint32_t child)
{
    nctx *c = ps->c;
    const ninterp *ip = nx_interp(which);
    ncinfo *inf = nx_info(c, idx);
    if (ip == NULL || inf == NULL)
        return;
    inf->role = (ip->flags & IF_SQL) ? R_SQL : R_INTERP;
    inf->interp = (int16_t)which;
    if (ip->flags & IF_PWSH) {
        pwsh_follow(ps, idx, ip, av, ac, child, inf);
        return;
    }
    nstr code;
    nstr_init(&code);
    uint32_t cfl = 0;
    bool have = false, positional = false, dash = false, done = false;
    int npos = 0;
    for (int i = 1; i < ac && !positional; i++) {
        const char *a = av[i].s;
        size_t al = av[i].len;
        if (!done && is(&av[i], "--")) {
            done = true;
            continue;
        }
        if (!done && (ip->flags & IF_PLUS) && a[0] == '+' && al > 1) {
            nword w = {a + 1, al - 1, av[i].flags};
            code_add(c, &code, &w, &cfl);
            have = true;
            continue;
        }
        if (!done && a[0] == '-' && al > 1) {
            bool dd = a[1] == '-';
            if (dd || (ip->flags & IF_SDASHLONG)) {
                const char *nm = a + (dd ? 2 : 1);
                const char *eq = strchr(nm, '=');
                size_t nl = eq ? (size_t)(eq - nm) : strlen(nm);
                if (in_bar(ip->longcode, nm, nl)) {
                    if (eq) {
                        nword w = {eq + 1, al - (size_t)(eq + 1 - a), av[i].flags};
                        code_add(c, &code, &w, &cfl);
                    } else if (i + 1 < ac) {
                        code_add(c, &code, &av[++i], &cfl);
                    }
                    have = true;
                    continue;
                }
                if (in_bar(ip->longarg, nm, nl)) {
                    if (!eq)
                        i++;
                    continue;
                }
                if (dd)
                    continue;
            }
            for (size_t k = 1; k < al; k++) {
                char ch = a[k];
                if (nx_in(ip->codeopts, ch)) {
                    if (k + 1 < al) {
                        nword w = {a + k + 1, al - k - 1, av[i].flags};
                        code_add(c, &code, &w, &cfl);
                    } else if (i + 1 < ac) {
                        code_add(c, &code, &av[++i], &cfl);
                    }
                    have = true;
                    break;
                }
                if (nx_in(ip->fileopts, ch)) {
                    have = true; /* the program is in a file / module */
                    if (k + 1 == al)
                        i++;
                    positional = ch == 'm';
                    break;
                }
                if (nx_in(ip->shortarg, ch)) {
                    if (k + 1 == al)
                        i++;
                    break;
                }
                if (!(ip->flags & IF_BUNDLE) || !nx_isalnum((unsigned char)ch))
                    break;
            }
            continue;
        }
        /* an operand */
        if (is(&av[i], "-"))
            dash = true;
        if ((ip->flags & IF_FIRSTARG) && !have) {
            code_add(c, &code, &av[i], &cfl);
            have = true;
            break;
        }
        if ((ip->flags & IF_SQLPOS) && npos == 1) {
            code_add(c, &code, &av[i], &cfl);
            have = true;
            break;
        }
        npos++;
        if (!(ip->flags & IF_SQLPOS))
            positional = !have;
        if (have)
            break;
    }
    if ((ip->flags & IF_STDIN) && !have && (!positional || dash))
        inf->stdin_code = 1;
    if ((ip->flags & IF_SQLPOS) && npos == 0)
        inf->stdin_code = 1;
    if (!have || code.len == 0)
        return;
    const char *s = nstr_cstr(c, &code);
    c->out->flags |= PX_ACT_EVAL;
    if (cfl & W_ANSI)
        c->out->flags |= PX_ACT_ANSI_C;
    if (ip->flags & IF_SQL)
        nx_add_text(c, PX_TEXT_DATA, s, code.len, idx, NULL);
    else
        nx_add_text(c, PX_TEXT_CODE, s, code.len, idx, ip->lang);
    nx_code_scan(ps, idx, ip->lang, s, code.len, child, cfl);
}

/* Constant data reaching a command's stdin (pipe, heredoc, here-string). */
void nx_feed_stdin(nps *ps, int idx, const char *data, size_t len, uint32_t wflags)
{
    nctx *c = ps->c;
    ncinfo *inf = nx_info(c, idx);
    if (inf == NULL || idx >= c->out->ncmds)
        return;
    uint32_t child = child_of(c->out->cmds[idx].flags);
    if (wflags & (W_DECODED | W_ANSI))
        child |= PX_CMD_DECODED; /* printf '\x..' escapes count as decoding */
    if (wflags & W_ANSI)
        c->out->flags |= PX_ACT_ANSI_C;
    c->out->flags |= PX_ACT_EVAL;
    switch (inf->role) {
    case R_SHELL:
    case R_STDIN_SH:
        nx_parse_nested(c, data, len, c->out->cmds[idx].depth, idx, child, wflags, false);
        break;
    case R_INTERP: {
        const ninterp *ip = nx_interp(inf->interp);
        const char *lang = ip ? ip->lang : "unknown";
        nx_add_text(c, PX_TEXT_CODE, data, len, idx, lang);
        nx_code_scan(ps, idx, lang, data, len, child, wflags);
        break;
    }
    case R_SQL:
        nx_add_text(c, PX_TEXT_DATA, data, len, idx, NULL);
        nx_code_scan(ps, idx, "sql", data, len, child, wflags);
        break;
    default:
        break;
    }
}
