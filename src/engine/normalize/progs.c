/* Static program tables and their lookup.
 *
 * One table per role (wrappers with their option syntax, interpreters with
 * their code options, decoders, nested-body runners, shells, builtins), and
 * one hash index over all names, built once, so classifying a command costs a
 * hash and a compare instead of a chain of strcmp. */
#include "engine/normalize/norm_int.h"

#include <pthread.h>

/* ---- wrappers: peeled so that prog is the program really run ------------ */

static const nwrap WRAPPERS[] = {
    /* name        shortarg        longarg                                     stop   npos flags */
    {"sudo", "ugpCrthUTDR",
     "|user|group|prompt|close-from|chdir|role|type|other-user|host|command-timeout|chroot|",
     "leKvV", 0, WF_SUDO | WF_ASSIGN},
    {"doas", "uCa", "", "L", 0, WF_SUDO},
    {"pkexec", "", "|user|", "", 0, WF_SUDO},
    {"run0", "ugD",
     "|user|group|nice|chdir|setenv|unit|property|description|slice|background|machine|", "", 0,
     WF_SUDO},
    {"env", "uCP", "|unset|chdir|", "", 0, WF_ASSIGN},
    {"nohup", "", "", "", 0, WF_NOOPTS | WF_BG},
    {"setsid", "", "", "", 0, WF_BG},
    {"nice", "n", "|adjustment|", "", 0, WF_DIGITOPT},
    {"ionice", "cn", "|class|classdata|pid|pgid|uid|", "pPu", 0, 0},
    {"timeout", "sk", "|signal|kill-after|", "", 1, 0},
    {"gtimeout", "sk", "|signal|kill-after|", "", 1, 0},
    {"stdbuf", "ioe", "|input|output|error|", "", 0, 0},
    {"time", "fo", "|format|output|", "", 0, 0},
    {"command", "", "", "vV", 0, 0},
    {"builtin", "", "", "", 0, WF_NOOPTS},
    {"exec", "a", "", "", 0, 0},
    {"chrt", "TPD", "|sched-runtime|sched-period|sched-deadline|", "p", 1, 0},
    {"taskset", "", "|cpu-list|", "p", 1, 0},
    {"caffeinate", "tw", "", "", 0, 0},
    {"torsocks", "uapP", "|user|pass|address|port|", "", 0, 0},
    {"torify", "", "", "", 0, 0},
    {"proxychains", "f", "", "", 0, 0},
    {"proxychains4", "f", "", "", 0, 0},
    {"strace", "oepsuaIOPSXbE", "|output|trace|signal|status|string-limit|user|", "p", 0, 0},
    {"ltrace", "oepsuaAnDEFlLxw", "|output|", "p", 0, 0},
    {"busybox", "", "", "", 0, 0},
    {"sshpass", "pfdP", "", "", 0, 0},
    {"setpriv", "",
     "|reuid|regid|groups|inh-caps|ambient-caps|bounding-set|securebits|selinux-label|apparmor-profile|pdeathsig|ruid|euid|rgid|egid|",
     "", 0, 0},
    {"firejail", "", "", "", 0, WF_ALLDASH},
    {"eatmydata", "", "", "", 0, WF_NOOPTS},
    {"nocache", "", "", "", 0, WF_NOOPTS},
    {"unbuffer", "", "", "", 0, 0},
    {"chronic", "", "", "", 0, 0},
    {"systemd-run", "upEHMD",
     "|unit|property|setenv|uid|gid|nice|working-directory|description|slice|host|machine|on-active|on-boot|on-calendar|",
     "", 0, 0},
    {"xvfb-run", "nsfe", "|server-num|server-args|auth-file|error-file|", "", 0, 0},
};

/* ---- interpreters: where their code is --------------------------------- */

