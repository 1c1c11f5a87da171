import {createHash} from "node:crypto";
import type {TrainingTurn} from "./TrainingExample";

/**
 * A digest of what an example teaches: its roles and texts, each text trimmed, nothing else (not the id, the
 * format, nor how the JSON was written). So a record and its conversion to the other format hash the same, and
 * exact duplicates are found across formatting differences. `salt` (a split's seed) gives an independent digest.
 */
export function hashTrainingExample(turns: readonly TrainingTurn[], salt = ""): Buffer {
    const hash = createHash("sha1");
    hash.update(salt);
    for (const turn of turns) {
        // NUL and SOH cannot be told from text once hashed, but JSON text of a training file practically never holds them
        hash.update(turn.role === "user" ? "\u0000u\u0001" : "\u0000a\u0001");
        hash.update(turn.text.trim());
    }
    return hash.digest();
}
