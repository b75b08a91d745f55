/* The code analyzers, one row each.  Rule-only analyzers (most of them)
 * need no row: rules/<name>.yaml is the whole analyzer. */
#include "engine/analyzers/analyzer.h"
#include "engine/analyzers/builtin.h"

const px_analyzer_desc px_analyzer_table[] = {
    {"dataflow", "sensitive data flowing into a network tool, an archive or an encoder", PX_AN_THREAT,
     px_an_dataflow_init, px_an_dataflow_fini, px_an_dataflow_run, NULL},
    {"legitimacy", "ordinary development work, which lowers the score (never below a critical rule's floor)",
     PX_AN_DISCOUNT, NULL, NULL, px_an_legitimacy_run, NULL},
};

const int px_analyzer_table_len = (int)(sizeof(px_analyzer_table) / sizeof(px_analyzer_table[0]));