static const ninterp INTERPS[] = {
    /* name lang codeopts longcode shortarg longarg fileopts flags */
    {"python", "python", "c", "", "WXQ", "", "m", IF_STDIN},
    {"python2", "python", "c", "", "WXQ", "", "m", IF_STDIN},
    {"python3", "python", "c", "", "WXQ", "", "m", IF_STDIN},
    {"pypy", "python", "c", "", "WXQ", "", "m", IF_STDIN},
    {"pypy3", "python", "c", "", "WXQ", "", "m", IF_STDIN},
    {"perl", "perl", "eE", "", "IM", "", "", IF_STDIN | IF_BUNDLE},
    {"ruby", "ruby", "e", "", "rICE", "|require|", "", IF_STDIN | IF_BUNDLE},
    {"jruby", "ruby", "e", "", "rICE", "", "", IF_STDIN | IF_BUNDLE},
    {"irb", "ruby", "", "", "rI", "", "", IF_STDIN},
    {"node", "node", "ep", "|eval|print|", "r", "|require|input-type|import|loader|", "", IF_STDIN},
    {"nodejs", "node", "ep", "|eval|print|", "r", "|require|input-type|import|loader|", "", IF_STDIN},
    {"bun", "node", "ep", "|eval|print|", "r", "", "", 0},
    {"php", "php", "rBRE", "", "dcz", "", "f", IF_STDIN},
    {"lua", "lua", "e", "", "l", "", "", IF_STDIN},
    {"luajit", "lua", "e", "", "l", "", "", IF_STDIN},
    {"awk", "awk", "e", "|source|", "Fvil", "|field-separator|assign|include|load|", "f", IF_FIRSTARG},
    {"gawk", "awk", "e", "|source|", "Fvil", "|field-separator|assign|include|load|", "f", IF_FIRSTARG},
    {"mawk", "awk", "", "", "FvW", "", "f", IF_FIRSTARG},
    {"nawk", "awk", "", "", "Fv", "", "f", IF_FIRSTARG},
    {"osascript", "applescript", "e", "", "ls", "", "", IF_STDIN | IF_MULTI},
    {"pwsh", "powershell", "", "", "", "", "", IF_STDIN | IF_PWSH},
    {"powershell", "powershell", "", "", "", "", "", IF_STDIN | IF_PWSH},
    {"Rscript", "r", "e", "", "", "", "", IF_MULTI},
    {"R", "r", "e", "", "", "", "f", IF_STDIN | IF_MULTI},
    {"julia", "julia", "eE", "|eval|print|", "LJp", "", "", IF_MULTI},
    {"expect", "tcl", "c", "", "", "", "f", IF_STDIN | IF_MULTI},
    {"tclsh", "tcl", "", "", "", "", "", IF_STDIN},
    {"wish", "tcl", "", "", "", "", "", IF_STDIN},
    {"gdb", "gdb", "", "|ex|eval-command|iex|init-eval-command|",
     "", "|x|command|p|pid|cd|d|directory|s|symbols|se|e|exec|core|c|ix|init-command|", "",
     IF_STDIN | IF_MULTI | IF_SDASHLONG},
    {"lldb", "lldb", "o", "|one-line|", "sS", "|source|", "", IF_MULTI},
    {"vim", "vim", "c", "|cmd|", "SuiTwWst", "", "", IF_PLUS | IF_MULTI},
    {"vi", "vim", "c", "|cmd|", "SuiTwWst", "", "", IF_PLUS | IF_MULTI},
    {"nvim", "vim", "c", "|cmd|", "SuiTwWst", "", "", IF_PLUS | IF_MULTI},
    {"view", "vim", "c", "|cmd|", "SuiTwWst", "", "", IF_PLUS | IF_MULTI},
    {"rvim", "vim", "c", "|cmd|", "SuiTwWst", "", "", IF_PLUS | IF_MULTI},
    {"vimdiff", "vim", "c", "|cmd|", "SuiTwWst", "", "", IF_PLUS | IF_MULTI},
    {"ex", "vim", "c", "|cmd|", "SuiTwWst", "", "", IF_PLUS | IF_MULTI | IF_STDIN},
    {"jrunscript", "javascript", "e", "", "", "", "f", IF_STDIN},
    {"jjs", "javascript", "", "", "", "", "", IF_STDIN},
    {"sqlite3", "sql", "", "|cmd|", "", "|init|separator|nullvalue|newline|", "",
     IF_SQL | IF_SQLPOS | IF_STDIN | IF_SDASHLONG},
    {"duckdb", "sql", "c", "|cmd|", "", "", "", IF_SQL | IF_SQLPOS | IF_STDIN},
    {"mysql", "sql", "e", "|execute|", "uhPDS", "|user|host|port|database|socket|", "",
     IF_SQL | IF_STDIN},
    {"mariadb", "sql", "e", "|execute|", "uhPDS", "|user|host|port|database|socket|", "",
     IF_SQL | IF_STDIN},
    {"psql", "sql", "c", "|command|", "UhpdvP", "|username|host|port|dbname|", "f",
     IF_SQL | IF_STDIN},
    {"sqlplus", "sql", "", "", "", "", "", IF_SQL | IF_STDIN},
    {"clickhouse-client", "sql", "q", "|query|", "hu", "|host|user|", "", IF_SQL | IF_STDIN},
};

/* ---- everything else, by name --------------------------------------- */

typedef struct nnamed {
    const char *name;
    uint8_t     kind;
    int16_t     idx;
} nnamed;

