/**
 * Knows whether a key event belongs to an IME composition (pinyin, kana…), where Enter picks a candidate and must
 * not send. Browsers disagree on the order of events: Chromium reports the confirming Enter with `isComposing`,
 * Safari fires `compositionend` first and then the Enter as keyCode 229, so all three signals count.
 */
export class ImeCompositionTracker {
    private _composing = false;

    public constructor(target: HTMLElement) {
        target.addEventListener("compositionstart", () => { this._composing = true; });
        target.addEventListener("compositionend", () => { this._composing = false; });
        target.addEventListener("blur", () => { this._composing = false; });
    }

    public isComposing(event: KeyboardEvent): boolean {
        // keyCode is deprecated, but 229 is the one signal Safari gives for the Enter that ends a composition.
        return this._composing || event.isComposing || event.keyCode === 229;
    }
}
