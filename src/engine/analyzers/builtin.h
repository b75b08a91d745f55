/* Hooks of the code analyzers listed in registry.c. */
#ifndef PX_ENGINE_ANALYZERS_BUILTIN_H
#define PX_ENGINE_ANALYZERS_BUILTIN_H

#include "engine/analyzers/analyzer.h"

int  px_an_dataflow_init(const px_engine *e, int self, void **state, char *err, size_t errlen);
void px_an_dataflow_fini(void *state);
void px_an_dataflow_run(const px_engine *e, int self, const void *state, px_analysis *an);

void px_an_legitimacy_run(const px_engine *e, int self, const void *state, px_analysis *an);

#endif
