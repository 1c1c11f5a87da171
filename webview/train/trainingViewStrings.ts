// The training view's UI text: key → English. The extension translates each with `vscode.l10n.t` (the English is
// the l10n key; l10n/bundle.l10n.zh-cn.json holds the Chinese) and sends the result in `train/state`.
// `{0}`, `{1}` are filled in by the webview.

export const trainingViewStrings = {
    waiting: "Waiting for the training job…",
    statusStarting: "Starting",
    statusRunning: "Training",
    statusSaved: "Saved",
    statusFailed: "Failed",
    statusCancelled: "Cancelled",
    step: "Step",
    ofTotal: "{0} / {1}",
    epoch: "Epoch",
    tokensPerSecond: "Tokens/s",
    eta: "Time left",
    elapsed: "Elapsed",
    learningRate: "Learning rate",
    lossChart: "Loss",
    accuracyChart: "Accuracy",
    trainLoss: "Training loss",
    validationLoss: "Validation loss",
    trainAccuracy: "Training accuracy",
    validationAccuracy: "Validation accuracy",
    stepAxis: "step",
    noPoints: "No points yet.",
    cancel: "Cancel",
    chat: "Chat with It",
    evaluate: "Evaluate It",
    reveal: "Reveal in Explorer",
    notes: "Notes",
    savedTo: "Saved to {0}",
    failedWith: "The job failed: {0}"
} as const;

export type TrainingViewStringKey = keyof typeof trainingViewStrings;
export type TrainingViewStrings = Record<TrainingViewStringKey, string>;
