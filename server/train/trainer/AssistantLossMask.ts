import type {LlamaTrainingLibrary, NativePointer} from "../llama/LlamaTrainingLibrary";

export class LossMaskNotAppliedError extends Error {
    override name = "LossMaskNotAppliedError";
}

/**
 * BELLE trains on assistant tokens only, but llama_opt_epoch puts every position in the loss: it writes a one-hot
 * label row per position and offers no weights. Cross-entropy against an all-zero row is zero with a zero
 * gradient, so this zeroes the rows of non-assistant labels after llama.cpp wrote them and before the graph runs,
 * from the scheduler's eval callback (cb_eval), which ggml_opt_eval's compute still calls.
 *
 * It relies on how llama.cpp v0.5.0 runs an epoch, which the trainer checks after every epoch (maskedWindows):
 * windows in dataset order (llama_opt_epoch does not shuffle), training windows [0, trainWindows) then evaluation
 * windows [trainWindows, windows), each loop counting its own batches from 0, one ubatch per window
 * (n_ubatch = n_ctx), and the optimizer context, needed for ggml_opt_labels, known from an epoch callback before
 * the first training step.
 */
export class AssistantLossMask {
    private _optContext: NativePointer | null = null;
    private _pendingWindow: number | null = null;
    private _maskedWindows = 0;
    private _failure: string | null = null;
    private readonly _zeroRow: Float32Array;
    /** Trained labels in windows [0, w), at index w. */
    private readonly _trainedLabelsBefore: Float64Array;

    /**
     * @param labelTrainable per label of the dataset: whether it is trained; window w's position p has label
     *  w * contextTokens + p.
     * @param trainWindows the windows llama_opt_epoch trains on (its idata_split); the rest are evaluated only.
     */
    public constructor(
        private readonly _library: LlamaTrainingLibrary,
        private readonly _labelTrainable: Uint8Array,
        private readonly _contextTokens: number,
        private readonly _windows: number,
        private readonly _trainWindows: number,
        vocabularySize: number
    ) {
        this._zeroRow = new Float32Array(vocabularySize);
        this._trainedLabelsBefore = new Float64Array(_windows + 1);
        for (let window = 0; window < _windows; window++) {
            let count = 0;
            for (let index = window * _contextTokens; index < (window + 1) * _contextTokens; index++)
                count += _labelTrainable[index]!;
            this._trainedLabelsBefore[window + 1] = this._trainedLabelsBefore[window]! + count;
        }
    }

    public get maskedWindows() {
        return this._maskedWindows;
    }

    /** The trained (assistant) labels among the training windows' labels: ggml averages the loss over all of them. */
    public get trainedLabelShare() {
        return this.trainedLabelShareOf(0, this._trainWindows);
    }

    /** The same share over the evaluation windows, or 0 when there are none. */
    public get validationLabelShare() {
        return this.trainedLabelShareOf(this._trainWindows, this._windows);
    }

    /** The trained labels' share among the labels of windows [fromWindow, toWindow); 0 for no window. */
    public trainedLabelShareOf(fromWindow: number, toWindow: number) {
        if (toWindow <= fromWindow) return 0;
        return (this._trainedLabelsBefore[toWindow]! - this._trainedLabelsBefore[fromWindow]!) / ((toWindow - fromWindow) * this._contextTokens);
    }

    /** Set when the mask could not be applied; thrown by the trainer after the epoch, not through native frames. */
    public get failure() {
        return this._failure;
    }

    public get hasOptimizerContext() {
        return this._optContext != null;
    }

    /** The next evaluation is window `window` of the dataset. */
    public expectWindow(window: number) {
        this._pendingWindow = window;
    }

    /**
     * From the epoch callback: `evaluatedWindows` windows of the training loop (`train`) or of the evaluation loop
     * are done, so the next is the window after them; the evaluation loop follows the last training window.
     */
    public onEvaluated(optContext: NativePointer, train: boolean, evaluatedWindows: number) {
        this._optContext = optContext;
        const next = (train ? 0 : this._trainWindows) + evaluatedWindows;
        this._pendingWindow = next < this._windows ? next : null;
    }

    /** For cb_eval: the first node asked about in an evaluation triggers the mask; nothing is ever observed. */
    public onEvalCallback(ask: boolean): boolean {
        if (!ask || this._pendingWindow == null || this._optContext == null)
            return false;
        const window = this._pendingWindow;
        this._pendingWindow = null;
        const labels = this._library.ggml_opt_labels(this._optContext);
        const rowBytes = this._zeroRow.byteLength;
        if (Number(this._library.ggml_nbytes(labels)) !== rowBytes * this._contextTokens) {
            this._failure = `the labels tensor is not [vocabulary, ${this._contextTokens}] floats`;
            return false;
        }
        for (let position = 0; position < this._contextTokens; position++) {
            if (this._labelTrainable[window * this._contextTokens + position] === 0)
                this._library.ggml_backend_tensor_set_f32(labels, this._zeroRow, position * rowBytes, rowBytes);
        }
        this._maskedWindows++;
        return false;
    }
}
