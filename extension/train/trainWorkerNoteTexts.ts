import * as vscode from "vscode";
import type {TrainWorkerNoteTexts} from "./trainWorkerMessageToViewEvents";

/** The training view's notes on the built-in trainer's messages, in the user's language (built-in and Slurm jobs). */
export function trainWorkerNoteTexts(): TrainWorkerNoteTexts {
    return {
        dataset: (windows, contextTokens, validationWindows, repeated) => [
            validationWindows > 0
                ? vscode.l10n.t("{0} training windows of {1} tokens, {2} validation windows", windows, contextTokens, validationWindows)
                : vscode.l10n.t("{0} training windows of {1} tokens, no validation set", windows, contextTokens),
            ...(repeated ? [vscode.l10n.t("(the examples are fewer than one window: they were repeated to fill it)")] : [])
        ].join(" "),
        converted: (from) => vscode.l10n.t("The {0} base model was converted to F32 for training.", from)
    };
}
