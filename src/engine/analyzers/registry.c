/* The code analyzers, one row each.  Rule-only analyzers (most of them)
 * need no row: rules/<name>.yaml is the whole analyzer. */
#include "engine/analyzers/analyzer.h"
#include "engine/analyzers/builtin.h"

const px_analyzer_desc px_analyzer_table[] = {
    {"dataflow", "sensitive data flowing into a network tool, an archive or an encoder", PX_AN_THREAT,
     px_an_dataflow_init, px_an_dataflow_fini, px_an_dataflow_run, NULL},
    {"legitimacy", "ordinary development work, which lowers the score (never below a critical rule's floor)",
     PX_AN_DISCOUNT, NULL, NULL, px_an_legitimacy_run, NULL},
    {"request_rate", "request rate and bursts within a session", PX_AN_THREAT, px_an_request_rate_init,
     px_an_session_settings_fini, NULL, px_an_request_rate_run_session},
    {"ai_velocity", "machine-like cadence: a sustained rate with little jitter", PX_AN_THREAT, px_an_ai_velocity_init,
     px_an_session_settings_fini, NULL, px_an_ai_velocity_run_session},
    {"session_progression", "kill-chain progression over a session's tactics", PX_AN_THREAT,
     px_an_session_progression_init, px_an_session_settings_fini, NULL, px_an_session_progression_run_session},
    {"multi_target_orchestration", "many distinct targets per session, user or org within a window", PX_AN_THREAT,
     px_an_multi_target_init, px_an_session_settings_fini, NULL, px_an_multi_target_run_session},
    {"multi_user_correlation", "the same technique from several users of one org within a window", PX_AN_THREAT,
     px_an_multi_user_init, px_an_session_settings_fini, NULL, px_an_multi_user_run_session},
    {"mcp_orchestration", "secrets moved outward within one tool call", PX_AN_THREAT, px_an_mcp_orchestration_init,
     px_an_mcp_orchestration_fini, px_an_mcp_orchestration_run, NULL},
    {"prompt_injection", "instructions injected into tool arguments and conversation text", PX_AN_THREAT,
     px_an_prompt_injection_init, px_an_prompt_injection_fini, px_an_prompt_injection_run, NULL},
    {"task_fragmentation", "obfuscation and chaining: decoded execution, hidden program names, attack stages in one call",
     PX_AN_THREAT, px_an_task_fragmentation_init, px_an_task_fragmentation_fini, px_an_task_fragmentation_run, NULL},
};

const int px_analyzer_table_len = (int)(sizeof(px_analyzer_table) / sizeof(px_analyzer_table[0]));
