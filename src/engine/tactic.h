/* MITRE ATT&CK tactics, as a bit set per call and as kill-chain phases. */
#ifndef PX_ENGINE_TACTIC_H
#define PX_ENGINE_TACTIC_H

#include <stdint.h>

typedef enum px_tactic {
    PX_TACTIC_RECONNAISSANCE,
    PX_TACTIC_RESOURCE_DEVELOPMENT,
    PX_TACTIC_INITIAL_ACCESS,
    PX_TACTIC_EXECUTION,
    PX_TACTIC_PERSISTENCE,
    PX_TACTIC_PRIVILEGE_ESCALATION,
    PX_TACTIC_DEFENSE_EVASION,
    PX_TACTIC_CREDENTIAL_ACCESS,
    PX_TACTIC_DISCOVERY,
    PX_TACTIC_LATERAL_MOVEMENT,
    PX_TACTIC_COLLECTION,
    PX_TACTIC_COMMAND_AND_CONTROL,
    PX_TACTIC_EXFILTRATION,
    PX_TACTIC_IMPACT,
    PX_TACTIC_COUNT
} px_tactic;

/* Canonical name ("credential-access"); NULL for out-of-range. */
const char *px_tactic_name(px_tactic t);
/* Parses a tactic name or MITRE id (TA0006); accepts '_' for '-' and the
 * ATT&CK v18 split names (stealth, defense-impairment) as defense-evasion.
 * Returns -1 when unknown. */
int px_tactic_parse(const char *s);

/* Kill-chain phase of a tactic: 1 recon/discovery, 2 credential access /
 * privilege escalation, 3 lateral movement / collection, 4 exfiltration /
 * impact / C2; 0 for tactics outside the chain. */
int px_tactic_phase(px_tactic t);

#endif
