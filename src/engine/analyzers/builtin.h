/* Hooks of the code analyzers listed in registry.c. */
#ifndef PX_ENGINE_ANALYZERS_BUILTIN_H
#define PX_ENGINE_ANALYZERS_BUILTIN_H

#include "engine/analyzers/analyzer.h"

int  px_an_dataflow_init(const px_engine *e, int self, void **state, char *err, size_t errlen);
void px_an_dataflow_fini(void *state);
void px_an_dataflow_run(const px_engine *e, int self, const void *state, px_analysis *an);

void px_an_legitimacy_run(const px_engine *e, int self, const void *state, px_analysis *an);

int  px_an_mcp_orchestration_init(const px_engine *e, int self, void **state, char *err, size_t errlen);
void px_an_mcp_orchestration_fini(void *state);
void px_an_mcp_orchestration_run(const px_engine *e, int self, const void *state, px_analysis *an);
/* Loopback, private, link-local or local-only host name (mcp_orchestration.c). */
int  px_host_is_internal(const char *host);

int  px_an_prompt_injection_init(const px_engine *e, int self, void **state, char *err, size_t errlen);
void px_an_prompt_injection_fini(void *state);
void px_an_prompt_injection_run(const px_engine *e, int self, const void *state, px_analysis *an);

int  px_an_task_fragmentation_init(const px_engine *e, int self, void **state, char *err, size_t errlen);
void px_an_task_fragmentation_fini(void *state);
void px_an_task_fragmentation_run(const px_engine *e, int self, const void *state, px_analysis *an);

#endif
