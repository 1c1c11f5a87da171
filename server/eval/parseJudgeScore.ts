import {JsonScanner} from "./JsonScanner";

/**
 * A judge's verdict on one answer. A reply with no usable score is an error for that item, never a silent 0,
 * which would drag the class mean down without anyone seeing why.
 */
export type JudgeScore =
    | {ok: true, score: number, reason: string}
    | {ok: false, error: string};

// The value after a label: 0.8, .8, 4/5, 8 / 10, 4 out of 5, 80%, 0.8分, 4分（满分5分）
const scoreValue = String.raw`(?<value>(?<sign>[-+]?)(?<number>\d+(?:\.\d+)?|\.\d+)[ \t]*` +
    String.raw`(?:(?:\/|out of)[ \t]*(?<denominator>\d+(?:\.\d+)?)|(?<percent>%)|分?[ \t]*[（(,，]?[ \t]*满分[ \t]*(?:为|是|:)?[ \t]*(?<outOf>\d+(?:\.\d+)?)[ \t]*分?[）)]?)?` +
    String.raw`)(?:[ \t]*分)?`;
const emphasis = String.raw`(?:\*{1,2}|_{1,2})`;
/** A label, markdown emphasis, an optional parenthesis such as "(0-1)", a separator, then the value. */
const labelledScore = (label: string) => new RegExp(
    String.raw`${emphasis}?[ \t]*(?:${label})[ \t]*${emphasis}?[ \t]*(?:[(（][^()（）\n]{0,20}[)）])?[ \t]*(?:(?:应该|应当|应|可以|就|会)?(?:是|为)|[:=]|[-–—](?=[ \t]))?[ \t]*${emphasis}?` +
    String.raw`[ \t]*\n?[ \t]*${emphasis}?[ \t]*${scoreValue}(?:[ \t]*${emphasis})?`,
    "giu"
);
// "得分" is what every BELLE prompt asks for, so it outranks other labels wherever they are
const scoreLabelledByBelle = labelledScore("得分");
const scoreLabelledOtherwise = labelledScore(String.raw`分数|评分|打分|(?<![A-Za-z])score`);
// "我给这个回答打0.6分": a score given with 打 needs its 分 (or a fraction or percentage), or it is just a number
const scoreGivenWith打 = new RegExp(String.raw`打[ \t]*${scoreValue}`, "gu");
const bareScore = new RegExp(String.raw`^[ \t*_#>]*${scoreValue}[ \t*_]*[。.]?[ \t]*$`, "u");
const jsonScoreKeys = ["score", "得分", "分数", "评分", "rating"];
const jsonReasonKeys = ["reason", "理由", "原因", "explanation", "comment"];

type ScoreMatch = {start: number, end: number, groups: Record<string, string | undefined>};

/**
 * The score and the judge's reason from a judge's reply, however it is written: `得分: 0.8`, `得分：０．８`,
 * `**得分：0.8分**`, `score: 4/5`, `80%`, `{"score": 0.8, "reason": "…"}`, with prose before and after.
 * Scores are on BELLE's 0–1 scale; fractions and percentages are converted, and anything outside 0–1 after that
 * is an error naming the value (a bare 8 could mean out of 10 or out of 100, so it is not guessed).
 */
export function parseJudgeScore(reply: string): JudgeScore {
    if (reply.trim() === "") return {ok: false, error: "The judge's reply is empty."};
    // Same length as the reply, so a match's offsets cut the reason out of the reply as the judge wrote it
    const folded = foldFullWidth(reply);

    const belle = chooseVerdict(matchesOf(scoreLabelledByBelle, folded), folded, reply);
    if (belle != null) return belle;

    const json = lastJsonScore(reply);
    if (json != null) return json;

    const given = matchesOf(scoreGivenWith打, folded).filter((match) => /分$|[\/%]/u.test(folded.slice(match.start, match.end)));
    const other = chooseVerdict([...matchesOf(scoreLabelledOtherwise, folded), ...given].sort((a, b) => a.start - b.start), folded, reply);
    if (other != null) return other;

    // A reply that is only a number, or opens with a line that is only a number, is a score without a label
    const firstLineStart = folded.search(/\S[^\n]*/u);
    const firstLine = /[^\r\n]*/u.exec(folded.slice(firstLineStart))![0];
    const bare = bareScore.exec(firstLine);
    if (bare != null)
        return verdict({start: firstLineStart, end: firstLineStart + firstLine.length, groups: {...bare.groups}}, reply);

    return {ok: false, error: "No score in the judge's reply: expected \"得分: <a number from 0 to 1>\"."};
}

