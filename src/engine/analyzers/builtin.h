/* Hooks of the code analyzers listed in registry.c. */
#ifndef PX_ENGINE_ANALYZERS_BUILTIN_H
#define PX_ENGINE_ANALYZERS_BUILTIN_H

#include "engine/analyzers/analyzer.h"

int  px_an_dataflow_init(const px_engine *e, int self, void **state, char *err, size_t errlen);
void px_an_dataflow_fini(void *state);
void px_an_dataflow_run(const px_engine *e, int self, const void *state, px_analysis *an);

void px_an_legitimacy_run(const px_engine *e, int self, const void *state, px_analysis *an);

/* Session-aware analyzers (session_*.c); their settings structs are freed
 * by px_an_session_settings_fini. */
void px_an_session_settings_fini(void *state);
int  px_an_request_rate_init(const px_engine *e, int self, void **state, char *err, size_t errlen);
void px_an_request_rate_run_session(const px_engine *e, int self, const void *state, const px_session_state *st,
                                    px_analysis *an);
int  px_an_ai_velocity_init(const px_engine *e, int self, void **state, char *err, size_t errlen);
void px_an_ai_velocity_run_session(const px_engine *e, int self, const void *state, const px_session_state *st,
                                   px_analysis *an);
int  px_an_session_progression_init(const px_engine *e, int self, void **state, char *err, size_t errlen);
void px_an_session_progression_run_session(const px_engine *e, int self, const void *state,
                                           const px_session_state *st, px_analysis *an);
int  px_an_multi_target_init(const px_engine *e, int self, void **state, char *err, size_t errlen);
void px_an_multi_target_run_session(const px_engine *e, int self, const void *state, const px_session_state *st,
                                    px_analysis *an);
int  px_an_multi_user_init(const px_engine *e, int self, void **state, char *err, size_t errlen);
void px_an_multi_user_run_session(const px_engine *e, int self, const void *state, const px_session_state *st,
                                  px_analysis *an);
/* The correlation windows (seconds) of multi_target_orchestration and
 * multi_user_correlation: the session store counts over the same windows. */
void px_an_session_windows(const px_engine *e, double *target_window, double *technique_window);

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
