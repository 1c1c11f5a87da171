/**
 * BELLE's item classes, spelled as its eval set spells them. Translation has a judge prompt but no items in the
 * current eval set (they were folded into rewrite); it stays so older sets and user sets still match.
 */
export const evalClasses = [
    "open qa", "closed qa", "brainstorming", "rewrite", "generation", "math", "classification", "summarization", "code",
    "extract", "translation"
] as const;
export type EvalClass = (typeof evalClasses)[number];

/** The classes BELLE's papers group as "others" and leave out of `score_w/o_others`. */
export const otherEvalClasses: readonly EvalClass[] = ["math", "code"];

// Runs of whitespace (Unicode's, which includes NBSP and the full-width space U+3000), zero-width characters,
// underscores and dashes all separate words the same way
const separatorRun = /[\s_\p{Pd}\u200b-\u200d\u2060\ufeff]+/gu;

/**
 * A class name reduced to the form two spellings of it share: compatibility-normalised (full-width letters become
 * ASCII), lower case, separators collapsed to one space, trimmed. Keys classes that are not BELLE's, too.
 */
export function normalizeClassName(name: string): string {
    return name.normalize("NFKC").toLowerCase().replace(separatorRun, " ").trim();
}

const classByCompactName: ReadonlyMap<string, EvalClass> = new Map(
    evalClasses.map((evalClass) => [evalClass.replaceAll(" ", ""), evalClass])
);

/**
 * The known class a name from a real file means, or null. Real files vary in case and whitespace (BELLE's own
 * judge-prompt file writes "open QA" and "closed\u00a0QA" where its eval set writes "open qa" and "closed\u00a0qa"),
 * so separators are ignored altogether: "Open_QA", "open-qa", "openqa" and "ｏｐｅｎ\u3000ｑａ" are all "open qa".
 * No two known classes differ only in separators, so this cannot confuse them; anything else is unknown.
 */
export function matchEvalClass(name: string): EvalClass | null {
    return classByCompactName.get(normalizeClassName(name).replaceAll(" ", "")) ?? null;
}
