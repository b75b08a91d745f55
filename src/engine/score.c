/* Combining findings into one threat score.
 *
 * The formula (also in README "How a score is made"):
 *
 * 1. Analyzer score.  For the findings f_1..f_n of one analyzer, with the
 *    highest score s_max:
 *        a = s_max + 0.1 * sum_{j != max} s_j * (100 - s_max) / 100
 *    Several rules of one analyzer agreeing raise it a little, never past 100.
 *
 * 2. Combination.  Threat analyzers sorted a_1 >= a_2 >= ... :
 *        S = a_1 + (100 - a_1) * sum_{k>=2} w_k * a_k / 100,
 *        w_2 = 0.25, w_3 = 0.125, ... (halving): diminishing shares
 *    plus 5 when three or more analyzers each score >= 50 (independent
 *    evidence agreeing), capped at 100.
 *
 * 3. Legitimacy.  D = the highest discount analyzer score (ordinary
 *    development work).  Final = max(floor, S - D), where floor is the
 *    highest score of a critical finding: legitimacy never talks a
 *    critical rule down.
 *
 * So one rule alone scores exactly its own score, which keeps rule
 * authoring predictable, and unrelated weak signals cannot sum to a block. */
#include <math.h>
#include <string.h>

#include "engine/engine.h"

#define SAME_ANALYZER_SHARE 0.1
#define AGREEMENT_BONUS     5.0
#define AGREEMENT_MIN       50.0
#define AGREEMENT_COUNT     3

static void sort_desc(double *v, int n)
{
    for (int i = 1; i < n; i++) {
        double x = v[i];
        int j = i - 1;
        while (j >= 0 && v[j] < x) {
            v[j + 1] = v[j];
            j--;
        }
        v[j + 1] = x;
    }
}

void px_analysis_combine(px_analysis *an, int nanalyzers, const int *discount)
{
    double max[PX_MAX_ANALYZERS] = {0}, sum[PX_MAX_ANALYZERS] = {0};
    an->floor = 0;
    for (int i = 0; i < an->nfindings; i++) {
        const px_finding *f = &an->findings[i];
        if (f->analyzer < 0 || f->analyzer >= nanalyzers)
            continue;
        sum[f->analyzer] += f->score;
        if (f->score > max[f->analyzer])
            max[f->analyzer] = f->score;
        if (f->critical && f->score > an->floor)
            an->floor = f->score;
    }
    double threat[PX_MAX_ANALYZERS];
    int nthreat = 0;
    an->discount = 0;
    for (int a = 0; a < nanalyzers; a++) {
        double s = max[a];
        if (s > 0)
            s += SAME_ANALYZER_SHARE * (sum[a] - max[a]) * (100.0 - max[a]) / 100.0;
        s = fmin(s, 100.0);
        an->analyzer_score[a] = s;
        if (discount != NULL && discount[a]) {
            an->discount = fmax(an->discount, s);
        } else if (s > 0) {
            threat[nthreat++] = s;
        }
    }
    sort_desc(threat, nthreat);
    double score = nthreat > 0 ? threat[0] : 0, share = 0, w = 0.25;
    int agreeing = 0;
    for (int k = 0; k < nthreat; k++) {
        if (threat[k] >= AGREEMENT_MIN)
            agreeing++;
        if (k > 0) {
            share += w * threat[k] / 100.0;
            w /= 2;
        }
    }
    score += (100.0 - score) * share;
    if (agreeing >= AGREEMENT_COUNT)
        score += AGREEMENT_BONUS;
    score = fmin(score, 100.0);
    score = fmax(an->floor, score - an->discount);
    if (score < 0)
        score = 0;
    /* One decimal, as the API reports it: the decision must agree with the
     * number the client sees. */
    an->score = round(score * 10.0) / 10.0;
}
