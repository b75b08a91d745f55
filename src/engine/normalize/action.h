/* What a tool call does, as the analyzers see it.
 *
 * The normaliser turns a shell command (or script) into a flat list of simple
 * commands, each with its program, expanded argv and redirections, plus a
 * list of texts (one canonical line per command, inline interpreter code,
 * decoded payloads, heredoc bodies) that the rule matcher scans with one
 * Hyperscan database.  Every pointer in here is owned by the px_arena the
 * normaliser was given; nothing is freed individually. */
#ifndef PX_ENGINE_NORMALIZE_ACTION_H
#define PX_ENGINE_NORMALIZE_ACTION_H

#include <stddef.h>
#include <stdint.h>

typedef enum px_redir_op {
    PX_REDIR_IN,         /* <  file */
    PX_REDIR_OUT,        /* >  file, >| file, &> file */
    PX_REDIR_APPEND,     /* >> file, &>> file */
    PX_REDIR_INOUT,      /* <> file */
    PX_REDIR_DUP,        /* >&N, <&N, N>&M (target is the fd text) */
    PX_REDIR_HERESTRING, /* <<< word (target is the word) */
    PX_REDIR_HEREDOC,    /* << EOF (target is the body) */
} px_redir_op;

typedef struct px_redir {
    int         fd;      /* fd redirected (default 0 for input, 1 for output) */
    px_redir_op op;
    const char *target;  /* expanded file name, fd text, or heredoc/herestring text */
} px_redir;

enum px_cmd_flags {
    PX_CMD_SUDO       = 1u << 0,  /* run through sudo, doas, pkexec, su -c, run0 */
    PX_CMD_PIPE_IN    = 1u << 1,  /* stdin comes from the previous pipeline stage */
    PX_CMD_PIPE_OUT   = 1u << 2,  /* stdout feeds the next pipeline stage */
    PX_CMD_BACKGROUND = 1u << 3,  /* ended by & (or nohup/setsid/disown) */
    PX_CMD_SUBST      = 1u << 4,  /* inside $(..), `..`, <(..) or >(..) */
    PX_CMD_NESTED     = 1u << 5,  /* body of eval, sh -c, xargs, find -exec, ssh 'cmd', ... */
    PX_CMD_DECODED    = 1u << 6,  /* parsed from a decoded payload (base64 -d | sh, ...) */
    PX_CMD_OBFUSCATED = 1u << 7,  /* program name assembled from quotes, escapes or variables */
    PX_CMD_REMOTE     = 1u << 8,  /* runs on another host (ssh host cmd, kubectl exec, ...) */
};

typedef struct px_cmd {
    const char  *prog;      /* basename of the program run after wrappers are peeled */
    const char **argv;      /* argv[0] as written (expanded); NULL-terminated */
    int          argc;
    px_redir    *redirs;
    int          nredirs;
    uint32_t     flags;     /* px_cmd_flags */
    int          pipeline;  /* index of the pipeline this command is part of */
    int          pipe_pos;  /* 0-based stage within that pipeline */
    int          depth;     /* 0 at top level, +1 per substitution / nested body */
    int          parent;    /* index of the command whose argument/body held this one, or -1 */
    const char  *wrappers;  /* peeled wrappers, space separated ("sudo nohup"), or NULL */
    const char  *line;      /* canonical text: prog, argv[1..], then redirections */
} px_cmd;

typedef enum px_text_kind {
    PX_TEXT_CMD,      /* a px_cmd's canonical line */
    PX_TEXT_CODE,     /* inline interpreter code (python -c, perl -e, awk prog, ...) */
    PX_TEXT_DECODED,  /* a payload the normaliser decoded (base64, hex, printf escapes, rev) */
    PX_TEXT_DATA,     /* heredoc / here-string bodies and echoed data written to files */
    PX_TEXT_RAW,      /* the input as given, whitespace-folded */
    PX_TEXT_PATH,     /* a file path from a Filesystem call */
    PX_TEXT_URL,      /* a URL from a Network call */
    PX_TEXT_SQL,      /* a Database query */
    PX_TEXT_ARG,      /* a free-text argument (Unknown/MCP calls, message fields) */
    PX_TEXT_KIND_COUNT
} px_text_kind;

typedef struct px_text {
    px_text_kind kind;
    const char  *s;      /* NUL-terminated */
    size_t       len;
    int          cmd;    /* index of the px_cmd it belongs to, or -1 */
    const char  *lang;   /* for CODE: "python", "perl", "ruby", "node", "awk", "php", "lua", ...; else NULL */
} px_text;

enum px_actions_flags {
    PX_ACT_TRUNCATED  = 1u << 0,  /* a limit (depth, size, count, time) cut normalisation short */
    PX_ACT_PARSE_ERR  = 1u << 1,  /* unbalanced quotes / substitutions; parsed best-effort */
    PX_ACT_EVAL       = 1u << 2,  /* eval / sh -c / interpreter-run strings were unpacked */
    PX_ACT_DECODED    = 1u << 3,  /* an encoded payload was decoded and analysed */
    PX_ACT_VARPROG    = 1u << 4,  /* a program name came from variable expansion */
    PX_ACT_QUOTESPLIT = 1u << 5,  /* a word was split by empty quotes / backslashes (c''u''rl) */
    PX_ACT_ANSI_C     = 1u << 6,  /* $'\xNN' or printf escapes produced command text */
};

typedef struct px_actions {
    px_cmd  *cmds;
    int      ncmds;
    px_text *texts;
    int      ntexts;
    int      npipelines;
    uint32_t flags;      /* px_actions_flags */
} px_actions;

/* Bounds on the work one input may cause.  Hostile input must not blow up
 * time or memory: when a bound is hit, normalisation stops adding work,
 * sets PX_ACT_TRUNCATED and returns what it has. */
typedef struct px_norm_limits {
    int    max_depth;       /* nesting of substitutions / eval / sh -c / decode (default 8) */
    int    max_cmds;        /* simple commands kept (default 256) */
    int    max_words;       /* words per command (default 1024) */
    size_t max_expansion;   /* bytes one variable expansion may produce (default 64 KiB) */
    size_t max_total;       /* bytes of texts produced in total (default 1 MiB) */
    int    max_vars;        /* tracked variable assignments (default 256) */
} px_norm_limits;

#endif
