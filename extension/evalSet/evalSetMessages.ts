import type {EvalSetDiagnostic, EvalSetDiagnosticArgs, EvalSetDiagnosticCode, JsonSyntaxArgs, JsonTypeName} from "../../server/eval/EvalSetDiagnostic";
import type {JsonRegion, JsonSyntaxReason} from "../../server/eval/JsonScanner";

/**
 * The part of `vscode.l10n` these messages use. It is passed in rather than imported so that this module needs no
 * `vscode` and its unit test can render every message in English and in Chinese.
 */
export type Localizer = {t(message: string, ...args: Array<string | number>): string};

type MessageOf<Code extends EvalSetDiagnosticCode> = (args: EvalSetDiagnosticArgs[Code], l10n: Localizer) => string;

/**
 * One message per diagnostic code, built from the diagnostic's `args`. In English each renders exactly the
 * engine's own `message` (a unit test holds them to it), so the CLI and the Problems view say the same thing.
 * Sentences that are added to another one wrap it (`"{0} …"`), so a translation decides how they join.
 */
export const evalSetMessages: {[Code in EvalSetDiagnosticCode]: MessageOf<Code>} = {
    invalid_json: (args, l10n) => {
        switch (args.reason) {
            case "syntax": {
                const problem = localizeJsonSyntax(args, l10n);
                return args.hint === "one_item_per_line"
                    ? l10n.t("{0} Each line of a JSONL eval set must hold exactly one whole item; to spread items over several lines, make the file a JSON array. This item is skipped.", problem)
                    : l10n.t("{0} This item is skipped.", problem);
            }
            case "not_json":
                return l10n.t("This line is not valid JSON ({0}). This item is skipped.", args.detail);
            case "array_not_started":
                return l10n.t("Expected '[' to start the array of items but found {0}.", describeCharacter(args.found, "file", l10n));
            case "unexpected_after_item":
                return l10n.t("Expected ',' or ']' after an item but found {0}.", describeCharacter(args.found, "file", l10n));
            case "text_after_array":
                return l10n.t("Unexpected {0} after the end of the array: an eval set is one array. Remove it, or merge it into the array.",
                    describeCharacter(args.found, "file", l10n));
            case "array_not_closed":
                return l10n.t("The array is not closed: add ']' at the end of the file.");
            case "trailing_comma":
                return l10n.t("Trailing comma before ']': remove the comma after the last item.");
            case "missing_comma":
                return l10n.t("Missing comma: add ',' between the items.");
        }
    },
    invalid_encoding: (args, l10n) => {
        switch (args.reason) {
            case "utf16":
                return l10n.t("The file is saved as UTF-16. BELLE eval sets are UTF-8: re-save it as UTF-8 (in VS Code: the encoding in the status bar, then \"Save with Encoding\").");
            case "not_utf8_file":
                return l10n.t("The file is not valid UTF-8 (first bad bytes here), so it is not read. BELLE eval sets are UTF-8; if it was saved as GBK or GB18030, re-save it as UTF-8.");
            case "not_utf8_line":
                return l10n.t("This line is not valid UTF-8, so the item is skipped. BELLE eval sets are UTF-8; if the file was saved as GBK or GB18030, re-save it as UTF-8.");
        }
    },
    not_an_object: (args, l10n) =>
        l10n.t("An item must be an object such as {\"question\": \"…\", \"std_answer\": \"…\", \"class\": \"…\"}, not {0}. This item is skipped.",
            describeType(args.foundType, args.foundValue, l10n)),
    missing_field: (args, l10n) => {
        const advice = args.field === "question" ? l10n.t("Add the \"question\" the model should answer.")
            : args.field === "std_answer" ? l10n.t("Add \"std_answer\": \"\" if the item has no reference answer.")
            : l10n.t("Add its \"class\", such as \"open qa\".");
        const message = l10n.t("The item has no \"{0}\" field, so it is skipped. {1}", args.field, advice);
        if (args.otherFieldCount === 0) return message;
        return args.otherFieldCount === 1
            ? l10n.t("{0} It has {1}: is that a misspelling?", message, args.otherFields)
            : l10n.t("{0} It has {1}: is one of them a misspelling?", message, args.otherFields);
    },
    wrong_type: (args, l10n) => {
        const message = l10n.t("\"{0}\" must be a string, not {1}, so the item is skipped.", args.field, describeType(args.foundType, args.foundValue, l10n));
        if (args.foundType === "number" || args.foundType === "boolean")
            return l10n.t("{0} Put it in quotes: \"{1}\".", message, args.foundValue);
        if (args.foundType === "null" && args.field === "std_answer")
            return l10n.t("{0} Use \"\" for an item without a reference answer.", message);
        if (args.foundType === "array")
            return l10n.t("{0} Join the parts into one string.", message);
        return message;
    },
    empty_question: (_args, l10n) =>
        l10n.t("\"question\" is empty: write the question the model should answer, or remove the item."),
    unknown_class: (args, l10n) => args.className.trim() === ""
        ? l10n.t("\"class\" is empty: the item is kept and judged with the general prompt. If it is meant to be one of {0}, fix the spelling.", args.knownClasses)
        : l10n.t("\"{0}\" is not one of BELLE's classes: the item is kept and judged with the general prompt. If it is meant to be one of {1}, fix the spelling.",
            args.className, args.knownClasses),
    duplicate_question: (args, l10n) =>
        l10n.t("The same question as the item on line {0}: both are kept and both are scored, which weights it twice. Remove one unless that is intended.", args.firstLine),
    empty_eval_set: (_args, l10n) =>
        l10n.t("The eval set has no items. Each line should hold one {\"question\", \"std_answer\", \"class\"} object."),
    too_many_diagnostics: (args, l10n) =>
        l10n.t("{0} more problems ({1} errors, {2} warnings) are not listed. Fix the ones listed and read the file again.", args.count, args.errors, args.warnings)
};

