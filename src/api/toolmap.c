/* Generic MCP tool calls ({name, arguments}) mapped onto the variants.
 *
 * Agents name the same few operations many ways (bash, run_command,
 * mcp__filesystem__read_file, filesystem.read_file, ...).  The last
 * segment of the name (after "__", ".", "/" or ":") is looked up in one
 * table; each variant then takes its fields from the first present of a
 * list of usual argument names.  A known tool without its key argument, or
 * an unknown tool, is analysed as Unknown: every string in the arguments. */
#include <cJSON.h>
#include <string.h>
#include <strings.h>

#include "api/request.h"

typedef enum { MAP_BASH, MAP_FS, MAP_NET, MAP_DB } map_kind;

static const struct {
    const char *name;
    map_kind    kind;
    px_fs_op    op;
} tools[] = {
    {"bash", MAP_BASH, 0}, {"shell", MAP_BASH, 0}, {"sh", MAP_BASH, 0}, {"run_command", MAP_BASH, 0},
    {"execute_command", MAP_BASH, 0}, {"run_shell_command", MAP_BASH, 0}, {"run_terminal_cmd", MAP_BASH, 0},
    {"terminal", MAP_BASH, 0}, {"exec", MAP_BASH, 0}, {"execute", MAP_BASH, 0}, {"command", MAP_BASH, 0},
    {"run", MAP_BASH, 0}, {"shell_exec", MAP_BASH, 0}, {"run_in_terminal", MAP_BASH, 0},
    {"read_file", MAP_FS, PX_FS_READ}, {"read", MAP_FS, PX_FS_READ}, {"view", MAP_FS, PX_FS_READ},
    {"cat", MAP_FS, PX_FS_READ}, {"open_file", MAP_FS, PX_FS_READ}, {"read_text_file", MAP_FS, PX_FS_READ},
    {"get_file_contents", MAP_FS, PX_FS_READ}, {"read_multiple_files", MAP_FS, PX_FS_READ},
    {"write_file", MAP_FS, PX_FS_WRITE}, {"write", MAP_FS, PX_FS_WRITE}, {"create_file", MAP_FS, PX_FS_WRITE},
    {"edit_file", MAP_FS, PX_FS_WRITE}, {"save_file", MAP_FS, PX_FS_WRITE}, {"edit", MAP_FS, PX_FS_WRITE},
    {"append_file", MAP_FS, PX_FS_WRITE}, {"str_replace_editor", MAP_FS, PX_FS_WRITE},
    {"delete_file", MAP_FS, PX_FS_DELETE}, {"remove_file", MAP_FS, PX_FS_DELETE}, {"delete", MAP_FS, PX_FS_DELETE},
    {"rm", MAP_FS, PX_FS_DELETE},
    {"list_directory", MAP_FS, PX_FS_LIST}, {"list_dir", MAP_FS, PX_FS_LIST}, {"ls", MAP_FS, PX_FS_LIST},
    {"list_files", MAP_FS, PX_FS_LIST}, {"directory_tree", MAP_FS, PX_FS_LIST},
    {"create_directory", MAP_FS, PX_FS_CREATE}, {"mkdir", MAP_FS, PX_FS_CREATE},
    {"fetch", MAP_NET, 0}, {"web_fetch", MAP_NET, 0}, {"http_request", MAP_NET, 0}, {"http_get", MAP_NET, 0},
    {"http_post", MAP_NET, 0}, {"fetch_url", MAP_NET, 0}, {"curl", MAP_NET, 0}, {"request", MAP_NET, 0},
    {"browse", MAP_NET, 0}, {"webfetch", MAP_NET, 0}, {"http", MAP_NET, 0},
    {"query", MAP_DB, 0}, {"sql", MAP_DB, 0}, {"execute_sql", MAP_DB, 0}, {"run_query", MAP_DB, 0},
    {"db_query", MAP_DB, 0}, {"execute_query", MAP_DB, 0}, {"read_query", MAP_DB, 0}, {"write_query", MAP_DB, 0},
    {"sql_query", MAP_DB, 0},
};

static const char *const command_keys[] = {"command", "cmd", "script", "commandLine", "command_line", "shell", NULL};
static const char *const path_keys[] = {"path", "file_path", "filepath", "file", "filename", "target_file",
                                        "uri", "paths", NULL};
static const char *const content_keys[] = {"content", "contents", "text", "data", "new_str", "file_text", NULL};
static const char *const url_keys[] = {"url", "uri", "href", "endpoint", NULL};
static const char *const body_keys[] = {"body", "data", "payload", "json", NULL};
static const char *const query_keys[] = {"query", "sql", "statement", NULL};
static const char *const conn_keys[] = {"connection", "database", "db", "dsn", NULL};

static const cJSON *first(const cJSON *args, const char *const *keys)
{
    for (int i = 0; keys[i] != NULL; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(args, keys[i]);
        if (v != NULL && !cJSON_IsNull(v))
            return v;
    }
    return NULL;
}

static const char *last_segment(const char *name)
{
    const char *best = name;
    for (const char *p = name; *p != '\0'; p++) {
        if (p[0] == '_' && p[1] == '_')
            best = p + 2;
        else if (*p == '.' || *p == '/' || *p == ':')
            best = p + 1;
    }
    return best;
}

