import {createSeededRandom} from "./createSeededRandom";
import {EvalReportError} from "./EvalReportError";

/** A two-sided interval at `level` (0.95 for a 95% interval). */
export type ConfidenceInterval = {low: number, high: number, level: number};

export type BootstrapOptions = {
    /** How many bootstrap resamples to draw; 2,000 keeps the Monte Carlo error of a 95% bound well under 0.005. */
    resamples?: number,
    /** Seeds the generator, so the same run gives the same intervals every time. */
    seed?: number,
    /** 0.95 for 95% intervals. */
    confidenceLevel?: number
};

export type ResolvedBootstrapOptions = Required<BootstrapOptions>;

export const defaultBootstrapOptions: ResolvedBootstrapOptions = {resamples: 2_000, seed: 0xbe11e, confidenceLevel: 0.95};

export function resolveBootstrapOptions(options: BootstrapOptions = {}): ResolvedBootstrapOptions {
    const resolved = {...defaultBootstrapOptions, ...withoutUndefined(options)};
    if (!Number.isInteger(resolved.resamples) || resolved.resamples < 1)
        throw new EvalReportError(`resamples must be a positive integer, got ${resolved.resamples}.`, "invalid_report_option");
    if (!Number.isSafeInteger(resolved.seed))
        throw new EvalReportError(`seed must be an integer, got ${resolved.seed}.`, "invalid_report_option");
    if (!(resolved.confidenceLevel > 0 && resolved.confidenceLevel < 1))
        throw new EvalReportError(`confidenceLevel must be between 0 and 1, got ${resolved.confidenceLevel}.`, "invalid_report_option");
    return resolved;
}

/** A statistic of the strata's means (the mean of the class means, say), computed on the data and on each resample. */
export type StratumMeansStatistic = (stratumMeans: readonly number[]) => number | null;

export type StratifiedBootstrap<Name extends string> = {
    /** The interval of each stratum's mean, in the order of the strata; null for a stratum of fewer than two values. */
    strata: (ConfidenceInterval | null)[],
    /** The interval of each statistic; null for one that is null on the data, or when no stratum has two values. */
    statistics: Record<Name, ConfidenceInterval | null>
};

/**
 * Percentile-bootstrap intervals for the mean of each stratum and for statistics of those means, all from the same
 * resamples. Each resample redraws every stratum from itself, with replacement and at its own size, so the strata
 * keep the sizes the data has. Strata must not be empty, and their values should be in a fixed order (by item index,
 * not by finishing time), since the seed decides which positions are drawn.
 *
 * A stratum of one value gets no interval: resampling it can only repeat it, and a zero-width interval would claim a
 * certainty that one item cannot give. For the same reason a statistic gets none when every stratum is a single
 * value; where only some are, those add no width to its interval, which is then somewhat too narrow.
 */
export function bootstrapStratifiedMeans<Name extends string>(
    strata: readonly (readonly number[])[],
    statistics: Readonly<Record<Name, StratumMeansStatistic>>,
    options: BootstrapOptions = {}
): StratifiedBootstrap<Name> {
    const {resamples, seed, confidenceLevel} = resolveBootstrapOptions(options);
    if (strata.some((stratum) => stratum.length === 0)) throw new RangeError("A bootstrap stratum is empty.");
    const names = Object.keys(statistics) as Name[];
    const observedMeans = strata.map(mean);
    const anyVariation = strata.some((stratum) => stratum.length >= 2);
    const definedNames = names.filter((name) => anyVariation && statistics[name](observedMeans) != null);

    const random = createSeededRandom(seed);
    const stratumDraws = strata.map(() => new Float64Array(resamples));
    const statisticDraws = new Map(definedNames.map((name) => [name, new Float64Array(resamples)]));
    const resampledMeans = new Array<number>(strata.length).fill(0);
    for (let resample = 0; resample < resamples; resample++) {
        strata.forEach((stratum, stratumIndex) => {
            let sum = 0;
            for (let draw = 0; draw < stratum.length; draw++) sum += stratum[Math.floor(random() * stratum.length)]!;
            resampledMeans[stratumIndex] = sum / stratum.length;
            stratumDraws[stratumIndex]![resample] = sum / stratum.length;
        });
        for (const name of definedNames)
            statisticDraws.get(name)![resample] = statistics[name](resampledMeans) ?? Number.NaN;
    }

    const interval = (draws: Float64Array): ConfidenceInterval => {
        const sorted = draws.sort();
        const tail = (1 - confidenceLevel) / 2;
        return {low: quantile(sorted, tail), high: quantile(sorted, 1 - tail), level: confidenceLevel};
    };
    const statisticIntervals = {} as Record<Name, ConfidenceInterval | null>;
    for (const name of names) {
        const draws = statisticDraws.get(name);
        statisticIntervals[name] = draws != null ? interval(draws) : null;
    }
    return {
        strata: stratumDraws.map((draws, stratumIndex) => strata[stratumIndex]!.length >= 2 ? interval(draws) : null),
        statistics: statisticIntervals
    };
}

export function mean(values: readonly number[]): number {
    let sum = 0;
    for (const value of values) sum += value;
    return sum / values.length;
}

/** The p-quantile of sorted values, interpolating between order statistics (Hyndman and Fan's type 7, R's default). */
function quantile(sorted: Float64Array, p: number): number {
    const position = (sorted.length - 1) * p;
    const below = Math.floor(position);
    const above = Math.min(below + 1, sorted.length - 1);
    return sorted[below]! + (position - below) * (sorted[above]! - sorted[below]!);
}

function withoutUndefined<T extends object>(options: T): Partial<T> {
    return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as Partial<T>;
}
