// A line chart in hand-written SVG: axes with ticks, a grid, one polyline per series. Colours come from train.css
// classes (VS Code theme variables), never from inline styles, which the CSP forbids. A series of any length is drawn
// with at most two points per two pixels of width (the lowest and highest of each bucket, in order), so a curve of
// 100,000 steps costs as much as one of 600 and keeps its spikes.

import {svgElement} from "../dom/svgElement";

export interface ChartSeries {
    /** A class of train.css: the series' colour. */
    className: string,
    points: ReadonlyArray<{x: number, y: number}>,
    /** Draw a dot on each point too (a sparse series, such as one validation loss per epoch). */
    markers?: boolean
}

export interface LineChartOptions {
    width: number,
    height: number,
    series: ChartSeries[],
    /** The x range to show (the whole job when its length is known); widened to fit the points. */
    xDomain: [number, number],
    /** A fixed y range (accuracy: 0 to 1); otherwise the points' range, padded. */
    yDomain?: [number, number],
    xLabel: string,
    formatY(value: number): string,
    /** Shown in the middle of the plot when no series has a point. */
    emptyText: string
}

const margin = {left: 52, right: 14, top: 10, bottom: 30};
/** Markers stop being drawn past this many points: they would only blur the line. */
const maxMarkers = 200;

/** Redraws `target` (an `<svg>`) from scratch. */
export function drawLineChart(target: SVGSVGElement, options: LineChartOptions): void {
    const {width, height, series} = options;
    target.setAttribute("viewBox", `0 0 ${width} ${height}`);
    const plotWidth = width - margin.left - margin.right;
    const plotHeight = height - margin.top - margin.bottom;
    const all = series.flatMap((one) => one.points);
    const [xMin, xMax] = widen(options.xDomain[0], Math.max(options.xDomain[1], ...lastXs(series)));
    const [yMin, yMax] = options.yDomain ?? paddedRange(all.map((point) => point.y));
    const xTicks = niceTicks(xMin, xMax, 6).filter((tick) => Number.isInteger(tick));
    const yTicks = niceTicks(yMin, yMax, 5);
    const [yLow, yHigh] = [Math.min(yMin, yTicks[0] ?? yMin), Math.max(yMax, yTicks.at(-1) ?? yMax)];
    const toX = (x: number) => margin.left + (x - xMin) / (xMax - xMin) * plotWidth;
    const toY = (y: number) => margin.top + (1 - (y - yLow) / (yHigh - yLow)) * plotHeight;

    const grid = svgElement("g", {class: "chart-grid"});
    const axes = svgElement("g", {class: "chart-axis"});
    for (const tick of yTicks) {
        const y = round(toY(tick));
        grid.append(svgElement("line", {x1: margin.left, x2: width - margin.right, y1: y, y2: y}));
        axes.append(svgElement("text", {x: margin.left - 6, y, "text-anchor": "end", "dominant-baseline": "middle"}, options.formatY(tick)));
    }
    for (const tick of xTicks) {
        const x = round(toX(tick));
        grid.append(svgElement("line", {x1: x, x2: x, y1: margin.top, y2: height - margin.bottom}));
        axes.append(svgElement("text", {x, y: height - margin.bottom + 14, "text-anchor": "middle"}, formatCount(tick)));
    }
    axes.append(svgElement("line", {class: "chart-axis-line", x1: margin.left, x2: margin.left, y1: margin.top, y2: height - margin.bottom}));
    axes.append(svgElement("line", {class: "chart-axis-line", x1: margin.left, x2: width - margin.right, y1: height - margin.bottom, y2: height - margin.bottom}));
    axes.append(svgElement("text", {class: "chart-axis-label", x: width - margin.right, y: height - 4, "text-anchor": "end"}, options.xLabel));

    const lines = svgElement("g", {class: "chart-series"});
    for (const one of series) {
        if (one.points.length === 0) continue;
        const drawn = downsampleMinMax(one.points, xMin, xMax, Math.max(1, Math.floor(plotWidth / 2)));
        const group = svgElement("g", {class: one.className});
        group.append(svgElement("polyline", {
            points: drawn.map((point) => `${round(toX(point.x))},${round(toY(point.y))}`).join(" "), fill: "none"
        }));
        if (one.markers === true && one.points.length <= maxMarkers)
            for (const point of one.points) group.append(svgElement("circle", {cx: round(toX(point.x)), cy: round(toY(point.y)), r: 3}));
        lines.append(group);
    }
    const children: SVGElement[] = [grid, axes, lines];
    if (all.length === 0)
        children.push(svgElement("text", {class: "chart-empty", x: margin.left + plotWidth / 2, y: margin.top + plotHeight / 2, "text-anchor": "middle"}, options.emptyText));
    target.replaceChildren(...children);
}

