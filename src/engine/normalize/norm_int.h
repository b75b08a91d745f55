/* Private interface shared by the normaliser's translation units.
 *
 * The normaliser is a single-pass "reader" of shell: it parses a body as a
 * flat sequence of simple commands (compound keywords are recognised and
 * skipped, so every simple command anywhere is seen once), expands each
 * command's words against the variables assigned so far (simulating straight-
 * line execution), and recursively reads substitutions, sh -c / eval bodies,
 * decoded payloads and interpreter shell-outs with a bounded depth.
 *
 * Everything is allocated from the caller's arena; every loop charges a step
 * counter so that work stays linear in the input size.
 *
 * Files:  normalize.c  entry point, limits, RAW text
 *         scan.c       where words / substitutions / lines end (no recursion)
 *         parse.c      lists, pipelines, keywords, simple commands
 *         redir.c      redirection operators and heredoc bodies
 *         flow.c       data through pipelines; nested-body entry points
 *         expand.c     quote removal, substitution, splitting (+ param.c, brace.c)
 *         cmd.c        one command: wrappers, canonical line, builtins, shells
 *         nested.c     eval, su, xargs, find, ssh, docker...; interpreter options
 *         code.c       shell-outs inside interpreter code
 *         decode.c     escapes, printf, base64/32/16, xxd, rev, tr
 *         progs.c      the program tables and their index
 *         glob.c       px_glob_match / px_glob_intersects
 *         format.c     px_actions_format
 *         util.c       arena strings, output arrays, variables */
#ifndef PX_ENGINE_NORMALIZE_NORM_INT_H
#define PX_ENGINE_NORMALIZE_NORM_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "engine/normalize/shell.h"

/* Internal hard caps, independent of the caller's limits, that keep C-stack
 * recursion bounded whatever limits are passed. */
enum {
    NX_DEPTH_CAP   = 32,   /* max px_cmd depth we ever recurse to */
    NX_REC_CAP     = 96,   /* max nested expand/brace/parse frames */
    NX_SCAN_STACK  = 1024, /* nesting of quotes/substitutions the scanner tracks */
    NX_CASE_MAX    = 64,   /* nested case statements tracked */
    NX_STAGES_MAX  = 64,   /* pipeline stages tracked for data flow */
    NX_PENDING     = -2,   /* parent placeholder until the owning command exists */
};

/* ---- arena string builder ------------------------------------------- */

typedef struct nstr {
    char  *p;
    size_t len, cap;
} nstr;

/* ---- words --------------------------------------------------------------- */

enum nword_flags {
    W_QUOTED   = 1u << 0,  /* some part was quoted */
    W_SPLIT    = 1u << 1,  /* quote-split / needless backslashes (c''url) */
    W_VAR      = 1u << 2,  /* a known variable contributed */
    W_SUBST    = 1u << 3,  /* a constant command substitution contributed */
    W_NONCONST = 1u << 4,  /* holds text we could not resolve ($x, $(cmd)) */
    W_ANSI     = 1u << 5,  /* $'\x..' or printf/echo -e escapes produced bytes */
    W_GLOB     = 1u << 6,  /* unquoted glob characters */
    W_DECODED  = 1u << 7,  /* bytes came from a decoder (base64 -d, ...) */
    W_LITSUB   = 1u << 8,  /* holds a literal $(..) / `..` / <(..) text */
};

typedef struct nword {
    const char *s;  /* NUL-terminated, arena */
    size_t      len;
    uint32_t    flags;
} nword;

typedef struct nwlist {
    nword *v;
    int    n, cap;
} nwlist;

/* ---- variables ---------------------------------------------------------- */

typedef struct nvar {
    const char *name;
    size_t      nlen;
    const char *val;    /* NULL: assigned but unknown (read, for, $(cmd)) */
    size_t      vlen;
    uint32_t    flags;  /* W_* carried into expansions */
} nvar;

/* ---- per-command side information (data flow through pipelines) --------- */

enum ncrole {
    R_NONE = 0,
    R_SHELL,     /* sh, bash, ... */
    R_INTERP,    /* python, perl, ... */
    R_SQL,       /* sqlite3, mysql, psql: stdin is data with shell escapes */
    R_DECODER,   /* base64 -d, xxd -r, rev, tr, ... */
    R_PASS,      /* cat (no files), tee: stdout = stdin */
    R_PRODUCER,  /* echo / printf with constant output */
    R_STDIN_SH,  /* at, batch: read shell commands from stdin */
};

