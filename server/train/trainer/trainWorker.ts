import fs from "node:fs";
import {fineTuneModel, type FineTuneOptions, type FineTuneProgress} from "./fineTuneModel";
import {resolveTrainingChatWrapper} from "./resolveTrainingChatWrapper";
import {restoreGgufMetadata} from "./restoreGgufMetadata";
import {LlamaFtypeAllF32} from "../llama/llamaStructs";

/**
 * Worker process for the built-in trainer: `trainWorker <job.json>`. llama_opt_epoch blocks its thread for a
 * whole epoch, so training never runs in the extension host or the engine; the parent reads one JSON object per
 * line on stdout (see TrainWorkerMessage) and llama.cpp's own log on stderr. Exit code 0 only when the GGUF
 * was written.
 */
export type TrainWorkerJob = Omit<FineTuneOptions, never>;

export type TrainWorkerMessage =
    | FineTuneProgress
    | {type: "saved", outputPath: string}
    | {type: "error", name: string, message: string};

// Written synchronously: while an epoch runs the event loop is blocked, so a queued write would arrive only at its end
function send(message: TrainWorkerMessage) {
    fs.writeSync(1, JSON.stringify(message) + "\n");
}

async function main(argv: string[]): Promise<number> {
    const jobPath = argv[0];
    if (jobPath == null) {
        send({type: "error", name: "UsageError", message: "usage: trainWorker <job.json>"});
        return 2;
    }
    const job = JSON.parse(fs.readFileSync(jobPath, "utf8")) as TrainWorkerJob;
    try {
        // A missing model is left to fineTuneModel, whose error names llama.cpp's load failure
        const chatWrapper = fs.existsSync(job.modelPath) ? await resolveTrainingChatWrapper(job.modelPath, job.promptFormat) : null;
        fineTuneModel(job, {onProgress: send, chatWrapper});
        // llama.cpp's saver drops the chat template and writes the training context as the model's: put the base's back
        await restoreGgufMetadata(job.modelPath, job.outputPath, {fileType: LlamaFtypeAllF32});
        send({type: "saved", outputPath: job.outputPath});
        return 0;
    } catch (error) {
        const {name, message} = error instanceof Error ? error : {name: "Error", message: String(error)};
        send({type: "error", name, message});
        return 1;
    }
}

process.exitCode = await main(process.argv.slice(2));