static int fill_bash(px_arena *a, const cJSON *args, px_toolcall *tc)
{
    const cJSON *c = first(args, command_keys);
    if (c == NULL)
        return 1;
    tc->kind = PX_TC_BASH;
    if (cJSON_IsString(c))
        return px_api_copy_str(a, c, &tc->u.bash.command);
    if (!cJSON_IsArray(c))
        return 1;
    /* ["ls", "-la"]: argv form. */
    int n = cJSON_GetArraySize(c), i = 0;
    if (n == 0)
        return 1;
    tc->u.bash.args = px_arena_calloc(a, (size_t)n, sizeof(px_str));
    if (tc->u.bash.args == NULL)
        return -1;
    for (const cJSON *e = c->child; e != NULL; e = e->next) {
        if (!cJSON_IsString(e))
            return 1;
        if (i == 0) {
            if (px_api_copy_str(a, e, &tc->u.bash.command) != 0)
                return -1;
        } else if (px_api_copy_str(a, e, &tc->u.bash.args[i - 1]) != 0) {
            return -1;
        }
        i++;
    }
    tc->u.bash.nargs = n - 1;
    return 0;
}

static int fill_fs(px_arena *a, const cJSON *args, px_fs_op op, px_toolcall *tc, px_api_error *err)
{
    const cJSON *p = first(args, path_keys);
    if (p != NULL && cJSON_IsArray(p) && p->child != NULL)
        p = p->child; /* read_multiple_files: the first path decides the variant; the rest are still scanned */
    if (p == NULL || !cJSON_IsString(p))
        return 1;
    tc->kind = PX_TC_FILESYSTEM;
    tc->u.fs.op = op;
    if (px_api_copy_str(a, p, &tc->u.fs.path) != 0)
        return -1;
    return px_api_bytes_or_str(a, first(args, content_keys), &tc->u.fs.content, "arguments.content", err) == 0 ? 0 : -2;
}

static int fill_net(px_arena *a, const cJSON *args, const char *tool, px_toolcall *tc, px_api_error *err)
{
    const cJSON *u = first(args, url_keys);
    if (u == NULL || !cJSON_IsString(u))
        return 1;
    tc->kind = PX_TC_NETWORK;
    if (px_api_copy_str(a, u, &tc->u.net.url) != 0)
        return -1;
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(args, "method");
    const char *method = m != NULL && cJSON_IsString(m) ? m->valuestring : strcasecmp(tool, "http_post") == 0 ? "POST" : "GET";
    size_t ml = strlen(method);
    tc->u.net.method = (px_str){px_arena_strndup(a, method, ml), ml};
    if (tc->u.net.method.s == NULL)
        return -1;
    const cJSON *b = first(args, body_keys);
    if (b != NULL && (cJSON_IsObject(b) || (cJSON_IsArray(b) && b->child != NULL && !cJSON_IsNumber(b->child)))) {
        /* A structured body: send it as JSON text, as the tool would. */
        char *s = cJSON_PrintUnformatted(b); /* in the request arena, like the tree */
        if (s == NULL)
            return -1;
        tc->u.net.body = (px_str){s, strlen(s)};
        return 0;
    }
    return px_api_bytes_or_str(a, b, &tc->u.net.body, "arguments.body", err) == 0 ? 0 : -2;
}

static int fill_db(px_arena *a, const cJSON *args, px_toolcall *tc)
{
    const cJSON *q = first(args, query_keys);
    if (q == NULL || !cJSON_IsString(q))
        return 1;
    tc->kind = PX_TC_DATABASE;
    if (px_api_copy_str(a, q, &tc->u.db.query) != 0)
        return -1;
    const cJSON *c = first(args, conn_keys);
    if (c != NULL && cJSON_IsString(c))
        return px_api_copy_str(a, c, &tc->u.db.connection);
    return 0;
}

int px_api_toolmap(const char *name, const cJSON *args, px_arena *a, px_toolcall *out, px_api_error *err)
{
    if (args != NULL && !cJSON_IsObject(args) && !cJSON_IsNull(args))
        return px_api_fail(err, 422, "invalid_request", "arguments must be an object");
    size_t nl = strlen(name);
    out->tool_name = px_arena_strndup(a, name, nl);
    const char *seg = last_segment(name);
    int rc = 1;
    for (size_t i = 0; args != NULL && i < sizeof(tools) / sizeof(tools[0]) && rc == 1; i++) {
        if (strcasecmp(seg, tools[i].name) != 0)
            continue;
        switch (tools[i].kind) {
        case MAP_BASH: rc = fill_bash(a, args, out); break;
        case MAP_FS: rc = fill_fs(a, args, tools[i].op, out, err); break;
        case MAP_NET: rc = fill_net(a, args, seg, out, err); break;
        case MAP_DB: rc = fill_db(a, args, out); break;
        }
        break;
    }
    if (rc == -2)
        return -1;
    if (rc < 0)
        return px_api_fail(err, 413, "payload_too_large", "out of memory");
    if (rc == 1) {
        memset(&out->u, 0, sizeof(out->u));
        if (px_api_collect_strings(a, args, out) != 0)
            return px_api_fail(err, 413, "payload_too_large", "out of memory");
    }
    return 0;
}