/** The diagnostic's message in the language `l10n` speaks. */
export function localizeEvalSetDiagnostic(diagnostic: EvalSetDiagnostic, l10n: Localizer): string {
    // `args` is typed loosely on the diagnostic; the reader fills it as `EvalSetDiagnosticArgs` lists for the code
    const message = evalSetMessages[diagnostic.code] as (args: Record<string, string | number>, l10n: Localizer) => string;
    return message(diagnostic.args, l10n);
}

type JsonSyntaxMessageOf<Reason extends JsonSyntaxReason> = (args: Extract<JsonSyntaxArgs, {syntax: Reason}>, l10n: Localizer) => string;

/**
 * One message per reason the JSON scanner gives, each in English exactly the scanner's own sentence
 * (`describeJsonSyntaxProblem`), so that a syntax error reads whole in the user's language.
 */
export const jsonSyntaxMessages: {[Reason in JsonSyntaxReason]: JsonSyntaxMessageOf<Reason>} = {
    unexpected_end: (args, l10n) => l10n.t("Expected a value, but {0} ends here.", describeRegion(args.region, l10n)),
    expected_value: (args, l10n) => l10n.t("Expected a value but found {0}.", describeCharacter(args.found, args.region, l10n)),
    single_quoted_string: (_args, l10n) => l10n.t("Strings must be in double quotes (\"…\"), not single quotes."),
    unquoted_text: (args, l10n) => l10n.t("Unexpected word '{0}': text values must be in double quotes.", args.word),
    not_a_json_value: (args, l10n) => l10n.t("{0} is not valid JSON; use null or a string.", args.word),
    bad_number: (args, l10n) => {
        switch (args.flaw) {
            case "leading_zero": return l10n.t("'{0}' is not a JSON number (no leading zeros).", args.token);
            case "digit_after_point": return l10n.t("'{0}' is not a JSON number (a digit must follow '.').", args.token);
            case "": return l10n.t("'{0}' is not a JSON number.", args.token);
        }
    },
    expected_field_name: (args, l10n) =>
        l10n.t("Expected a field name in double quotes but found {0}.", describeCharacter(args.found, args.region, l10n)),
    single_quoted_field_name: (_args, l10n) => l10n.t("Field names must be in double quotes (\"question\"), not single quotes."),
    unquoted_field_name: (args, l10n) => l10n.t("Field names must be in double quotes: write \"{0}\".", args.word),
    expected_colon: (args, l10n) =>
        l10n.t("Expected ':' after the field name \"{0}\" but found {1}.", args.key, describeCharacter(args.found, args.region, l10n)),
    expected_comma_or_close: (args, l10n) => args.container === "object"
        ? l10n.t("Expected ',' or '}' after the value of \"{0}\" but found {1}.", args.key, describeCharacter(args.found, args.region, l10n))
        : l10n.t("Expected ',' or ']' after an element but found {0}.", describeCharacter(args.found, args.region, l10n)),
    missing_comma: (args, l10n) => args.container === "object"
        ? l10n.t("Missing comma: add ',' after the value of \"{0}\".", args.key)
        : l10n.t("Missing comma: add ',' between the elements."),
    trailing_comma: (args, l10n) => args.container === "object"
        ? l10n.t("Trailing comma before '}': remove the comma after the last field.")
        : l10n.t("Trailing comma before ']': remove the comma after the last element."),
    unclosed_object: (args, l10n) =>
        l10n.t("The object that starts here is not closed: add '}' ({0} ends first).", describeRegion(args.region, l10n)),
    unclosed_array: (args, l10n) =>
        l10n.t("The array that starts here is not closed: add ']' ({0} ends first).", describeRegion(args.region, l10n)),
    unclosed_string: (args, l10n) =>
        l10n.t("The string that starts here is not closed: add '\"' ({0} ends first).", describeRegion(args.region, l10n)),
    unclosed_escape: (args, l10n) => l10n.t("The string is not closed: {0} ends after '\\'.", describeRegion(args.region, l10n)),
    line_break_in_string: (_args, l10n) => l10n.t("A line break inside a string must be written as \\n; or the closing '\"' is missing."),
    control_character_in_string: (args, l10n) =>
        l10n.t("{0} inside a string must be written as an escape such as \\t or \\u00XX.", describeCharacter(args.found, args.region, l10n)),
    bad_escape: (args, l10n) => l10n.t("'\\{0}' is not a JSON escape; write '\\\\' for a backslash.", args.letter),
    bad_unicode_escape: (_args, l10n) => l10n.t("'\\u' must be followed by four hex digits, as in \\u4e2d."),
    // The eval-set reader is the one that checks for text after a value, and it calls the value "the item"
    text_after_value: (args, l10n) => l10n.t("Unexpected {0} after the end of the item.", describeCharacter(args.found, args.region, l10n))
};

