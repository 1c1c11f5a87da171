import type {LlamaTrainingLibrary, NativePointer} from "../llama/LlamaTrainingLibrary";

export class LossMaskNotAppliedError extends Error {
    override name = "LossMaskNotAppliedError";
}

/**
 * BELLE trains on assistant tokens only, but llama_opt_epoch puts every position in the loss: it writes a one-hot
 * label row per position and offers no weights. From the scheduler's eval callback (cb_eval), which ggml_opt_eval's
 * compute still calls, this does two things per window:
 * - before the graph runs, it zeroes the label rows of non-assistant positions, so that the loss ggml reports is the
 *   answers' only (cross-entropy against an all-zero row is zero);
 * - in a training window, once the CROSS_ENTROPY_LOSS_BACK node has computed and before its consumers run, it zeroes
 *   that node's rows for the same positions. The labels alone do not stop the gradient: ggml's backward computes
 *   (softmax(logits) − labels) · d / rows for every row (ggml_compute_forward_cross_entropy_loss_back_f32, ggml-cpu
 *   ops.cpp), assuming each label row sums to 1, so a zeroed label row still pushed down whatever the model
 *   predicted at that prompt position (the answers' loss fell, then climbed, at a constant rate).
 *
 * It relies on how llama.cpp v0.5.0 runs an epoch, which the trainer checks after every epoch (maskedWindows,
 * maskedGradients): windows in dataset order (llama_opt_epoch does not shuffle), training windows [0, trainWindows)
 * then evaluation windows [trainWindows, windows), each loop counting its own batches from 0, one ubatch per window
 * (n_ubatch = n_ctx), the optimizer context, needed for ggml_opt_labels, known from an epoch callback before the
 * first training step, and one CROSS_ENTROPY_LOSS_BACK node, [vocabulary, window] floats, per training graph.
 */
export class AssistantLossMask {
    private _optContext: NativePointer | null = null;
    private _pendingWindow: number | null = null;
    private _maskedWindows = 0;
    /** The training window whose loss gradient is still to be masked: its labels are, its backward has not run. */
    private _gradientWindow: number | null = null;
    private _maskedGradients = 0;
    private _failure: string | null = null;
    private readonly _rowBytes: number;
    /** Zeros for whole runs of masked rows, at most _zeroRowCount rows (a few MiB) per ggml_backend_tensor_set. */
    private readonly _zeroRows: Float32Array;
    private readonly _zeroRowCount: number;
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
        this._rowBytes = vocabularySize * Float32Array.BYTES_PER_ELEMENT;
        this._zeroRowCount = Math.max(1, Math.min(_contextTokens, Math.floor(maxZeroBufferBytes / this._rowBytes)));
        this._zeroRows = new Float32Array(this._zeroRowCount * vocabularySize);
        this._trainedLabelsBefore = new Float64Array(_windows + 1);
        for (let window = 0; window < _windows; window++) {
            let count = 0;
            for (let index = window * _contextTokens; index < (window + 1) * _contextTokens; index++)
                count += _labelTrainable[index]!;
            this._trainedLabelsBefore[window + 1] = this._trainedLabelsBefore[window]! + count;
        }
    }

    /** Windows whose labels were masked, training and evaluation alike. */
    public get maskedWindows() {
        return this._maskedWindows;
    }

    /** Training windows whose loss gradient was masked. */
    public get maskedGradients() {
        return this._maskedGradients;
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
        if (this._gradientWindow != null) {
            this._failure ??= `the loss gradient of training window ${this._gradientWindow} was never masked: no CROSS_ENTROPY_LOSS_BACK node ` +
                "reached cb_eval";
            this._gradientWindow = null;
        }
        const next = (train ? 0 : this._trainWindows) + evaluatedWindows;
        this._pendingWindow = next < this._windows ? next : null;
    }

    /**
     * For cb_eval: the first node asked about in an evaluation triggers the label mask; in a training window, the
     * loss's backward node is then observed (the only node that is), and its gradient masked once computed.
     */
    public onEvalCallback(tensor: NativePointer, ask: boolean): boolean {
        if (!ask)
            return this._maskGradient(tensor);
        if (this._pendingWindow != null && this._optContext != null)
            this._maskLabels(this._pendingWindow, this._optContext);
        return this._gradientWindow != null && this._library.ggml_op_desc(tensor) === "CROSS_ENTROPY_LOSS_BACK";
    }

    private _maskLabels(window: number, optContext: NativePointer) {
        this._pendingWindow = null;
        if (this._gradientWindow != null) {
            this._failure ??= `the loss gradient of training window ${this._gradientWindow} was never masked`;
            this._gradientWindow = null;
        }
        if (!this._zeroMaskedRows(this._library.ggml_opt_labels(optContext), window, "labels tensor"))
            return;
        this._maskedWindows++;
        if (window < this._trainWindows)
            this._gradientWindow = window;
    }

    /** Returns true, as the scheduler needs to compute the rest of the graph. */
    private _maskGradient(gradient: NativePointer) {
        const window = this._gradientWindow;
        this._gradientWindow = null;
        if (window != null && this._zeroMaskedRows(gradient, window, "loss gradient"))
            this._maskedGradients++;
        return true;
    }

    /** Zeroes the rows of the window's untrained positions in a [vocabulary, window] F32 tensor, a run of rows per call. */
    private _zeroMaskedRows(tensor: NativePointer, window: number, description: string) {
        if (Number(this._library.ggml_nbytes(tensor)) !== this._rowBytes * this._contextTokens) {
            this._failure ??= `the ${description} is not [vocabulary, ${this._contextTokens}] floats`;
            return false;
        }
        const first = window * this._contextTokens;
        let position = 0;
        while (position < this._contextTokens) {
            if (this._labelTrainable[first + position] !== 0) {
                position++;
                continue;
            }
            let end = position + 1;
            while (end < this._contextTokens && end - position < this._zeroRowCount && this._labelTrainable[first + end] === 0)
                end++;
            this._library.ggml_backend_tensor_set_f32(tensor, this._zeroRows, position * this._rowBytes, (end - position) * this._rowBytes);
            position = end;
        }
        return true;
    }
}

/** The zero buffer's size: a window of a 150k-token vocabulary is 150 MiB a tensor, too much to keep as zeros. */
const maxZeroBufferBytes = 4 << 20;
