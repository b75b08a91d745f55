/* POST /analyze request bodies: JSON in, validated px_toolcall out.
 *
 * Accepted shapes (brief §3):
 *   {"tool_call": {"Bash"|"Filesystem"|"Network"|"Database"|"Unknown": {...}},
 *    "user_id": "...", "session_id"?, "org_id"?, "user_message"?, "ai_response"?,
 *    "explain"?: true}
 *   {"name": "read_file", "arguments": {...}, "user_id": ...}      generic MCP call
 *   {"method": "tools/call", "params": {"name", "arguments"}, ...}  MCP JSON-RPC
 * Well-known MCP tool names map onto the variants (toolmap.c).
 *
 * Every rejection carries an HTTP status, a stable code and a message that
 * names the offending field. */
#ifndef PX_API_REQUEST_H
#define PX_API_REQUEST_H

#include <stddef.h>

#include "common/arena.h"
#include "engine/toolcall.h"

#define PX_API_MAX_DEPTH   64     /* JSON nesting accepted */
#define PX_API_MAX_ID      256    /* bytes in user/session/org ids */
#define PX_API_MAX_STRINGS 4096   /* string leaves collected from Unknown calls */

typedef struct px_api_error {
    int  status;          /* 400, 415, 422 */
    char code[32];
    char message[256];
} px_api_error;

typedef struct px_api_request {
    px_toolcall call;
    const char *user_id;
    const char *session_id;   /* generated when absent */
    const char *org_id;       /* NULL when absent */
    int         session_generated;
    int         explain;
} px_api_request;

/* content_type may be NULL (missing header).  Returns 0, or -1 with err. */
int px_api_check_content_type(const char *ct, size_t len, px_api_error *err);

/* Parses and validates body; all strings of `out` are copied into `a`. */
int px_api_request_parse(const char *body, size_t len, px_arena *a, px_api_request *out, px_api_error *err);

/* Maps a generic MCP call onto a variant; used by the parser. */
struct cJSON;
int px_api_toolmap(const char *name, const struct cJSON *args, px_arena *a, px_toolcall *out, px_api_error *err);

/* Helpers shared by request.c and toolmap.c. */
int px_api_copy_str(px_arena *a, const struct cJSON *v, px_str *out);
int px_api_bytes_or_str(px_arena *a, const struct cJSON *v, px_str *out, const char *field, px_api_error *err);
int px_api_collect_strings(px_arena *a, const struct cJSON *v, px_toolcall *out);
int px_api_fail(px_api_error *err, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
