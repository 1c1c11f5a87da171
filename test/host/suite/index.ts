import Mocha from "mocha";
import {inHostReportEnd, inHostReportStart} from "../support/inHostReport";

/**
 * The `extensionTestsPath` entry: VS Code calls `run()` in the extension host once the extension under
 * development is loaded (not activated). Mocha reports through `console`, which the workbench forwards to
 * `codeAutomationLog`; a rejected promise makes the workbench exit with code 1.
 */
export async function run(): Promise<void> {
    // BELLE_HOST_GREP (inherited through code-server) runs only the matching in-host tests, while working on one suite
    const grep = process.env.BELLE_HOST_GREP;
    const mocha = new Mocha({ui: "bdd", reporter: "spec", color: false, timeout: 120_000, slow: 5_000, ...(grep ? {grep} : {})});
    // The suites are bundled into this file: give them mocha's globals (describe, it, ...) before they load,
    // as mocha does for each file it requires itself.
    mocha.suite.emit("pre-require", globalThis, "test/host/suite", mocha);
    // In this order: the first suite checks that nothing has activated the extension yet.
    await import("./lazyActivation.suite");
    await import("./commandRegistration.suite");
    await import("./evalSetDiagnostics.suite");
    await import("./evalSetTree.suite");
    await import("./evalSetAnnotation.suite");
    await import("./trainingJob.suite");
    await import("./walkthrough.suite");
    await import("./evaluateModel.suite");
    await import("./loraAdapter.suite");
    await import("./slurmSubmit.suite");
    await import("./engineSupervision.suite");

    console.log(inHostReportStart);
    const failures = await new Promise<number>((resolve) => mocha.run(resolve));
    console.log(inHostReportEnd);
    if (failures > 0) throw new Error(`${failures} in-host test${failures === 1 ? "" : "s"} failed`);
}
