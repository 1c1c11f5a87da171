// Chinese and emoji content for the chat webview tests (test fixtures are where Chinese text lives in code).
import type {ChatTurn, Conversation, ConversationSettings, EngineStatus} from "../../webview/protocol/chatProtocol";

export const defaultSettings: ConversationSettings = {systemPrompt: "", temperature: 0.7, topP: 0.9, maxTokens: 1024};

export const readyEngine: EngineStatus = {
    state: "ready", model: "belle-demo-0.5b.gguf", backend: "cpu", remote: false, lastTokensPerSecond: 42.5, error: null
};

/** A streamed answer, cut so that a code fence (its backticks, its language, its body) and CJK words straddle chunks. */
export const streamedAnswerChunks = [
    "你好！👋 这是", "一个**流式**回答。\n\n",
    "下面是代码：\n\n``", "`py", "thon\nprint(\"北京", "欢迎你 🎉\")\n", "for i in range(3):\n    print(i)\n`", "``\n\n",
    "最后一段：", "谢谢！😊"
];
export const streamedAnswer = streamedAnswerChunks.join("");

export const stoppedPartialChunks = ["北京是中国的首都，", "有着三千多年的", "建城史。🏯"];

export const imeText = "你好";
export const multiLineFirst = "第一行";
export const multiLineSecond = "第二行";

/** Model output that tries to run script in the webview; every line must render as inert text or safe markup. */
export const xssPayloads = [
    "<img src=x onerror=window.__pwned=1>",
    "<script>window.__pwned=1</script>",
    "[点我 x](javascript:window.__pwned=1)",
    "<a href=\"javascript:window.__pwned=1\">点我 a</a>",
    "[点我 data](data:text/html,<script>window.__pwned=1</script>)",
    "![图片](javascript:window.__pwned=1)",
    "<svg onload=window.__pwned=1></svg>",
    "[命令](command:workbench.action.quit)"
].join("\n\n");

export function conversation(id: string, turns: ChatTurn[], title = "北京旅游攻略 🗺️"): Conversation {
    return {id, title, createdAt: Date.UTC(2026, 0, 2, 3, 4), updatedAt: Date.UTC(2026, 0, 2, 5, 6), turns, settings: {...defaultSettings}};
}

export const beijingTurns: ChatTurn[] = [
    {role: "user", content: "北京有哪些必去的景点？"},
    {
        role: "assistant",
        content: "1. 故宫 🏯\n2. 长城\n3. 颐和园\n\n```bash\necho \"北京\"\n```",
        stats: {promptTokens: 24, completionTokens: 40, tokensPerSecond: 31.25, contextTokens: 64, contextSize: 4096}
    },
    {role: "user", content: "长城离市区多远？"},
    {role: "assistant", content: "大约 **70 公里**。🚗"}
];

/** Markdown that exercises block boundaries: lists that continue across blank lines, fences, tables, quotes. */
export const blockBoundaryMarkdown = [
    "# 标题 🎯", "", "第一段，带有 `行内代码` 和 [链接](https://example.com)。", "第二行紧跟。", "",
    "1. 第一项", "", "2. 第二项，松散列表", "   继续的内容", "", "- 子弹 A", "- 子弹 B", "", "3. 从三开始", "4. 第四项", "",
    "> 引用 💬", "> 第二行", "", "```ts", "const 你好: string = \"世界\";", "", "console.log(你好);", "```", "",
    "| 列一 | 列二 |", "| --- | :-: |", "| 甲 | 乙 |", "", "段落", "===", "", "    缩进代码", "", "~~~", "波浪线代码", "~~~", "",
    "最后一段 😊"
].join("\n");

/** A long answer built from repeating blocks, for the linear-cost test. */
export function longAnswerChunks(chunkCount: number): string[] {
    const blocks = [
        "这是一个很长的回答中的一段文字，包含中文和表情 🚀。\n\n",
        "- 列表项一 ✅\n- 列表项二\n\n",
        "```js\nconst 城市 = \"上海\";\nconsole.log(城市);\n```\n\n",
        "> 引用：学而时习之。\n\n"
    ];
    const text = Array.from({length: 400}, (_, index) => blocks[index % blocks.length]!).join("");
    const characters = [...text]; // split on code points so no chunk ends inside a surrogate pair
    return Array.from({length: chunkCount}, (_, index) => characters
        .slice(Math.floor(index * characters.length / chunkCount), Math.floor((index + 1) * characters.length / chunkCount))
        .join(""));
}
