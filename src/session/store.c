/* Session store factory: one row per backend. */
#include "session/store.h"

#include <stdio.h>
#include <string.h>

typedef px_store *(*store_create_fn)(const px_store_opts *, char *, size_t);

static const struct {
    px_store_kind   kind;
    store_create_fn create;
} backends[] = {
    {PX_STORE_MEMORY, px_store_memory_create},
    {PX_STORE_REDIS, px_store_redis_create},
};

const char *const px_store_err_names[PX_STORE_ERR_COUNT] = {
    [PX_STORE_ERR_CONNECT] = "connect",         [PX_STORE_ERR_AUTH] = "auth",
    [PX_STORE_ERR_IO] = "io",                   [PX_STORE_ERR_TIMEOUT] = "timeout",
    [PX_STORE_ERR_REPLY] = "reply",             [PX_STORE_ERR_UNAVAILABLE] = "unavailable",
    [PX_STORE_ERR_OVERLOAD] = "overload",
};

px_store *px_store_create(px_store_kind kind, const px_store_opts *o, char *err, size_t errlen)
{
    for (size_t i = 0; i < sizeof(backends) / sizeof(backends[0]); i++)
        if (backends[i].kind == kind)
            return backends[i].create(o, err, errlen);
    snprintf(err, errlen, "session store '%s' is not available in this build", px_store_kind_name(kind));
    return NULL;
}