static const nnamed NAMED[] = {
    /* shells */
    {"sh", PK_SHELL, 0}, {"bash", PK_SHELL, 0}, {"dash", PK_SHELL, 0}, {"zsh", PK_SHELL, 0},
    {"ksh", PK_SHELL, 0}, {"ash", PK_SHELL, 0}, {"mksh", PK_SHELL, 0}, {"yash", PK_SHELL, 0},
    {"fish", PK_SHELL, 0}, {"csh", PK_SHELL, 0}, {"tcsh", PK_SHELL, 0}, {"rbash", PK_SHELL, 0},
    {"pdksh", PK_SHELL, 0}, {"posh", PK_SHELL, 0}, {"oksh", PK_SHELL, 0}, {"ksh93", PK_SHELL, 0},
    /* decoders */
    {"base64", PK_DECODER, ND_BASE64}, {"gbase64", PK_DECODER, ND_BASE64},
    {"base32", PK_DECODER, ND_BASE32}, {"basenc", PK_DECODER, ND_BASENC},
    {"xxd", PK_DECODER, ND_XXD}, {"rev", PK_DECODER, ND_REV}, {"tr", PK_DECODER, ND_TR},
    {"openssl", PK_DECODER, ND_OPENSSL},
    /* nested bodies */
    {"alias", PK_NESTED, NN_ALIAS}, {"eval", PK_NESTED, NN_EVAL}, {"su", PK_NESTED, NN_SU}, {"runuser", PK_NESTED, NN_RUNUSER},
    {"script", PK_NESTED, NN_SCRIPT}, {"xargs", PK_NESTED, NN_XARGS},
    {"find", PK_NESTED, NN_FIND}, {"gfind", PK_NESTED, NN_FIND},
    {"ssh", PK_NESTED, NN_SSH}, {"autossh", PK_NESTED, NN_SSH},
    {"docker", PK_NESTED, NN_DOCKER}, {"podman", PK_NESTED, NN_DOCKER},
    {"nerdctl", PK_NESTED, NN_DOCKER}, {"kubectl", PK_NESTED, NN_KUBECTL},
    {"oc", PK_NESTED, NN_KUBECTL}, {"watch", PK_NESTED, NN_WATCH},
    {"parallel", PK_NESTED, NN_PARALLEL}, {"flock", PK_NESTED, NN_FLOCK},
    {"nsenter", PK_NESTED, NN_NSENTER}, {"chroot", PK_NESTED, NN_CHROOT},
    {"unshare", PK_NESTED, NN_UNSHARE}, {"screen", PK_NESTED, NN_SCREEN},
    {"tmux", PK_NESTED, NN_TMUX},
    /* builtins and plumbing */
    {"echo", PK_ECHO, 0}, {"printf", PK_PRINTF, 0}, {"cat", PK_CAT, 0}, {"tee", PK_TEE, 0},
    {"export", PK_DECL, 0}, {"local", PK_DECL, 0}, {"declare", PK_DECL, 0},
    {"readonly", PK_DECL, 0}, {"typeset", PK_DECL, 0},
    {"read", PK_READ, 0}, {"mapfile", PK_READ, 0}, {"readarray", PK_READ, 0},
    {"unset", PK_UNSET, 0}, {"at", PK_STDIN_SH, 0}, {"batch", PK_STDIN_SH, 0},
};

#define COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* ---- index ------------------------------------------------------------- */

enum { HSIZE = 512 };

typedef struct hslot {
    const char *name;
    nprog       p;
} hslot;

static hslot          g_index[HSIZE];
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

static uint32_t hash(const char *s, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 16777619u;
    return h;
}

static void put(const char *name, uint8_t kind, int idx)
{
    uint32_t h = hash(name, strlen(name)) & (HSIZE - 1);
    while (g_index[h].name != NULL) {
        if (strcmp(g_index[h].name, name) == 0)
            return; /* first table wins */
        h = (h + 1) & (HSIZE - 1);
    }
    g_index[h].name = name;
    g_index[h].p.kind = kind;
    g_index[h].p.idx = (int16_t)idx;
}

static void build(void)
{
    for (int i = 0; i < COUNT(WRAPPERS); i++)
        put(WRAPPERS[i].name, PK_WRAPPER, i);
    for (int i = 0; i < COUNT(INTERPS); i++)
        put(INTERPS[i].name, PK_INTERP, i);
    for (int i = 0; i < COUNT(NAMED); i++)
        put(NAMED[i].name, NAMED[i].kind, NAMED[i].idx);
}

static nprog find(const char *s, size_t n)
{
    uint32_t h = hash(s, n) & (HSIZE - 1);
    while (g_index[h].name != NULL) {
        if (strncmp(g_index[h].name, s, n) == 0 && g_index[h].name[n] == '\0')
            return g_index[h].p;
        h = (h + 1) & (HSIZE - 1);
    }
    nprog none = {PK_NONE, -1};
    return none;
}

nprog nx_prog_lookup(const char *name)
{
    pthread_once(&g_once, build);
    size_t n = strlen(name);
    if (n == 0 || n > 64) {
        nprog none = {PK_NONE, -1};
        return none;
    }
    nprog p = find(name, n);
    if (p.kind != PK_NONE)
        return p;
    /* python3.11, perl5.36, php8.2, powershell.exe: strip the suffix, but
     * only interpreters and shells are known by such names. */
    size_t k = n;
    if (k > 4 && strcmp(name + k - 4, ".exe") == 0)
        k -= 4;
    while (k > 1 && (nx_isdigit((unsigned char)name[k - 1]) || name[k - 1] == '.'))
        k--;
    if (k != n) {
        p = find(name, k);
        if (p.kind == PK_INTERP || p.kind == PK_SHELL)
            return p;
    }
    nprog none = {PK_NONE, -1};
    return none;
}

const nwrap *nx_wrap(int idx)
{
    return idx >= 0 && idx < COUNT(WRAPPERS) ? &WRAPPERS[idx] : NULL;
}

const ninterp *nx_interp(int idx)
{
    return idx >= 0 && idx < COUNT(INTERPS) ? &INTERPS[idx] : NULL;
}