typedef struct ncinfo {
    const char *out;     /* constant stdout (echo/printf), when has_out */
    size_t      outlen;
    uint32_t    oflags;  /* W_ANSI / W_DECODED of out */
    const char *in;      /* heredoc / here-string body */
    size_t      inlen;
    uint32_t    iflags;
    uint8_t     role;
    uint8_t     has_out, has_in, stdin_code, out_redir, tee;
    int16_t     interp;  /* index in the interpreter table, -1 */
    int16_t     dec;     /* decoder op (nx_decode_op), -1 */
    const char *tr1, *tr2; /* tr sets */
    uint8_t     tr_del;
    uint8_t     tr_rot;  /* tr maps letters by a rotation (rot13): real decoding */
} ncinfo;

/* ---- context ------------------------------------------------------------ */

typedef struct nctx {
    px_arena       *a;
    px_actions     *out;
    px_norm_limits  lim;
    int             base;        /* out->ncmds when we started */
    ncinfo         *info;        /* indexed by cmd - base */
    int             infocap;
    nvar           *vars;
    int             nvars, varcap;
    int             scope;       /* vars below this index belong to outer scopes */
    size_t          total;       /* bytes of texts produced */
    uint64_t        steps, max_steps;
    int             rec;         /* recursion frames in use */
    char           *chunk;       /* small allocations are carved from here */
    size_t          chunk_left;
    bool            stop;        /* a hard limit was hit: unwind */
} nctx;

/* A body being parsed: the top-level input, a $(..) body, an sh -c string... */
typedef struct nps {
    nctx       *c;
    const char *s;
    size_t      n, pos;
    int         depth;       /* depth of the commands produced here */
    int         parent;      /* parent index for them (or NX_PENDING) */
    uint32_t    inherit;     /* px_cmd_flags every command here gets */
    uint32_t    wflags;      /* W_* the body text carried (decoded, ansi) */
    size_t      hd_nl;       /* newline after which pending heredoc bodies start */
    size_t      hd_end;      /* where parsing resumes after that newline */
    /* constant output of the body (for $(..) evaluation) */
    bool        want_out;
    bool        out_nc;
    nstr        outb;
    uint32_t    out_flags;
    bool        pipe_pending;   /* `| cmd` after a compound command */
    /* the pipeline being parsed */
    int         pl_id;          /* px pipeline index, -1 until its first command */
    int         pl_stage;
    bool        pl_in;          /* stage 0 reads a pipe (after a compound) */
    int         nstages;
    int         stages[NX_STAGES_MAX];
    int         case_top;
    uint8_t     case_body[NX_CASE_MAX];
    int         bal;            /* ( ) and { } balance, for PARSE_ERR */
    int         kw_if, kw_do, kw_case;
} nps;

/* ---- util.c ------------------------------------------------------------- */

bool  nx_charge_slow(nctx *c);
/* Charges n steps; false (and stop) when the budget is spent. */
static inline bool nx_charge(nctx *c, size_t n)
{
    c->steps += n;
    if (c->steps > c->max_steps)
        return nx_charge_slow(c);
    return !c->stop;
}
void  nx_trunc(nctx *c);                      /* set TRUNCATED */
void  nx_parse_err(nctx *c);
void *nx_alloc_slow(nctx *c, size_t n);
/* Arena memory, 8-byte aligned; NULL (and c->stop) when the arena is full.
 * Small requests are carved from a chunk to keep the hot path short. */
static inline void *nx_alloc(nctx *c, size_t n)
{
    n = (n + 7) & ~(size_t)7;
    if (n <= c->chunk_left && !c->stop) {
        void *p = c->chunk;
        c->chunk += n;
        c->chunk_left -= n;
        return p;
    }
    return nx_alloc_slow(c, n);
}
char *nx_strndup(nctx *c, const char *s, size_t n);

