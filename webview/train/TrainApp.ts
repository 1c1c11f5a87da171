// The training view: one job's status, figures, loss and accuracy curves, notes and buttons. The job's name, notes
// and messages are untrusted (a trainer's log lines, a file name): every piece goes in with textContent, never
// innerHTML. The DOM is built once per `train/state`; events only update it.
import {
    isExtensionToTrainingViewMessage, type TrainingJobStatus, type TrainingViewAction, type TrainingViewState,
    type TrainingViewToExtensionMessage
} from "../protocol/trainProtocol";
import {applyTrainingViewEvent, isFinishedTrainingStatus, totalTrainingSteps} from "../protocol/trainingViewState";
import {drawLineChart, type ChartSeries} from "./drawLineChart";
import {trainingViewStrings, type TrainingViewStringKey, type TrainingViewStrings} from "./trainingViewStrings";

export interface TrainingViewVsCodeApi {
    postMessage(message: TrainingViewToExtensionMessage): void
}

const statusKeys: Record<TrainingJobStatus, TrainingViewStringKey> = {
    starting: "statusStarting", running: "statusRunning", saved: "statusSaved", failed: "statusFailed", cancelled: "statusCancelled"
};
const actionKeys: Record<TrainingViewAction, TrainingViewStringKey> = {cancel: "cancel", chat: "chat", evaluate: "evaluate", reveal: "reveal"};

function el<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string, text?: string): HTMLElementTagNameMap[K] {
    const element = document.createElement(tag);
    if (className != null) element.className = className;
    if (text != null) element.textContent = text;
    return element;
}

function formatDuration(ms: number): string {
    const seconds = Math.max(0, Math.round(ms / 1000));
    const [h, m, s] = [Math.floor(seconds / 3600), Math.floor(seconds / 60) % 60, seconds % 60];
    const two = (value: number) => String(value).padStart(2, "0");
    return h > 0 ? `${h}:${two(m)}:${two(s)}` : `${m}:${two(s)}`;
}

const formatLoss = (value: number) => Math.abs(value) >= 100 ? value.toFixed(0) : Math.abs(value) >= 10 ? value.toFixed(1) : value.toFixed(2);
const formatShare = (value: number) => `${Math.round(value * 100)}%`;

type Figures = Record<"step" | "epoch" | "tokensPerSecond" | "eta" | "elapsed" | "learningRate" | "loss", HTMLElement>;

export class TrainApp {
    private _strings: TrainingViewStrings = {...trainingViewStrings};
    private _state: TrainingViewState | null = null;
    private _actions: TrainingViewAction[] = [];
    private _view: {
        status: HTMLElement, message: HTMLElement, figures: Figures, buttons: Map<TrainingViewAction, HTMLButtonElement>,
        lossChart: SVGSVGElement, accuracyChart: SVGSVGElement, accuracySection: HTMLElement, legend: HTMLElement, accuracyLegend: HTMLElement,
        notesSection: HTMLElement, notes: HTMLUListElement
    } | null = null;
    /** An action the user asked for and the host has not answered with a new status yet: its button stays disabled. */
    private readonly _requested = new Set<TrainingViewAction>();

    public constructor(private readonly _root: HTMLElement, private readonly _vscode: TrainingViewVsCodeApi) {}

    public start(): void {
        this._root.replaceChildren(el("p", "train-waiting", this._strings.waiting));
        window.addEventListener("message", (event: MessageEvent) => this._onMessage(event.data));
        this._vscode.postMessage({method: "ready"});
    }

    private _t(key: TrainingViewStringKey, ...args: Array<string | number>): string {
        return this._strings[key].replace(/\{(\d+)\}/g, (match, index: string) => {
            const value = args[Number(index)];
            return value == null ? match : String(value);
        });
    }

