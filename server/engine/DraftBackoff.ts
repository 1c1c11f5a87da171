/**
 * When prompt lookup pauses. A draft the model rejects still costs its verification (a larger batch, then erasing it
 * from the KV cache), so after two drafts in a row whose first token missed, drafting pauses for 1 step, then 2, 4…
 * up to 64 while drafts keep missing; a draft whose first token is kept ends the pause. An answer that stops copying
 * soon stops paying for it.
 */
export class DraftBackoff {
    private _missesInRow = 0;
    private _stepsToSkip = 0;
    private _pauseSteps = 1;

    /** Whether this step may draft; a paused step counts down the pause. */
    public mayDraft(): boolean {
        if (this._stepsToSkip === 0) return true;
        this._stepsToSkip--;
        return false;
    }

    /** How a draft fared: whether the model kept its first token. */
    public record(firstTokenKept: boolean): void {
        if (firstTokenKept) {
            this._missesInRow = 0;
            this._pauseSteps = 1;
        } else if (++this._missesInRow >= 2) {
            this._missesInRow = 0;
            this._stepsToSkip = this._pauseSteps;
            this._pauseSteps = Math.min(this._pauseSteps * 2, 64);
        }
    }
}
