import {evalClasses, normalizeClassName, type EvalClass} from "../evalClasses";

/** Chinese names people write for BELLE's classes: a class written in Chinese gets its English one suggested first. */
const chineseNames: ReadonlyArray<readonly [RegExp, EvalClass]> = [
    [/开放(式)?(问答|qa)/iu, "open qa"], [/封闭(式)?(问答|qa)/iu, "closed qa"], [/头脑风暴|集思广益/u, "brainstorming"], [/改写|重写|润色/u, "rewrite"],
    [/生成|创作|写作/u, "generation"], [/数学|计算/u, "math"], [/分类/u, "classification"], [/摘要|总结|概括/u, "summarization"],
    [/代码|编程|程序/u, "code"], [/抽取|提取|信息抽取/u, "extract"], [/翻译/u, "translation"]
];

/**
 * The known classes nearest to a name, for a quick fix of an unknown class: a Chinese name's class first, then the
 * classes sharing the most character pairs with it, then alphabetical.
 */
export function closestEvalClasses(className: string, count = 3): EvalClass[] {
    const named = chineseNames.filter(([pattern]) => pattern.test(className)).map(([, evalClass]) => evalClass);
    const bigrams = (text: string) => {
        const characters = [...normalizeClassName(text).replaceAll(" ", "")];
        return new Set(characters.length < 2 ? characters : characters.slice(1).map((character, index) => characters[index]! + character));
    };
    const wanted = bigrams(className);
    return evalClasses
        .map((evalClass) => {
            const candidate = bigrams(evalClass);
            let shared = 0;
            for (const bigram of candidate) if (wanted.has(bigram)) shared++;
            return {evalClass, similarity: shared / Math.max(1, wanted.size + candidate.size - shared)};
        })
        .map((entry) => named.includes(entry.evalClass) ? {...entry, similarity: 2 - named.indexOf(entry.evalClass) / named.length} : entry)
        .sort((left, right) => right.similarity - left.similarity || left.evalClass.localeCompare(right.evalClass))
        .slice(0, count)
        .map((entry) => entry.evalClass);
}