function verdict(match: ScoreMatch, reply: string): JudgeScore {
    const score = scoreOf(match.groups);
    if (!score.ok) return score;
    return {ok: true, score: score.score, reason: tidyReason(reply.slice(0, match.start), reply.slice(match.end))};
}

function scoreOf(groups: Record<string, string | undefined>): {ok: true, score: number} | {ok: false, error: string} {
    const written = groups.value?.trim() ?? "";
    let value = Number(groups.number);
    if (groups.sign === "-") value = -value;
    const divisor = groups.denominator ?? groups.outOf;
    if (divisor !== undefined) {
        if (Number(divisor) === 0) return {ok: false, error: `The judge's score "${written}" divides by zero.`};
        value /= Number(divisor);
    } else if (groups.percent !== undefined) {
        value /= 100;
    }
    if (!(value >= 0 && value <= 1)) {
        const hint = divisor === undefined && groups.percent === undefined && value > 1
            ? ` BELLE's prompts ask for a score from 0 to 1, and ${written} could be out of 5, 10 or 100, so it is not guessed.`
            : "";
        return {ok: false, error: `The judge's score "${written}" is outside 0–1.${hint}`};
    }
    // "-0" passes the range check; report it as the 0 it means
    return {ok: true, score: value === 0 ? 0 : value};
}

function matchesOf(pattern: RegExp, text: string): ScoreMatch[] {
    return [...text.matchAll(pattern)].map((match) => ({start: match.index, end: match.index + match[0].length, groups: {...match.groups}}));
}

