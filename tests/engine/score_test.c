#include <criterion/criterion.h>
#include <math.h>

#include "engine/engine.h"
#include "engine/tactic.h"

static px_arena arena;
static px_analysis an;
static void setup(void)
{
    px_arena_init(&arena, 1 << 20);
    memset(&an, 0, sizeof(an));
    an.arena = &arena;
}
static void teardown(void) { px_arena_destroy(&arena); }
TestSuite(score, .init = setup, .fini = teardown);

static void add(int analyzer, double score, int critical)
{
    cr_assert_eq(px_analysis_add(&an, analyzer, -1, -1, PX_TACTIC_DISCOVERY, score, critical, "t", "t"), 0);
}

Test(score, one_rule_scores_exactly_its_score)
{
    add(0, 85, 0);
    px_analysis_combine(&an, 4, NULL);
    cr_expect_float_eq(an.score, 85.0, 1e-9);
}

Test(score, same_analyzer_rules_add_a_tenth_share)
{
    add(0, 80, 0);
    add(0, 60, 0);
    px_analysis_combine(&an, 4, NULL);
    /* 80 + 0.1 * 60 * (100 - 80) / 100 = 81.2 */
    cr_expect_float_eq(an.analyzer_score[0], 81.2, 1e-9);
    cr_expect_float_eq(an.score, 81.2, 1e-9);
}

Test(score, other_analyzers_add_diminishing_shares_and_agreement_bonus)
{
    add(0, 80, 0);
    add(1, 60, 0);
    px_analysis_combine(&an, 4, NULL);
    /* 80 + 20 * (0.25 * 0.6) = 83 */
    cr_expect_float_eq(an.score, 83.0, 1e-9);
    add(2, 50, 0);
    px_analysis_combine(&an, 4, NULL);
    /* 80 + 20 * (0.25*0.6 + 0.125*0.5) = 84.25, three >= 50 agree: +5 -> 89.25 -> 89.3 */
    cr_expect_float_eq(an.score, 89.3, 1e-9);
}

Test(score, capped_at_100)
{
    for (int a = 0; a < 6; a++)
        add(a, 99, 0);
    px_analysis_combine(&an, 6, NULL);
    cr_expect_float_eq(an.score, 100.0, 1e-9);
}

Test(score, legitimacy_discounts_but_never_below_a_critical_floor)
{
    int discount[4] = {0, 0, 0, 1};
    add(0, 60, 0);
    add(3, 15, 0);
    px_analysis_combine(&an, 4, discount);
    cr_expect_float_eq(an.score, 45.0, 1e-9);
    memset(&an, 0, sizeof(an));
    an.arena = &arena;
    add(0, 85, 1);
    add(3, 30, 0);
    px_analysis_combine(&an, 4, discount);
    cr_expect_float_eq(an.score, 85.0, 1e-9, "critical 85 is a floor");
}

Test(score, nothing_scores_zero)
{
    px_analysis_combine(&an, 4, NULL);
    cr_expect_float_eq(an.score, 0.0, 1e-9);
}

Test(tactic, names_ids_aliases_and_phases)
{
    cr_expect_eq(px_tactic_parse("credential-access"), PX_TACTIC_CREDENTIAL_ACCESS);
    cr_expect_eq(px_tactic_parse("Credential_Access"), PX_TACTIC_CREDENTIAL_ACCESS);
    cr_expect_eq(px_tactic_parse("TA0010"), PX_TACTIC_EXFILTRATION);
    cr_expect_eq(px_tactic_parse("stealth"), PX_TACTIC_DEFENSE_EVASION);
    cr_expect_eq(px_tactic_parse("nonsense"), -1);
    cr_expect_eq(px_tactic_phase(PX_TACTIC_DISCOVERY), 1);
    cr_expect_eq(px_tactic_phase(PX_TACTIC_CREDENTIAL_ACCESS), 2);
    cr_expect_eq(px_tactic_phase(PX_TACTIC_LATERAL_MOVEMENT), 3);
    cr_expect_eq(px_tactic_phase(PX_TACTIC_EXFILTRATION), 4);
    cr_expect_str_eq(px_tactic_name(PX_TACTIC_IMPACT), "impact");
}