void  nstr_init(nstr *b);
bool  nstr_reserve(nctx *c, nstr *b, size_t extra);
void  nstr_add_slow(nctx *c, nstr *b, const char *s, size_t n);
static inline void nstr_add(nctx *c, nstr *b, const char *s, size_t n)
{
    if (b->len + n + 1 <= b->cap && n) {
        memcpy(b->p + b->len, s, n);
        b->len += n;
        return;
    }
    nstr_add_slow(c, b, s, n);
}
static inline void nstr_addc(nctx *c, nstr *b, char ch)
{
    if (b->len + 2 <= b->cap) {
        b->p[b->len++] = ch;
        return;
    }
    nstr_add_slow(c, b, &ch, 1);
}
void  nstr_adds(nctx *c, nstr *b, const char *s);
const char *nstr_cstr(nctx *c, nstr *b);      /* NUL-terminated (never NULL unless stop) */

nword *nwl_push(nctx *c, nwlist *l);

int   nx_add_cmd(nctx *c, const px_cmd *cmd);  /* returns index or -1 */
ncinfo *nx_info(nctx *c, int idx);             /* side info of cmd idx (ours only) */
int   nx_add_text(nctx *c, px_text_kind k, const char *s, size_t len, int cmd, const char *lang);

nvar *nx_var_get(nctx *c, const char *name, size_t nlen);
void  nx_var_set(nctx *c, const char *name, size_t nlen, const char *val, size_t vlen, uint32_t flags);
void  nx_var_unset(nctx *c, const char *name, size_t nlen);

const char *nx_basename(const char *s);
bool  nx_is_name(const char *s, size_t n);
size_t nx_assign_len(const char *s, size_t n);   /* length of NAME in NAME=.. / NAME+=.., or 0 */

/* ---- scan.c --------------------------------------------------------------- */

enum nscan_mode {
    SC_WORD,      /* a shell word: stops at an unquoted metacharacter */
    SC_SUBST,     /* after "$(" or "<(": stops after the matching ')' */
    SC_ARITH,     /* after "$((": stops after the matching '))' */
    SC_BQ,        /* after '`': stops after the closing backtick */
    SC_BRACE,     /* after "${": stops after the matching '}' */
    SC_DQ,        /* after '"': stops after the closing quote */
    SC_LINE,      /* stops at the next top-level newline (not consumed) */
};

/* Returns the end position; *unterminated is set when input ended first. */
size_t nx_scan(nctx *c, const char *s, size_t n, size_t pos, int mode, bool *unterminated);
/* After "$((": true when this is arithmetic (closes with "))"), not $( (..) ). */
bool   nx_is_arith(const char *s, size_t n, size_t pos);
bool   nx_is_meta(unsigned char ch);

/* ---- parse.c, redir.c, flow.c ----------------------------------------- */

/* A redirection as read, before its target is expanded. */
typedef struct rredir {
    int         fd;
    size_t      fdb, fde;     /* explicit fd text, fdb == fde when none */
    int         op;
    const char *optext;
    size_t      tb, te;       /* target word (or heredoc delimiter) */
    const char *body;         /* heredoc body */
    size_t      blen;
    bool        quoted;       /* heredoc delimiter was quoted: no expansion */
} rredir;

void   nx_skip_blanks(nps *ps);
size_t nx_scan_word(nps *ps, size_t pos);
/* Reads the redirection operator at ps->pos (r->fd preset, -1 = default),
 * its target word and, for heredocs, the body. */
void   nx_read_redir(nps *ps, rredir *r);
/* Follows constant data through the pipeline just parsed; true with the
 * pipeline's output when that output is constant. */
bool   nx_pipeline_flow(nps *ps, const char **out, size_t *outlen, uint32_t *oflags);

void nx_ps_init(nps *ps, nctx *c, const char *s, size_t n, int depth, int parent, uint32_t inherit);
void nx_parse_body(nps *ps);
/* Parse `s` as shell below command `parent` (depth+1).  Returns false when
 * the depth limit stopped it. */
bool nx_parse_nested(nctx *c, const char *s, size_t n, int depth, int parent,
                     uint32_t inherit, uint32_t wflags, bool keep_vars);
/* A command named after an alias defined earlier in the input also runs
 * the alias body with its arguments (nested.c). */
void nx_alias_follow(nps *ps, int idx, nword *av, int ac, uint32_t cflags);
/* Builds argv as its own command below parent (find -exec, xargs, ssh ...). */
int  nx_exec_argv(nps *ps, int parent, nword *av, int ac, uint32_t flags);