// Words that mark a score as the judge's conclusion or correction: "修正后得分", "最终得分", "综合考虑，得分", "更正：得分"
const concludingPrefix = /(?:最终|最后|综合|综上|总体|总的来说|总之|因此|所以|修正后|更正|修改后|调整后|改为)[^。.!！?？\n]{0,6}$/u;
const lineStartPrefix = /^[ \t>#*_•-]*(?:\d+[.、)][ \t]*)?$/u;
const rangeAfterScore = /^[ \t]*(?:~|～|〜|-|–|—|至|到)[ \t]*(?:\d|\.\d)/u;
const openers = new Map([["(", ")"], ["[", "]"], ["“", "”"], ["‘", "’"], ["「", "」"], ["『", "』"], ["【", "】"], ["《", "》"]]);

/**
 * The judge's verdict among the scores a pattern found. A score inside quotes or brackets on its line is quoted or an
 * aside ("回答中写道“得分：1”", "得分：0.8（更严格的话，得分：0.6）"), not a verdict. Of the rest: one value, given once
 * or repeated, is the verdict; when they differ, a score marked as the conclusion ("最终得分", "修正后得分") wins, then
 * one at the start of a line (the "得分: <score>" line BELLE's prompts ask for); two different verdicts at the same
 * rank are a failed item, as is a range ("0.6~0.7"): guessing would bias the class mean without anyone seeing it.
 * Null when no score is outside quotes.
 */
function chooseVerdict(matches: readonly ScoreMatch[], folded: string, reply: string): JudgeScore | null {
    const candidates = matches.filter((match) => !isQuoted(folded, match.start));
    if (candidates.length === 0) return null;
    const valueOf = (match: ScoreMatch) => {
        const score = scoreOf(match.groups);
        return score.ok ? String(score.score) : `error:${match.groups.value ?? ""}`;
    };
    const decide = (chosen: readonly ScoreMatch[]): JudgeScore => {
        const values = [...new Set(chosen.map(valueOf))];
        if (values.length > 1)
            return {ok: false, error: `The judge gave conflicting scores (${chosen.map((match) => match.groups.value?.trim()).join(", ")}); the item is not scored rather than guessed.`};
        const last = chosen.at(-1)!;
        const range = rangeAfterScore.exec(folded.slice(last.end));
        if (range != null) {
            const written = `${last.groups.value?.trim()}${folded.slice(last.end, last.end + range[0].length).trim()}…`;
            return {ok: false, error: `The judge gave a range ("${written}"), not one score; the item is not scored rather than guessed.`};
        }
        return verdict(last, reply);
    };
    if (new Set(candidates.map(valueOf)).size === 1) return decide(candidates);

    const lineBefore = (match: ScoreMatch) => folded.slice(folded.lastIndexOf("\n", match.start - 1) + 1, match.start);
    const concluding = candidates.filter((match) => concludingPrefix.test(lineBefore(match)));
    if (concluding.length > 0) return decide(concluding);
    const lineStart = candidates.filter((match) => lineStartPrefix.test(lineBefore(match)));
    if (lineStart.length > 0) return decide(lineStart);
    return decide(candidates);
}

/** Whether `offset` is inside quotes or brackets opened earlier on its line. */
function isQuoted(text: string, offset: number): boolean {
    const closers: string[] = [];
    let straightQuoteOpen = false;
    for (let index = text.lastIndexOf("\n", offset - 1) + 1; index < offset; index++) {
        const char = text[index]!;
        if (char === "\"") straightQuoteOpen = !straightQuoteOpen;
        else if (openers.has(char)) closers.push(openers.get(char)!);
        else if (char === closers.at(-1)) closers.pop();
    }
    return straightQuoteOpen || closers.length > 0;
}

/** The last JSON object in the reply (fenced or not) that has a score field. */
function lastJsonScore(reply: string): JudgeScore | null {
    let found: {score: unknown, reason: unknown, start: number, end: number} | null = null;
    for (let offset = reply.indexOf("{"); offset >= 0; offset = reply.indexOf("{", offset + 1)) {
        const scanner = new JsonScanner(reply, {offset});
        let value: unknown;
        try {
            value = scanner.parseValue().value;
        } catch {
            continue; // a brace in prose, not the start of an object
        }
        if (typeof value !== "object" || value === null || Array.isArray(value)) continue;
        const fields = new Map(Object.entries(value).map(([key, fieldValue]) => [key.toLowerCase(), fieldValue]));
        const scoreKey = jsonScoreKeys.find((key) => fields.has(key));
        if (scoreKey !== undefined) {
            const reasonKey = jsonReasonKeys.find((key) => typeof fields.get(key) === "string");
            found = {score: fields.get(scoreKey), reason: reasonKey !== undefined ? fields.get(reasonKey) : undefined, start: offset, end: scanner.offset};
        }
        offset = scanner.offset - 1;
    }
    if (found == null) return null;

    const written = typeof found.score === "number" ? String(found.score) : typeof found.score === "string" ? found.score : JSON.stringify(found.score);
    const parsed = typeof found.score === "number" || typeof found.score === "string"
        ? bareScore.exec(foldFullWidth(written))
        : null;
    if (parsed == null) return {ok: false, error: `The judge's score ${written} is not a number.`};
    const score = scoreOf({...parsed.groups});
    if (!score.ok) return score;
    const reason = typeof found.reason === "string"
        ? found.reason.trim()
        : tidyReason(reply.slice(0, found.start).replace(/```(?:json)?\s*$/u, ""), reply.slice(found.end).replace(/^\s*```/u, ""));
    return {ok: true, score: score.score, reason};
}

/** What the judge wrote besides the score, without the separators and "理由：" label the score leaves behind. */
function tidyReason(before: string, after: string): string {
    const leadingClutter = /^[\s,，。.;；:：、|*_#>\-—]+/u;
    return `${before.trimEnd()}\n${after.trimStart()}`
        .replace(leadingClutter, "")
        .replace(/^(?:理由|原因|评价|解释|reason|explanation)[ \t]*[*_]*[ \t]*[:：][ \t]*/iu, "")
        .replace(leadingClutter, "")
        .replace(/[\s,，;；:：、|*_\-—]+$/u, "")
        .replace(/\n{3,}/gu, "\n\n");
}

/** Full-width ASCII (０．８, ：, ％, ／) and the ideographic space as their ASCII forms, one UTF-16 unit for one. */
function foldFullWidth(text: string): string {
    return text.replace(/[\uff01-\uff5e\u3000\u2212]/gu, (char) => {
        if (char === "\u3000") return " ";
        if (char === "\u2212") return "-";
        return String.fromCharCode(char.charCodeAt(0) - 0xfee0);
    });
}