    private _onMessage(data: unknown): void {
        if (!isExtensionToTrainingViewMessage(data)) return;
        if (data.method === "train/state") {
            this._strings = {...trainingViewStrings, ...data.params.strings};
            this._state = data.params.state;
            this._actions = data.params.actions;
            this._requested.clear();
            this._build();
        } else {
            const state = this._state;
            if (state == null) return;
            const status = state.status;
            for (const event of data.params.events) applyTrainingViewEvent(state, event);
            state.elapsedMs = data.params.elapsedMs;
            if (state.status !== status) this._requested.clear();
        }
        this._render();
    }

    private _build(): void {
        const state = this._state!;
        const header = el("header", "train-header");
        const title = el("h1", "train-name", state.name);
        const status = el("span", "train-status");
        status.setAttribute("role", "status");
        header.append(title, status);
        const message = el("p", "train-message");

        const figureList = el("dl", "train-figures");
        const figure = (key: TrainingViewStringKey, name: string) => {
            const item = el("div", "train-figure");
            const value = el("dd");
            value.dataset.figure = name;
            item.append(el("dt", undefined, this._t(key)), value);
            figureList.append(item);
            return value;
        };
        const figures: Figures = {
            step: figure("step", "step"), epoch: figure("epoch", "epoch"), loss: figure("trainLoss", "loss"),
            tokensPerSecond: figure("tokensPerSecond", "tokensPerSecond"), learningRate: figure("learningRate", "learningRate"),
            elapsed: figure("elapsed", "elapsed"), eta: figure("eta", "eta")
        };

        const bar = el("div", "train-actions");
        const buttons = new Map<TrainingViewAction, HTMLButtonElement>();
        for (const action of this._actions) {
            const button = el("button", `train-action${action === "cancel" ? "" : " secondary"}`, this._t(actionKeys[action]));
            button.type = "button";
            button.dataset.action = action;
            button.addEventListener("click", () => {
                this._requested.add(action);
                this._vscode.postMessage({method: "train/action", params: {action}});
                this._render();
            });
            bar.append(button);
            buttons.set(action, button);
        }

        const chart = (className: string) => {
            const element = document.createElementNS("http://www.w3.org/2000/svg", "svg");
            element.setAttribute("class", `train-chart ${className}`);
            element.setAttribute("role", "img");
            return element;
        };
        const lossChart = chart("loss-chart");
        lossChart.setAttribute("aria-label", this._t("lossChart"));
        const legend = el("ul", "chart-legend");
        const lossSection = el("section", "train-chart-section");
        lossSection.append(el("h2", undefined, this._t("lossChart")), legend, lossChart);
        const accuracyChart = chart("accuracy-chart");
        accuracyChart.setAttribute("aria-label", this._t("accuracyChart"));
        const accuracyLegend = el("ul", "chart-legend");
        const accuracySection = el("section", "train-chart-section");
        accuracySection.append(el("h2", undefined, this._t("accuracyChart")), accuracyLegend, accuracyChart);

        const notesSection = el("section", "train-notes");
        const notes = el("ul");
        notesSection.append(el("h2", undefined, this._t("notes")), notes);

        this._view = {status, message, figures, buttons, lossChart, accuracyChart, accuracySection, legend, accuracyLegend, notesSection, notes};
        const app = el("div", "train");
        app.append(header, message, figureList, bar, lossSection, accuracySection, notesSection);
        this._root.replaceChildren(app);
    }