/* ---- expand.c ------------------------------------------------------------- */

enum nexp_opts {
    XO_SPLIT  = 1u << 0,  /* field splitting of unquoted expansions */
    XO_BRACE  = 1u << 1,  /* brace expansion */
    XO_ASSIGN = 1u << 2,  /* assignment value: tilde after '=' and ':' */
    XO_HEREDOC= 1u << 3,  /* heredoc body: only $ ` \ are special */
};

/* Expands raw word text into fields appended to dst. */
void nx_expand(nps *ps, const char *s, size_t n, unsigned opts, nwlist *dst);
/* Expands to exactly one string (no splitting, no braces). */
nword nx_expand1(nps *ps, const char *s, size_t n, unsigned opts);

/* ---- cmd.c ---------------------------------------------------------------- */

typedef struct nredir {
    int         fd;
    const char *fdtext;  /* as written ("2", "{fd}") or NULL */
    int         op;      /* px_redir_op */
    const char *optext;  /* as written (">&", "&>>", "<<", ...) */
    const char *target;
    size_t      tlen;
    uint32_t    tflags;
} nredir;

typedef struct nassign {
    const char *name;
    size_t      nlen;
    nword       val;
    bool        append;
} nassign;

/* Builds, records and follows one simple command.  Returns its index, or -1. */
int  nx_build_cmd(nps *ps, nword *argv, int argc, nredir *r, int nr,
                  nassign *pre, int npre, uint32_t extra_flags);
/* Feeds constant data into command idx's stdin (pipe, heredoc). */
void nx_feed_stdin(nps *ps, int idx, const char *data, size_t len, uint32_t wflags);

/* ---- decode.c ------------------------------------------------------------- */

enum nx_decode_op {
    D_B64, D_B32, D_B16, D_B64URL, D_XXD_PLAIN, D_XXD_DUMP, D_REV, D_TR,
};

/* Decodes in[0..n) into *out (arena).  false when not decodable. */
bool nx_decode(nctx *c, int op, const ncinfo *inf, const char *in, size_t n,
               const char **out, size_t *outlen);
/* $'..' body (between the quotes) decoded into b; returns W_ANSI if it
 * contained byte escapes. */
uint32_t nx_ansi_c(nctx *c, nstr *b, const char *s, size_t n);
/* echo -e / printf %b escapes; *stop set by \c. Returns W_ANSI on byte escapes. */
uint32_t nx_echo_esc(nctx *c, nstr *b, const char *s, size_t n, bool *stop);
/* printf FORMAT ARGS..: output into b; W_ANSI when byte escapes were used. */
uint32_t nx_printf(nctx *c, nstr *b, nword *args, int nargs);
/* PowerShell -EncodedCommand (base64 of UTF-16LE) to bytes. */
bool nx_decode_pwsh(nctx *c, const char *in, size_t n, const char **out, size_t *outlen);

/* ---- progs.c -------------------------------------------------------------- */

enum nprog_kind {
    PK_NONE = 0,
    PK_WRAPPER,   /* peeled: sudo, env, nohup, ... */
    PK_SHELL,     /* sh, bash, ... */
    PK_INTERP,    /* code-running interpreters */
    PK_DECODER,   /* base64, xxd, rev, tr, openssl, basenc, base32 */
    PK_NESTED,    /* eval, su, xargs, find, ssh, docker, ... */
    PK_ECHO,
    PK_PRINTF,
    PK_CAT,
    PK_TEE,
    PK_DECL,      /* export, local, declare, readonly, typeset */
    PK_READ,      /* read, mapfile: variables become unknown */
    PK_UNSET,
    PK_STDIN_SH,  /* at, batch */
};

enum nwrap_flags {
    WF_SUDO     = 1u << 0,
    WF_BG       = 1u << 1,
    WF_ASSIGN   = 1u << 2,  /* VAR=val words before the command */
    WF_DIGITOPT = 1u << 3,  /* -10 is an option (nice) */
    WF_NOOPTS   = 1u << 4,  /* takes no options (nohup: `nohup -x` runs -x) */
    WF_ALLDASH  = 1u << 5,  /* every leading -word is an option (firejail) */
};

