// The training view: one job's status, figures, loss and accuracy curves, notes and buttons. The job's name, notes
// and messages are untrusted (a trainer's log lines, a file name): every piece goes in with textContent, never
// innerHTML. The DOM is built once per `train/state`; events only update it.
import {element} from "../dom/element";
import {WebviewMessenger} from "../host/WebviewMessenger";
import type {VsCodeApi} from "../host/vsCodeApi";
import {StringTable} from "../l10n/StringTable";
import {
    trainingViewCommands, trainingViewNotifications, trainingViewProtocol, type TrainingJobStatus, type TrainingViewAction,
    type TrainingViewNotificationMessage, type TrainingViewState
} from "../protocol/trainProtocol";
import {applyTrainingViewEvent, isFinishedTrainingStatus, totalTrainingSteps} from "../protocol/trainingViewState";
import {drawLineChart, type ChartSeries} from "./drawLineChart";
import {trainingViewStrings, type TrainingViewStringKey} from "./trainingViewStrings";

const statusKeys: Record<TrainingJobStatus, TrainingViewStringKey> = {
    starting: "statusStarting", running: "statusRunning", saved: "statusSaved", failed: "statusFailed", cancelled: "statusCancelled"
};
const actionKeys: Record<TrainingViewAction, TrainingViewStringKey> = {cancel: "cancel", chat: "chat", evaluate: "evaluate", reveal: "reveal"};

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
    private readonly _strings = new StringTable<TrainingViewStringKey>(trainingViewStrings);
    private readonly _messenger: WebviewMessenger<typeof trainingViewProtocol>;
    private _state: TrainingViewState | null = null;
    private _actions: TrainingViewAction[] = [];
    private _view: {
        status: HTMLElement, message: HTMLElement, figures: Figures, buttons: Map<TrainingViewAction, HTMLButtonElement>,
        lossChart: SVGSVGElement, accuracyChart: SVGSVGElement, accuracySection: HTMLElement, legend: HTMLElement, accuracyLegend: HTMLElement,
        notesSection: HTMLElement, notes: HTMLUListElement
    } | null = null;
    /** An action the user asked for and the host has not answered with a new status yet: its button stays disabled. */
    private readonly _requested = new Set<TrainingViewAction>();

    public constructor(private readonly _root: HTMLElement, api: VsCodeApi) {
        this._messenger = new WebviewMessenger(api, trainingViewProtocol, (message) => this._onNotification(message));
    }

    public start(): void {
        this._root.replaceChildren(element("p", {className: "train-waiting", text: this._t("waiting")}));
        this._messenger.start({});
    }

    private _t(key: TrainingViewStringKey, ...args: Array<string | number>): string {
        return this._strings.t(key, args);
    }

    private _onNotification(message: TrainingViewNotificationMessage): void {
        if (trainingViewNotifications.state.is(message)) {
            this._strings.configure(message.params.strings);
            this._state = message.params.state;
            this._actions = message.params.actions;
            this._requested.clear();
            this._build();
        } else if (trainingViewNotifications.events.is(message)) {
            const state = this._state;
            if (state == null) return;
            const status = state.status;
            for (const event of message.params.events) applyTrainingViewEvent(state, event);
            state.elapsedMs = message.params.elapsedMs;
            if (state.status !== status) this._requested.clear();
        }
        this._render();
    }

    private _build(): void {
        const state = this._state!;
        const header = element("header", {className: "train-header"});
        const title = element("h1", {className: "train-name", text: state.name});
        const status = element("span", {className: "train-status"});
        status.setAttribute("role", "status");
        header.append(title, status);
        const message = element("p", {className: "train-message"});

        const figureList = element("dl", {className: "train-figures"});
        const figure = (key: TrainingViewStringKey, name: string) => {
            const item = element("div", {className: "train-figure"});
            const value = element("dd");
            value.dataset.figure = name;
            item.append(element("dt", {text: this._t(key)}), value);
            figureList.append(item);
            return value;
        };
        const figures: Figures = {
            step: figure("step", "step"), epoch: figure("epoch", "epoch"), loss: figure("trainLoss", "loss"),
            tokensPerSecond: figure("tokensPerSecond", "tokensPerSecond"), learningRate: figure("learningRate", "learningRate"),
            elapsed: figure("elapsed", "elapsed"), eta: figure("eta", "eta")
        };

        const bar = element("div", {className: "train-actions"});
        const buttons = new Map<TrainingViewAction, HTMLButtonElement>();
        for (const action of this._actions) {
            const button = element("button", {className: `train-action${action === "cancel" ? "" : " secondary"}`, text: this._t(actionKeys[action])});
            button.type = "button";
            button.dataset.action = action;
            button.addEventListener("click", () => {
                this._requested.add(action);
                this._messenger.command(trainingViewCommands.action, {action});
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
        const legend = element("ul", {className: "chart-legend"});
        const lossSection = element("section", {className: "train-chart-section"});
        lossSection.append(element("h2", {text: this._t("lossChart")}), legend, lossChart);
        const accuracyChart = chart("accuracy-chart");
        accuracyChart.setAttribute("aria-label", this._t("accuracyChart"));
        const accuracyLegend = element("ul", {className: "chart-legend"});
        const accuracySection = element("section", {className: "train-chart-section"});
        accuracySection.append(element("h2", {text: this._t("accuracyChart")}), accuracyLegend, accuracyChart);

        const notesSection = element("section", {className: "train-notes"});
        const notes = element("ul");
        notesSection.append(element("h2", {text: this._t("notes")}), notes);

        this._view = {status, message, figures, buttons, lossChart, accuracyChart, accuracySection, legend, accuracyLegend, notesSection, notes};
        const app = element("div", {className: "train"});
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
            view.notes.replaceChildren(...state.notes.map((note) => element("li", {text: note})));
    }

    private _legend(target: HTMLElement, entries: ReadonlyArray<readonly [string, TrainingViewStringKey]>): void {
        target.replaceChildren(...entries.map(([className, key]) => {
            const item = element("li", {className: className});
            item.append(element("span", {className: "legend-swatch"}), element("span", {className: "legend-label", text: this._t(key)}));
            return item;
        }));
    }
}
