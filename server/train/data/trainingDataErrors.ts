/**
 * Errors that stop a training-data step as a whole. Problems inside a file are not thrown: they come back as
 * `TrainingDataDiagnostic` values and the valid records are still used.
 */
export class TrainingDataError extends Error {
    public constructor(message: string, public readonly code: string, options?: ErrorOptions) {
        super(message, options);
        this.name = new.target.name;
    }
}

/** A training file could not be opened, read or written (missing, a folder, no permission, disk full). */
export class TrainingFileAccessError extends TrainingDataError {
    public constructor(public readonly filePath: string, action: "read" | "write", cause: unknown) {
        super(`Cannot ${action} ${filePath}: ${describeFileError(cause)}`, action === "read" ? "training_file_unreadable" : "training_file_unwritable", {cause});
    }
}

function describeFileError(cause: unknown): string {
    const code = typeof cause === "object" && cause != null && "code" in cause ? String(cause.code) : null;
    switch (code) {
        case "ENOENT": return "the file or its folder does not exist. Check the path.";
        case "EISDIR": return "it is a folder. Give the path of a .jsonl or .json file.";
        case "EACCES":
        case "EPERM": return "permission denied. Check the file's permissions.";
        case "ENOSPC": return "the disk is full.";
        default: return cause instanceof Error ? cause.message : String(cause);
    }
}
