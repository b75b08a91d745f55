/* libFuzzer target: the /analyze request parser and the engine behind it.
 * Any input must be either rejected with an error or analysed, within the
 * arena's bounds, without a crash, leak or undefined behaviour. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "api/request.h"
#include "engine/engine.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static px_engine *engine;
static px_engine_worker *worker;
static px_arena arena;

static void init(void)
{
    const char *dir = getenv("PX_RULES_DIR");
    px_engine_opts o = {dir != NULL ? dir : "rules", NULL};
    char err[1024];
    engine = px_engine_create(&o, err, sizeof(err));
    if (engine == NULL)
        abort();
    worker = px_engine_worker_create(engine);
    px_arena_init(&arena, 64u << 20);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (engine == NULL)
        init();
    px_arena_reset(&arena);
    px_api_request req;
    px_api_error err;
    if (px_api_check_content_type((const char *)data, size < 64 ? size : 64, &err) == 0)
        return 0; /* exercised for its own sake; nothing more to do */
    if (px_api_request_parse((const char *)data, size, &arena, &req, &err) == 0) {
        px_analysis an;
        px_engine_analyze(worker, &req.call, &arena, &an);
    }
    return 0;
}
