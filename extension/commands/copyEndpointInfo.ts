import * as vscode from "vscode";
import type {EngineSupervisor} from "../engine/EngineSupervisor";

/**
 * "BELLE: Copy Endpoint Info": starts the local engine if needed and copies its OpenAI-compatible base URL, this
 * session's bearer token and the model id as environment lines (`OPENAI_BASE_URL`, `OPENAI_API_KEY`, which the
 * `openai` SDKs read) for other tools; see docs/openai-endpoint.md. Resolves with the copied text.
 */
export async function copyEndpointInfo(engine: EngineSupervisor): Promise<string> {
    const ready = await engine.ensureStarted();
    const text = [
        `OPENAI_BASE_URL=http://${ready.host}:${ready.port}/v1`,
        `OPENAI_API_KEY=${ready.token}`,
        `BELLE_MODEL=${ready.model}`
    ].join("\n") + "\n";
    await vscode.env.clipboard.writeText(text);
    void vscode.window.showInformationMessage(vscode.l10n.t(
        "Copied the local engine's address (http://{0}:{1}/v1) and token. The token changes each time the engine starts.", ready.host, ready.port));
    return text;
}
