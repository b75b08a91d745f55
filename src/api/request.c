#include "api/request.h"

#include <cJSON.h>
#include <ctype.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include "common/buf.h"

int px_api_fail(px_api_error *err, int status, const char *code, const char *fmt, ...)
{
    err->status = status;
    snprintf(err->code, sizeof(err->code), "%s", code);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof(err->message), fmt, ap);
    va_end(ap);
    return -1;
}

int px_api_check_content_type(const char *ct, size_t len, px_api_error *err)
{
    static const char want[] = "application/json";
    /* Parameters (charset) are allowed; the media type must match. */
    size_t n = 0;
    while (ct != NULL && n < len && ct[n] != ';' && ct[n] != ' ')
        n++;
    if (ct == NULL || n != sizeof(want) - 1 || strncasecmp(ct, want, n) != 0)
        return px_api_fail(err, 415, "unsupported_media_type", "Content-Type must be application/json");
    return 0;
}

/* Length of a valid UTF-8 sequence at s, or 0. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    size_t l;
    unsigned cp;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF) {
        l = 2;
        cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        l = 3;
        cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        l = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (n < l)
        return 0;
    for (size_t i = 1; i < l; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if ((l == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) || (l == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
        return 0;
    return l;
}

/* One pass before cJSON: UTF-8 validity, nesting depth, NUL characters
 * (raw or \u0000, which cJSON would silently cut strings at: a command
 * "ls\u0000; rm -rf /" must not be analysed as "ls"). */
static int prescan(const char *body, size_t len, px_api_error *err)
{
    const unsigned char *s = (const unsigned char *)body;
    int depth = 0, in_str = 0;
    for (size_t i = 0; i < len;) {
        unsigned char c = s[i];
        if (c == 0)
            return px_api_fail(err, 400, "invalid_json", "NUL byte at offset %zu", i);
        if (c >= 0x80) {
            size_t l = utf8_len(s + i, len - i);
            if (l == 0)
                return px_api_fail(err, 400, "invalid_utf8", "invalid UTF-8 at byte offset %zu", i);
            i += l;
            continue;
        }
        if (in_str) {
            /* Most of a body is string content: skip plain ASCII fast. */
            if (c != '"' && c != '\\') {
                i++;
                i += px_json_plain_len(body + i, len - i);
                continue;
            }
            if (c == '\\' && i + 1 < len) {
                if (s[i + 1] == 'u' && i + 5 < len && s[i + 2] == '0' && s[i + 3] == '0' && s[i + 4] == '0' &&
                    s[i + 5] == '0')
                    return px_api_fail(err, 422, "invalid_request",
                                       "strings must not contain NUL characters (\\u0000 at offset %zu)", i);
                i += 2;
                continue;
            }
            if (c == '"')
                in_str = 0;
        } else if (c == '"') {
            in_str = 1;
        } else if (c == '{' || c == '[') {
            if (++depth > PX_API_MAX_DEPTH)
                return px_api_fail(err, 400, "nesting_too_deep", "JSON nesting deeper than %d levels",
                                   PX_API_MAX_DEPTH);
        } else if (c == '}' || c == ']') {
            depth--;
        }
        i++;
    }
    return 0;
}

/* cJSON allocates every node and string with malloc.  While a request is
 * parsed its hooks point at the request's arena instead: frees become
 * no-ops, everything goes away when the arena is reset, and parsed strings
 * can be used in place rather than copied.  (Measured with callgrind on
 * /analyze: malloc/free and copies were a quarter of the parse.)  Every
 * cJSON object made during a parse is dropped before it returns. */
static _Thread_local px_arena *t_json_arena;

static void *json_malloc(size_t n)
{
    return t_json_arena != NULL ? px_arena_alloc(t_json_arena, n) : malloc(n);
}

static void json_free(void *p)
{
    if (t_json_arena == NULL)
        free(p);
}

static void install_json_hooks(void)
{
    cJSON_Hooks h = {json_malloc, json_free};
    cJSON_InitHooks(&h);
}

/* Strings live in the request arena (see above): no copy needed. */
int px_api_copy_str(px_arena *a, const cJSON *v, px_str *out)
{
    (void)a;
    *out = (px_str){v->valuestring, strlen(v->valuestring)};
    return 0;
}

