/* A validated tool call, as the API layer hands it to the engine.
 *
 * The variants mirror the API contract (brief §3): Bash, Filesystem,
 * Network, Database, and Unknown (any other tool: its string leaves are
 * analysed as text).  Strings point into memory owned by the caller (the
 * request arena); lengths are explicit because values may hold NUL bytes. */
#ifndef PX_ENGINE_TOOLCALL_H
#define PX_ENGINE_TOOLCALL_H

#include <stddef.h>

typedef enum px_tc_kind {
    PX_TC_BASH,
    PX_TC_FILESYSTEM,
    PX_TC_NETWORK,
    PX_TC_DATABASE,
    PX_TC_UNKNOWN,
} px_tc_kind;

typedef enum px_fs_op {
    PX_FS_READ,
    PX_FS_WRITE,
    PX_FS_DELETE,
    PX_FS_LIST,
    PX_FS_CREATE,
} px_fs_op;

typedef struct px_str {
    const char *s;   /* NUL-terminated copy; may contain earlier NULs when len says so */
    size_t      len;
} px_str;

typedef struct px_kv {
    px_str key;
    px_str value;
} px_kv;

typedef struct px_toolcall {
    px_tc_kind  kind;
    const char *tool_name;   /* MCP tool name when the call came as {name, arguments}, else NULL */
    union {
        struct {
            px_str  command;
            px_str *args;
            int     nargs;
            px_kv  *env;
            int     nenv;
        } bash;
        struct {
            px_fs_op op;
            px_str   path;
            px_str   content;  /* s == NULL when absent */
        } fs;
        struct {
            px_str method;
            px_str url;
            px_kv *headers;
            int    nheaders;
            px_str body;       /* s == NULL when absent */
        } net;
        struct {
            px_str query;
            px_str connection;
        } db;
        struct {
            px_str *strings;   /* every string leaf of the arguments, keys included */
            int     nstrings;
        } unknown;
    } u;
    /* Conversation context (optional), scanned for prompt injection. */
    px_str user_message;
    px_str ai_response;
} px_toolcall;

const char *px_tc_kind_name(px_tc_kind k);
const char *px_fs_op_name(px_fs_op op);

#endif