/** The JSON scanner's problem in the language `l10n` speaks. */
export function localizeJsonSyntax(args: JsonSyntaxArgs, l10n: Localizer): string {
    const message = jsonSyntaxMessages[args.syntax] as (args: JsonSyntaxArgs, l10n: Localizer) => string;
    return message(args, l10n);
}

function describeRegion(region: JsonRegion, l10n: Localizer): string {
    return region === "line" ? l10n.t("the line") : l10n.t("the file");
}

/** As the JSON scanner names the character an error stopped at, "" being the end of the region. */
function describeCharacter(found: string, region: JsonRegion, l10n: Localizer): string {
    if (found === "") return region === "line" ? l10n.t("the end of the line") : l10n.t("the end of the file");
    const codePoint = found.codePointAt(0)!;
    if (codePoint === 0x0a || codePoint === 0x0d) return l10n.t("a line break");
    if (codePoint < 0x20) return l10n.t("control character U+{0}", codePoint.toString(16).toUpperCase().padStart(4, "0"));
    if (codePoint === 0xfeff) return l10n.t("a byte-order mark (U+FEFF)");
    return `'${found}'`;
}

function describeType(type: JsonTypeName, value: string, l10n: Localizer): string {
    switch (type) {
        case "null": return "null";
        case "array": return l10n.t("an array");
        case "object": return l10n.t("an object");
        case "number": return l10n.t("a number ({0})", value);
        case "boolean": return value;
        case "string": return l10n.t("a string");
    }
}
