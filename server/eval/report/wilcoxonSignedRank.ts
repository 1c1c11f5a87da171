/**
 * Wilcoxon's signed-rank test of paired differences, two-sided, by the normal approximation with the variance
 * corrected for tied ranks. Zero differences are dropped before ranking (Wilcoxon's own rule, scipy's default).
 * No continuity correction, as scipy's `wilcoxon(method="approx")`; the normal approximation is rough below about
 * ten non-zero differences, so `nonZeroCount` is part of the result for a reader to weigh the p-value.
 */
export type WilcoxonSignedRankResult = {
    /** All differences given, zeros included. */
    pairCount: number,
    /** The differences that were ranked. */
    nonZeroCount: number,
    /** The sum of the ranks of the positive differences (W+); ties get the mean of the ranks they span. */
    rankSumPositive: number,
    /** The sum of the ranks of the negative differences (W−). */
    rankSumNegative: number,
    /** (W+ − n(n+1)/4) / σ: positive when the differences lean positive; 0 when nothing was ranked. */
    z: number,
    /** Two-sided; 1 when every difference is zero. */
    pValue: number
};

/**
 * Differences closer than this are the same difference. Scores on BELLE's 0–1 scale come in tenths, and
 * 0.9 − 0.8 and 0.8 − 0.7 differ in binary floating point; without rounding they would rank apart rather than tie.
 */
const differenceResolution = 1e-9;

export function roundDifference(difference: number): number {
    const rounded = Math.round(difference / differenceResolution) * differenceResolution;
    return rounded === 0 ? 0 : rounded; // no -0
}

export function wilcoxonSignedRank(differences: readonly number[]): WilcoxonSignedRankResult {
    const nonZero = differences.map(roundDifference).filter((difference) => difference !== 0);
    nonZero.sort((left, right) => Math.abs(left) - Math.abs(right));
    const count = nonZero.length;

    let rankSumPositive = 0;
    let tieCorrection = 0; // Σ (t³ − t) over groups of t tied absolute values
    for (let start = 0; start < count;) {
        let end = start + 1;
        while (end < count && Math.abs(nonZero[end]!) === Math.abs(nonZero[start]!)) end++;
        const tied = end - start;
        const midRank = (start + 1 + end) / 2; // ranks start + 1 … end, 1-based
        for (let i = start; i < end; i++) if (nonZero[i]! > 0) rankSumPositive += midRank;
        tieCorrection += tied ** 3 - tied;
        start = end;
    }
    const rankSumNegative = count * (count + 1) / 2 - rankSumPositive;
    if (count === 0) return {pairCount: differences.length, nonZeroCount: 0, rankSumPositive, rankSumNegative, z: 0, pValue: 1};

    const expected = count * (count + 1) / 4;
    const variance = count * (count + 1) * (2 * count + 1) / 24 - tieCorrection / 48;
    const z = (rankSumPositive - expected) / Math.sqrt(variance);
    return {
        pairCount: differences.length,
        nonZeroCount: count,
        rankSumPositive,
        rankSumNegative,
        z,
        pValue: Math.min(1, erfc(Math.abs(z) / Math.SQRT2))
    };
}

/**
 * The complementary error function, with a relative error below 1.2e-7 everywhere (the Chebyshev fit of Numerical
 * Recipes' `erfcc`): far finer than a p-value needs. erfc(|z|/√2) is the two-sided normal tail probability.
 */
function erfc(x: number): number {
    const absolute = Math.abs(x);
    const t = 1 / (1 + absolute / 2);
    const value = t * Math.exp(-absolute * absolute - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 +
        t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
    return x >= 0 ? value : 2 - value;
}