typedef struct nwrap {
    const char *name;
    const char *shortarg;  /* short options taking an argument */
    const char *longarg;   /* "|a|b|" long options taking an argument */
    const char *stop;      /* short options after which no command follows */
    uint8_t     npos;      /* positionals before the command */
    uint8_t     flags;
} nwrap;

enum ninterp_flags {
    IF_STDIN    = 1u << 0,  /* reads its program from stdin when given none */
    IF_FIRSTARG = 1u << 1,  /* first operand is the program (awk) */
    IF_BUNDLE   = 1u << 2,  /* code option may end a bundle (-lne) */
    IF_PLUS     = 1u << 3,  /* +cmd is code (vim) */
    IF_SQL      = 1u << 4,  /* text is DATA, shell escapes are .shell/\! */
    IF_MULTI    = 1u << 5,  /* several code options are joined by newlines */
    IF_PWSH     = 1u << 6,  /* PowerShell argument conventions */
    IF_SDASHLONG= 1u << 7,  /* long options with one dash (gdb -ex) */
    IF_SQLPOS   = 1u << 8,  /* second operand is SQL (sqlite3 db SQL) */
};

typedef struct ninterp {
    const char *name;
    const char *lang;
    const char *codeopts;  /* short options whose argument is code */
    const char *longcode;  /* "|eval|print|" long options whose argument is code */
    const char *shortarg;  /* other short options with an argument */
    const char *longarg;   /* "|..|" other long options with an argument */
    const char *fileopts;  /* short options naming a program file */
    uint16_t    flags;
} ninterp;

typedef struct nprog {
    uint8_t kind;
    int16_t idx;   /* into the kind's table */
} nprog;

nprog nx_prog_lookup(const char *name);
const nwrap   *nx_wrap(int idx);
const ninterp *nx_interp(int idx);
/* For PK_NESTED: handler id (enum nnested) */
enum nnested {
    NN_EVAL, NN_SU, NN_RUNUSER, NN_SCRIPT, NN_XARGS, NN_FIND, NN_SSH, NN_DOCKER,
    NN_KUBECTL, NN_WATCH, NN_PARALLEL, NN_FLOCK, NN_NSENTER, NN_CHROOT, NN_UNSHARE,
    NN_SCREEN, NN_TMUX, NN_SOURCE, NN_ALIAS,
};
enum ndecoder {
    ND_BASE64, ND_BASE32, ND_BASENC, ND_XXD, ND_REV, ND_TR, ND_OPENSSL,
};

/* ---- code.c --------------------------------------------------------------- */

/* Scans interpreter code for shell-out calls and reads each as shell below
 * command idx.  Returns the number of shell strings found. */
int nx_code_scan(nps *ps, int idx, const char *lang, const char *code, size_t n,
                 uint32_t inherit_extra, uint32_t wflags);

/* ---- glob.c --------------------------------------------------------------- */

/* Glob match with '*' optionally crossing '/' (parameter patterns do). */
bool nx_gmatch(nctx *c, const char *p, size_t pn, const char *s, size_t sn, bool slash);

/* Character classes for the hot loops (scan.c builds the table). */
enum {
    CC_META = 1,   /* ends an unquoted word: blanks ; & | < > ( ) newline NUL */
    CC_WSPEC = 2,  /* starts something inside a word: \\ ' " $ ` and the metas */
    CC_XSPEC = 4,  /* the expander must look at it: \\ ' " $ ` < > ~ * ? [ NUL */
};
extern const uint8_t nx_cc[256];

static inline bool nx_isalnum(unsigned char ch)
{
    return (ch >= '0' && ch <= '9') || ((ch | 0x20) >= 'a' && (ch | 0x20) <= 'z');
}

static inline bool nx_isdigit(unsigned char ch)
{
    return ch >= '0' && ch <= '9';
}

static inline bool nx_isblank(unsigned char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\0';
}

/* ch is one of set's characters.  Unlike strchr, never true for '\0' (which
 * strchr finds as the terminator). */
static inline bool nx_in(const char *set, char ch)
{
    return ch != '\0' && strchr(set, ch) != NULL;
}

static inline bool nx_eq(const char *s, size_t n, const char *lit)
{
    size_t l = strlen(lit);
    return n == l && memcmp(s, lit, l) == 0;
}

#endif