/* content / body: null, a string, or an array of byte values. */
int px_api_bytes_or_str(px_arena *a, const cJSON *v, px_str *out, const char *field, px_api_error *err)
{
    *out = (px_str){NULL, 0};
    if (v == NULL || cJSON_IsNull(v))
        return 0;
    if (cJSON_IsString(v))
        return px_api_copy_str(a, v, out) == 0 ? 0 : px_api_fail(err, 413, "payload_too_large", "out of memory");
    if (!cJSON_IsArray(v))
        return px_api_fail(err, 422, "invalid_request", "%s must be null, a string or an array of bytes", field);
    int n = cJSON_GetArraySize(v);
    char *b = px_arena_alloc(a, (size_t)n + 1);
    if (b == NULL)
        return px_api_fail(err, 413, "payload_too_large", "out of memory");
    int i = 0;
    for (const cJSON *e = v->child; e != NULL; e = e->next, i++) {
        if (!cJSON_IsNumber(e) || e->valuedouble < 0 || e->valuedouble > 255 || e->valuedouble != (int)e->valuedouble)
            return px_api_fail(err, 422, "invalid_request", "%s[%d] must be a byte value 0..255", field, i);
        b[i] = (char)e->valueint;
    }
    b[n] = '\0';
    *out = (px_str){b, (size_t)n};
    return 0;
}

static int push_string(px_arena *a, px_toolcall *out, const char *s, int *cap)
{
    if (out->u.unknown.nstrings >= PX_API_MAX_STRINGS)
        return 0;
    if (out->u.unknown.nstrings == *cap) {
        int nc = *cap ? *cap * 2 : 16;
        px_str *v = px_arena_grow(a, out->u.unknown.strings, (size_t)*cap, (size_t)nc, sizeof(px_str));
        if (v == NULL)
            return -1;
        out->u.unknown.strings = v;
        *cap = nc;
    }
    size_t l = strlen(s);
    char *c = px_arena_strndup(a, s, l);
    if (c == NULL)
        return -1;
    out->u.unknown.strings[out->u.unknown.nstrings++] = (px_str){c, l};
    return 0;
}

static int collect(px_arena *a, const cJSON *v, px_toolcall *out, int *cap)
{
    for (; v != NULL; v = v->next) {
        if (v->string != NULL && push_string(a, out, v->string, cap) != 0)
            return -1;
        if (cJSON_IsString(v) && push_string(a, out, v->valuestring, cap) != 0)
            return -1;
        /* Depth is bounded by prescan (PX_API_MAX_DEPTH). */
        if ((cJSON_IsArray(v) || cJSON_IsObject(v)) && collect(a, v->child, out, cap) != 0)
            return -1;
    }
    return 0;
}

int px_api_collect_strings(px_arena *a, const cJSON *v, px_toolcall *out)
{
    int cap = 0;
    out->kind = PX_TC_UNKNOWN;
    out->u.unknown.strings = NULL;
    out->u.unknown.nstrings = 0;
    if (v == NULL)
        return 0;
    if (cJSON_IsString(v))
        return push_string(a, out, v->valuestring, &cap);
    return cJSON_IsArray(v) || cJSON_IsObject(v) ? collect(a, v->child, out, &cap) : 0;
}

static const cJSON *field(const cJSON *obj, const char *name)
{
    return cJSON_GetObjectItemCaseSensitive(obj, name);
}

static int req_string(px_arena *a, const cJSON *obj, const char *name, const char *path, px_str *out,
                      px_api_error *err)
{
    const cJSON *v = field(obj, name);
    if (v == NULL)
        return px_api_fail(err, 422, "invalid_request", "%s.%s is required", path, name);
    if (!cJSON_IsString(v))
        return px_api_fail(err, 422, "invalid_request", "%s.%s must be a string", path, name);
    return px_api_copy_str(a, v, out) == 0 ? 0 : px_api_fail(err, 413, "payload_too_large", "out of memory");
}