    private _render(): void {
        const state = this._state;
        const view = this._view;
        if (state == null || view == null) return;
        view.status.textContent = this._t(statusKeys[state.status]);
        view.status.dataset.status = state.status;
        view.message.textContent = state.status === "failed" ? this._t("failedWith", state.statusMessage ?? "?")
            : state.status === "saved" && state.outputPath != null ? this._t("savedTo", state.outputPath)
            : state.statusMessage ?? "";
        view.message.className = `train-message ${state.status}`;
        view.message.setAttribute("role", state.status === "failed" ? "alert" : "note");
        view.message.hidden = view.message.textContent === "";

        const total = totalTrainingSteps(state);
        const finished = isFinishedTrainingStatus(state.status);
        view.figures.step.textContent = total == null ? String(state.step) : this._t("ofTotal", state.step, total);
        const epoch = state.epoch === 0 ? "0" : state.epoch.toFixed(2);
        view.figures.epoch.textContent = state.epochs == null ? epoch : this._t("ofTotal", epoch, state.epochs);
        const last = state.train.at(-1);
        view.figures.loss.textContent = last == null ? "—" : last.loss.toFixed(4);
        view.figures.tokensPerSecond.textContent = state.tokensPerSecond == null ? "—" : state.tokensPerSecond.toFixed(0);
        view.figures.learningRate.textContent = state.learningRate == null ? "—" : state.learningRate.toExponential(2);
        view.figures.elapsed.textContent = formatDuration(state.elapsedMs);
        view.figures.eta.textContent = finished || total == null || state.step === 0 ? "—"
            : formatDuration(state.elapsedMs / state.step * Math.max(0, total - state.step));

        for (const [action, button] of view.buttons) {
            if (action === "cancel") {
                button.hidden = finished;
                button.disabled = finished || this._requested.has("cancel");
            } else {
                button.disabled = state.status !== "saved" || state.outputPath == null;
            }
        }

        const xDomain: [number, number] = [0, total ?? Math.max(1, state.step)];
        const train = state.train;
        const validation = state.validationPoints;
        const showValidation = state.validation || validation.length > 0;
        const lossSeries: ChartSeries[] = [{className: "series-train", points: train.map((point) => ({x: point.step, y: point.loss}))}];
        if (showValidation)
            lossSeries.push({className: "series-validation", markers: true, points: validation.map((point) => ({x: point.step, y: point.loss}))});
        drawLineChart(view.lossChart, {
            width: 640, height: 260, series: lossSeries, xDomain, xLabel: this._t("stepAxis"), formatY: formatLoss, emptyText: this._t("noPoints")
        });
        this._legend(view.legend, [["series-train", "trainLoss"], ...(showValidation ? [["series-validation", "validationLoss"] as const] : [])]);

        const accuracyOf = (points: TrainingViewState["train"]) =>
            points.flatMap((point) => point.accuracy == null ? [] : [{x: point.step, y: point.accuracy}]);
        const accuracySeries: ChartSeries[] = [{className: "series-train", points: accuracyOf(train)}];
        const validationAccuracy = accuracyOf(validation);
        if (validationAccuracy.length > 0) accuracySeries.push({className: "series-validation", markers: true, points: validationAccuracy});
        view.accuracySection.hidden = accuracySeries.every((series) => series.points.length === 0);
        if (!view.accuracySection.hidden) {
            drawLineChart(view.accuracyChart, {
                width: 640, height: 150, series: accuracySeries, xDomain, yDomain: [0, 1], xLabel: this._t("stepAxis"), formatY: formatShare,
                emptyText: this._t("noPoints")
            });
            this._legend(view.accuracyLegend, [["series-train", "trainAccuracy"],
                ...(validationAccuracy.length > 0 ? [["series-validation", "validationAccuracy"] as const] : [])]);
        }

        view.notesSection.hidden = state.notes.length === 0;
        if (view.notes.childElementCount !== state.notes.length || view.notes.lastElementChild?.textContent !== state.notes.at(-1))
            view.notes.replaceChildren(...state.notes.map((note) => el("li", undefined, note)));
    }

    private _legend(target: HTMLElement, entries: ReadonlyArray<readonly [string, TrainingViewStringKey]>): void {
        target.replaceChildren(...entries.map(([className, key]) => {
            const item = el("li", className);
            item.append(el("span", "legend-swatch"), el("span", "legend-label", this._t(key)));
            return item;
        }));
    }
}
