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
 * windows in dataset order (llama_opt_epoch does not shuffle), one ubatch per window (n_ubatch = n_ctx), and
 * the optimizer context, needed for ggml_opt_labels, known from an epoch callback before the first training step.
 */
export class AssistantLossMask {
    private _optContext: NativePointer | null = null;
    private _pendingWindow: number | null = null;
    private _maskedWindows = 0;
    private _failure: string | null = null;
    private readonly _zeroRow: Float32Array;
    private readonly _trainableLabelCount: number;

    /**
     * @param labelTrainable per token of the packed stream: whether it is trained as a label; window w's input
     *  position p has label stream[w * contextTokens + p + 1].
     */
    public constructor(
        private readonly _library: LlamaTrainingLibrary,
        private readonly _labelTrainable: readonly boolean[],
        private readonly _contextTokens: number,
        private readonly _windows: number,
        vocabularySize: number
    ) {
        this._zeroRow = new Float32Array(vocabularySize);
        let count = 0;
        for (let index = 1; index <= _windows * _contextTokens; index++)
            if (_labelTrainable[index]) count++;
        this._trainableLabelCount = count;
    }

    public get maskedWindows() {
        return this._maskedWindows;
    }

    /** The trained (assistant) labels among all windows' labels: ggml averages the loss over all of them. */
    public get trainedLabelShare() {
        return this._trainableLabelCount / (this._windows * this._contextTokens);
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

    /** From the epoch callback: `evaluatedWindows` windows of this loop are done, so the next is that index. */
    public onEvaluated(optContext: NativePointer, evaluatedWindows: number) {
        this._optContext = optContext;
        this._pendingWindow = evaluatedWindows < this._windows ? evaluatedWindows : null;
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
            if (!this._labelTrainable[window * this._contextTokens + position + 1])
                this._library.ggml_backend_tensor_set_f32(labels, this._zeroRow, position * rowBytes, rowBytes);
        }
        this._maskedWindows++;
        return false;
    }
}