static int opt_string(px_arena *a, const cJSON *obj, const char *name, const char *path, px_str *out,
                      px_api_error *err)
{
    const cJSON *v = field(obj, name);
    *out = (px_str){NULL, 0};
    if (v == NULL || cJSON_IsNull(v))
        return 0;
    if (!cJSON_IsString(v))
        return px_api_fail(err, 422, "invalid_request", "%s.%s must be a string", path, name);
    return px_api_copy_str(a, v, out) == 0 ? 0 : px_api_fail(err, 413, "payload_too_large", "out of memory");
}

/* An object of string values (env, headers). */
static int string_map(px_arena *a, const cJSON *v, const char *path, px_kv **out, int *n, px_api_error *err)
{
    *out = NULL;
    *n = 0;
    if (v == NULL || cJSON_IsNull(v))
        return 0;
    if (!cJSON_IsObject(v))
        return px_api_fail(err, 422, "invalid_request", "%s must be an object of strings", path);
    int cnt = cJSON_GetArraySize(v), i = 0;
    *out = px_arena_calloc(a, (size_t)(cnt ? cnt : 1), sizeof(px_kv));
    if (*out == NULL)
        return px_api_fail(err, 413, "payload_too_large", "out of memory");
    for (const cJSON *e = v->child; e != NULL; e = e->next, i++) {
        if (!cJSON_IsString(e))
            return px_api_fail(err, 422, "invalid_request", "%s.%s must be a string", path, e->string);
        size_t kl = strlen(e->string);
        (*out)[i].key = (px_str){px_arena_strndup(a, e->string, kl), kl};
        if ((*out)[i].key.s == NULL || px_api_copy_str(a, e, &(*out)[i].value) != 0)
            return px_api_fail(err, 413, "payload_too_large", "out of memory");
    }
    *n = cnt;
    return 0;
}

static int parse_bash(px_arena *a, const cJSON *b, px_toolcall *tc, px_api_error *err)
{
    tc->kind = PX_TC_BASH;
    if (req_string(a, b, "command", "tool_call.Bash", &tc->u.bash.command, err) != 0)
        return -1;
    const cJSON *args = field(b, "args");
    if (args != NULL && !cJSON_IsNull(args)) {
        if (!cJSON_IsArray(args))
            return px_api_fail(err, 422, "invalid_request", "tool_call.Bash.args must be an array of strings");
        int n = cJSON_GetArraySize(args), i = 0;
        tc->u.bash.args = px_arena_calloc(a, (size_t)(n ? n : 1), sizeof(px_str));
        if (tc->u.bash.args == NULL)
            return px_api_fail(err, 413, "payload_too_large", "out of memory");
        for (const cJSON *e = args->child; e != NULL; e = e->next, i++) {
            if (!cJSON_IsString(e))
                return px_api_fail(err, 422, "invalid_request", "tool_call.Bash.args[%d] must be a string", i);
            if (px_api_copy_str(a, e, &tc->u.bash.args[i]) != 0)
                return px_api_fail(err, 413, "payload_too_large", "out of memory");
        }
        tc->u.bash.nargs = n;
    }
    return string_map(a, field(b, "env"), "tool_call.Bash.env", &tc->u.bash.env, &tc->u.bash.nenv, err);
}

static const char *const fs_ops[] = {"Read", "Write", "Delete", "List", "Create"};

static int parse_fs(px_arena *a, const cJSON *f, px_toolcall *tc, px_api_error *err)
{
    tc->kind = PX_TC_FILESYSTEM;
    const cJSON *op = field(f, "operation");
    if (op == NULL || !cJSON_IsString(op))
        return px_api_fail(err, 422, "invalid_request",
                           "tool_call.Filesystem.operation is required: Read, Write, Delete, List or Create");
    int k = 0;
    while (k < 5 && strcasecmp(op->valuestring, fs_ops[k]) != 0)
        k++;
    if (k == 5)
        return px_api_fail(err, 422, "invalid_request",
                           "tool_call.Filesystem.operation must be Read, Write, Delete, List or Create");
    tc->u.fs.op = (px_fs_op)k;
    if (req_string(a, f, "path", "tool_call.Filesystem", &tc->u.fs.path, err) != 0)
        return -1;
    return px_api_bytes_or_str(a, field(f, "content"), &tc->u.fs.content, "tool_call.Filesystem.content", err);
}

