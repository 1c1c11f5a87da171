/**
 * Finds stop strings in streamed text without ever emitting part of one: text that could still become a stop
 * string is held back until the next chunk decides it.
 */
export class StopStringMatcher {
    private _held = "";
    private _stopped = false;

    public constructor(private readonly _stopStrings: readonly string[]) {}

    public get stopped(): boolean {
        return this._stopped;
    }

    /** Returns the text that is safe to emit now; sets `stopped` when a stop string was found. */
    public push(text: string): string {
        if (this._stopped) return "";
        const buffer = this._held + text;

        let stopAt = -1;
        for (const stop of this._stopStrings) {
            const index = buffer.indexOf(stop);
            if (index >= 0 && (stopAt < 0 || index < stopAt)) stopAt = index;
        }
        if (stopAt >= 0) {
            this._stopped = true;
            this._held = "";
            return buffer.slice(0, stopAt);
        }

        const holdLength = this._longestStopPrefixAtEnd(buffer);
        this._held = buffer.slice(buffer.length - holdLength);
        return buffer.slice(0, buffer.length - holdLength);
    }

    /** Text still held when generation ends for another reason: it was not a stop string after all. */
    public flush(): string {
        const rest = this._stopped ? "" : this._held;
        this._held = "";
        return rest;
    }

    private _longestStopPrefixAtEnd(buffer: string): number {
        let longest = 0;
        for (const stop of this._stopStrings) {
            for (let length = Math.min(stop.length - 1, buffer.length); length > longest; length--) {
                if (buffer.endsWith(stop.slice(0, length))) {
                    longest = length;
                    break;
                }
            }
        }
        return longest;
    }
}