function lastXs(series: ChartSeries[]): number[] {
    return series.flatMap((one) => one.points.length === 0 ? [] : [one.points[one.points.length - 1]!.x]);
}

/**
 * At most two points per bucket of x: the lowest and the highest y of the bucket, in their order, plus the very
 * last point, so the line still reaches the newest step. Points are assumed sorted by x.
 */
export function downsampleMinMax<P extends {x: number, y: number}>(points: ReadonlyArray<P>, xMin: number, xMax: number, buckets: number): P[] {
    if (points.length <= 2 * buckets) return [...points];
    const result: P[] = [];
    const span = xMax - xMin || 1;
    let bucket = -1;
    let low: P | undefined;
    let high: P | undefined;
    let lowIndex = 0;
    let highIndex = 0;
    points.forEach((point, index) => {
        const pointBucket = Math.min(buckets - 1, Math.max(0, Math.floor((point.x - xMin) / span * buckets)));
        if (pointBucket !== bucket) {
            pushBucket();
            bucket = pointBucket;
            low = high = point;
            lowIndex = highIndex = index;
            return;
        }
        if (point.y < low!.y) [low, lowIndex] = [point, index];
        if (point.y > high!.y) [high, highIndex] = [point, index];
    });
    pushBucket();
    const last = points[points.length - 1]!;
    if (result.at(-1) !== last) result.push(last);
    return result;

    function pushBucket() {
        if (low == null || high == null) return;
        if (low === high) result.push(low);
        else if (lowIndex < highIndex) result.push(low, high);
        else result.push(high, low);
    }
}

/** Round tick values (1, 2 or 5 × 10ⁿ apart) covering [low, high], about `count` of them. */
export function niceTicks(low: number, high: number, count: number): number[] {
    if (!Number.isFinite(low) || !Number.isFinite(high) || high <= low) return [low];
    const rough = (high - low) / Math.max(1, count);
    const power = 10 ** Math.floor(Math.log10(rough));
    const step = [1, 2, 5, 10].map((factor) => factor * power).find((candidate) => candidate >= rough) ?? 10 * power;
    const ticks: number[] = [];
    for (let tick = Math.ceil(low / step) * step; tick <= high + step * 1e-9; tick += step)
        ticks.push(Number(tick.toPrecision(12)));
    return ticks;
}

function paddedRange(values: number[]): [number, number] {
    if (values.length === 0) return [0, 1];
    let low = Infinity;
    let high = -Infinity;
    for (const value of values) {
        if (value < low) low = value;
        if (value > high) high = value;
    }
    const pad = (high - low) * 0.05 || Math.abs(high) * 0.05 || 0.5;
    return [low - pad, high + pad];
}

function widen(low: number, high: number): [number, number] {
    return high > low ? [low, high] : [low, low + 1];
}

function round(value: number): number {
    return Math.round(value * 10) / 10;
}

function formatCount(value: number): string {
    return value >= 10_000 ? `${Number((value / 1000).toPrecision(3))}k` : String(value);
}