static int parse_net(px_arena *a, const cJSON *n, px_toolcall *tc, px_api_error *err)
{
    tc->kind = PX_TC_NETWORK;
    if (req_string(a, n, "method", "tool_call.Network", &tc->u.net.method, err) != 0 ||
        req_string(a, n, "url", "tool_call.Network", &tc->u.net.url, err) != 0 ||
        string_map(a, field(n, "headers"), "tool_call.Network.headers", &tc->u.net.headers, &tc->u.net.nheaders,
                   err) != 0)
        return -1;
    return px_api_bytes_or_str(a, field(n, "body"), &tc->u.net.body, "tool_call.Network.body", err);
}

static int parse_db(px_arena *a, const cJSON *d, px_toolcall *tc, px_api_error *err)
{
    tc->kind = PX_TC_DATABASE;
    if (req_string(a, d, "query", "tool_call.Database", &tc->u.db.query, err) != 0)
        return -1;
    return opt_string(a, d, "connection", "tool_call.Database", &tc->u.db.connection, err);
}

static int parse_unknown(px_arena *a, const cJSON *u, px_toolcall *tc, px_api_error *err)
{
    if (px_api_collect_strings(a, u, tc) != 0)
        return px_api_fail(err, 413, "payload_too_large", "out of memory");
    return 0;
}

/* The externally tagged variants, one row each. */
static const struct {
    const char *tag;
    int (*parse)(px_arena *, const cJSON *, px_toolcall *, px_api_error *);
    int object_only;
} variants[] = {
    {"Bash", parse_bash, 1},
    {"Filesystem", parse_fs, 1},
    {"Network", parse_net, 1},
    {"Database", parse_db, 1},
    {"Unknown", parse_unknown, 0},
};

static int parse_tool_call(px_arena *a, const cJSON *tcj, px_toolcall *tc, px_api_error *err)
{
    if (!cJSON_IsObject(tcj))
        return px_api_fail(err, 422, "invalid_request", "tool_call must be an object with one variant key");
    if (cJSON_GetArraySize(tcj) != 1)
        return px_api_fail(err, 422, "invalid_request",
                           "tool_call must have exactly one key: Bash, Filesystem, Network, Database or Unknown");
    const cJSON *v = tcj->child;
    for (size_t i = 0; i < sizeof(variants) / sizeof(variants[0]); i++) {
        if (strcasecmp(v->string, variants[i].tag) != 0)
            continue;
        if (variants[i].object_only && !cJSON_IsObject(v))
            return px_api_fail(err, 422, "invalid_request", "tool_call.%s must be an object", variants[i].tag);
        return variants[i].parse(a, v, tc, err);
    }
    return px_api_fail(err, 422, "invalid_request",
                       "unknown tool_call variant '%.40s' (expected Bash, Filesystem, Network, Database or Unknown)",
                       v->string);
}

static int id_field(px_arena *a, const cJSON *root, const char *name, int required, const char **out,
                    px_api_error *err)
{
    const cJSON *v = field(root, name);
    *out = NULL;
    if (v == NULL || cJSON_IsNull(v)) {
        if (required)
            return px_api_fail(err, 422, "invalid_request", "%s is required", name);
        return 0;
    }
    if (!cJSON_IsString(v))
        return px_api_fail(err, 422, "invalid_request", "%s must be a string", name);
    size_t l = strlen(v->valuestring);
    if (l == 0 && required)
        return px_api_fail(err, 422, "invalid_request", "%s must not be empty", name);
    if (l > PX_API_MAX_ID)
        return px_api_fail(err, 422, "invalid_request", "%s is longer than %d bytes", name, PX_API_MAX_ID);
    for (size_t i = 0; i < l; i++)
        if ((unsigned char)v->valuestring[i] < 0x20)
            return px_api_fail(err, 422, "invalid_request", "%s must not contain control characters", name);
    *out = l > 0 ? px_arena_strndup(a, v->valuestring, l) : NULL;
    return 0;
}

