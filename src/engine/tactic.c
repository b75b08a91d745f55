#include "engine/tactic.h"

#include <stddef.h>
#include <string.h>
#include <strings.h>

/* One row per tactic: canonical name, MITRE id, kill-chain phase. */
static const struct {
    const char *name;
    const char *id;
    int         phase;
} tactics[PX_TACTIC_COUNT] = {
    [PX_TACTIC_RECONNAISSANCE] = {"reconnaissance", "TA0043", 1},
    [PX_TACTIC_RESOURCE_DEVELOPMENT] = {"resource-development", "TA0042", 0},
    [PX_TACTIC_INITIAL_ACCESS] = {"initial-access", "TA0001", 0},
    [PX_TACTIC_EXECUTION] = {"execution", "TA0002", 0},
    [PX_TACTIC_PERSISTENCE] = {"persistence", "TA0003", 3},
    [PX_TACTIC_PRIVILEGE_ESCALATION] = {"privilege-escalation", "TA0004", 2},
    [PX_TACTIC_DEFENSE_EVASION] = {"defense-evasion", "TA0005", 0},
    [PX_TACTIC_CREDENTIAL_ACCESS] = {"credential-access", "TA0006", 2},
    [PX_TACTIC_DISCOVERY] = {"discovery", "TA0007", 1},
    [PX_TACTIC_LATERAL_MOVEMENT] = {"lateral-movement", "TA0008", 3},
    [PX_TACTIC_COLLECTION] = {"collection", "TA0009", 3},
    [PX_TACTIC_COMMAND_AND_CONTROL] = {"command-and-control", "TA0011", 4},
    [PX_TACTIC_EXFILTRATION] = {"exfiltration", "TA0010", 4},
    [PX_TACTIC_IMPACT] = {"impact", "TA0040", 4},
};

static const struct {
    const char *alias;
    px_tactic   tactic;
} aliases[] = {
    {"stealth", PX_TACTIC_DEFENSE_EVASION},
    {"defense-impairment", PX_TACTIC_DEFENSE_EVASION},
    {"recon", PX_TACTIC_RECONNAISSANCE},
    {"enumeration", PX_TACTIC_DISCOVERY},
    {"c2", PX_TACTIC_COMMAND_AND_CONTROL},
    {"privesc", PX_TACTIC_PRIVILEGE_ESCALATION},
};

const char *px_tactic_name(px_tactic t)
{
    return (unsigned)t < PX_TACTIC_COUNT ? tactics[t].name : NULL;
}

int px_tactic_phase(px_tactic t)
{
    return (unsigned)t < PX_TACTIC_COUNT ? tactics[t].phase : 0;
}

/* Compare ignoring case and treating '_' and ' ' as '-'. */
static int name_eq(const char *a, const char *b)
{
    for (;; a++, b++) {
        char x = *a == '_' || *a == ' ' ? '-' : *a;
        char y = *b == '_' || *b == ' ' ? '-' : *b;
        if ((x | 0x20) != (y | 0x20) || (x == '\0') != (y == '\0'))
            return 0;
        if (x == '\0')
            return 1;
    }
}

int px_tactic_parse(const char *s)
{
    if (s == NULL)
        return -1;
    for (int i = 0; i < PX_TACTIC_COUNT; i++)
        if (name_eq(s, tactics[i].name) || strcasecmp(s, tactics[i].id) == 0)
            return i;
    for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
        if (name_eq(s, aliases[i].alias))
            return (int)aliases[i].tactic;
    return -1;
}
