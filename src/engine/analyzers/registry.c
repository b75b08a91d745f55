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
};

const int px_analyzer_table_len = (int)(sizeof(px_analyzer_table) / sizeof(px_analyzer_table[0]));