static char *new_session_id(px_arena *a)
{
    unsigned char r[16];
    if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
        memset(r, 0, sizeof(r));
    char *s = px_arena_alloc(a, 5 + 32 + 1);
    if (s == NULL)
        return NULL;
    memcpy(s, "sess-", 5);
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < 16; i++) {
        s[5 + i * 2] = hex[r[i] >> 4];
        s[6 + i * 2] = hex[r[i] & 15];
    }
    s[37] = '\0';
    return s;
}

int px_api_request_parse(const char *body, size_t len, px_arena *a, px_api_request *out, px_api_error *err)
{
    memset(out, 0, sizeof(*out));
    if (len == 0)
        return px_api_fail(err, 400, "invalid_json", "request body is empty");
    if (prescan(body, len, err) != 0)
        return -1;
    static pthread_once_t hooks_once = PTHREAD_ONCE_INIT;
    pthread_once(&hooks_once, install_json_hooks);
    const char *end = NULL;
    px_arena *saved = t_json_arena;
    t_json_arena = a;
    cJSON *root = cJSON_ParseWithLengthOpts(body, len, &end, 0);
    if (root == NULL) {
        t_json_arena = saved;
        if (a->failed)
            return px_api_fail(err, 413, "payload_too_large", "the request expands beyond the parser's memory limit");
        const char *at = cJSON_GetErrorPtr();
        size_t off = at != NULL && at >= body && at <= body + len ? (size_t)(at - body) : 0;
        return px_api_fail(err, 400, "invalid_json", "invalid JSON near byte offset %zu", off);
    }
    while (end != NULL && end < body + len && isspace((unsigned char)*end))
        end++;
    int rc = -1;
    if (end != body + len) {
        px_api_fail(err, 400, "invalid_json", "unexpected data after the JSON value at byte offset %zu",
                    (size_t)(end - body));
        goto done;
    }
    if (!cJSON_IsObject(root)) {
        px_api_fail(err, 422, "invalid_request", "request body must be a JSON object");
        goto done;
    }
    const cJSON *tcj = field(root, "tool_call");
    if (tcj != NULL) {
        if (parse_tool_call(a, tcj, &out->call, err) != 0)
            goto done;
    } else {
        /* Generic MCP forms: {name, arguments} or JSON-RPC tools/call. */
        const cJSON *call = root;
        const cJSON *params = field(root, "params");
        if (field(root, "name") == NULL && cJSON_IsObject(params))
            call = params;
        const cJSON *name = field(call, "name");
        if (name == NULL) {
            px_api_fail(err, 422, "invalid_request",
                        "tool_call is required (or an MCP call with name and arguments)");
            goto done;
        }
        if (!cJSON_IsString(name) || name->valuestring[0] == '\0') {
            px_api_fail(err, 422, "invalid_request", "name must be a non-empty string");
            goto done;
        }
        if (px_api_toolmap(name->valuestring, field(call, "arguments"), a, &out->call, err) != 0)
            goto done;
    }
    if (id_field(a, root, "user_id", 1, &out->user_id, err) != 0 ||
        id_field(a, root, "session_id", 0, &out->session_id, err) != 0 ||
        id_field(a, root, "org_id", 0, &out->org_id, err) != 0 ||
        opt_string(a, root, "user_message", "request", &out->call.user_message, err) != 0 ||
        opt_string(a, root, "ai_response", "request", &out->call.ai_response, err) != 0)
        goto done;
    const cJSON *ex = field(root, "explain");
    if (ex != NULL && !cJSON_IsBool(ex) && !cJSON_IsNull(ex)) {
        px_api_fail(err, 422, "invalid_request", "explain must be a boolean");
        goto done;
    }
    out->explain = cJSON_IsTrue(ex);
    if (out->session_id == NULL) {
        if ((out->session_id = new_session_id(a)) == NULL) {
            px_api_fail(err, 413, "payload_too_large", "out of memory");
            goto done;
        }
        out->session_generated = 1;
    }
    rc = 0;
done:
    /* The tree lives in the arena: nothing to free. */
    t_json_arena = saved;
    if (rc != 0 && a->failed)
        return px_api_fail(err, 413, "payload_too_large", "the request expands beyond the parser's memory limit");
    return rc;
}
