/** Every command the extension registers; a test checks this list against package.json's `contributes.commands`. */
export const commandIds = {
    openChat: "belle.openChat",
    newChat: "belle.newChat",
    startEngine: "belle.startEngine",
    stopEngine: "belle.stopEngine",
    restartEngine: "belle.restartEngine",
    selectModel: "belle.selectModel",
    downloadModel: "belle.downloadModel",
    downloadCudaBinaries: "belle.downloadCudaBinaries",
    sendSelectionToChat: "belle.sendSelectionToChat",
    configureGpuOffload: "belle.configureGpuOffload",
    setRemoteApiKey: "belle.setRemoteApiKey",
    showEngineActions: "belle.showEngineActions",
    showLogs: "belle.showLogs",
    runEvaluation: "belle.runEvaluation",
    openEvalReport: "belle.openEvalReport",
    evaluateSelection: "belle.evaluateSelection",
    setJudgeApiKey: "belle.setJudgeApiKey",
    annotateItem: "belle.annotateItem",
    evaluateItem: "belle.evaluateItem",
    selectEvalRun: "belle.selectEvalRun",
    revealEvalItem: "belle.revealEvalItem",
    trainModel: "belle.trainModel",
    runTrainingJob: "belle.runTrainingJob",
    submitTrainingJobToSlurm: "belle.submitTrainingJobToSlurm",
    prepareExternalTraining: "belle.prepareExternalTraining",
    openSampleEvalSet: "belle.openSampleEvalSet",
    startSampleTraining: "belle.startSampleTraining",
    copyEndpointInfo: "belle.copyEndpointInfo",
    evaluateModelAgainstLastRun: "belle.evaluateModelAgainstLastRun"
} as const;

export type CommandId = (typeof commandIds)[keyof typeof commandIds];
