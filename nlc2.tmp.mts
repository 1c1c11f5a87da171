import {getLlama, LlamaLogLevel} from "node-llama-cpp";
const M = process.env.HOME + "/.cache/belle/models/belle-0.5b-q4_0-s1-g3.gguf";
const fa = process.argv[2] === "fa";
const ctxSize = Number(process.argv[3] ?? 1024);
const llama = await getLlama({gpu: false, build: "never", maxThreads: 2, logLevel: LlamaLogLevel.warn});
const model = await llama.loadModel({modelPath: M, gpuLayers: 0});
const ctx = await model.createContext({contextSize: ctxSize, sequences: 4, threads: {ideal: 2, min: 2}, flashAttention: fa, batching: {itemPrioritizationStrategy: ({items, size}: any) => { const r = items.map((item: any) => ({item, processAmount: Math.min(item.tokens.length, Math.floor(size / items.length))})); if (items.length < 4 && process.env.GATHER && ++waits % 64) return []; return r; }}});
let waits = 0;
const seqs = [0, 1, 2, 3].map(() => ctx.getSequence());
const prompt = model.tokenize("你好，请介绍一下你自己。" + "这是一个测试。".repeat(3));
async function gen(s: typeof seqs[0], n: number) {
  let i = 0;
  for await (const _ of s.evaluate(prompt.slice(0, 10 + 7 * seqs.indexOf(s)), {temperature: 0})) { if (++i >= n) break; }
  return i;
}
for (const k of [1, 4, 1, 4]) {
  for (const s of seqs) await s.clearHistory();
  const t = performance.now();
  const n = (await Promise.all(seqs.slice(0, k).map((s) => gen(s, 64)))).reduce((a, b) => a + b);
  console.log(`fa=${fa} ctx=${ctxSize} streams=${k} tok/s=${(n / (performance.now() - t) * 1000).toFixed(1)}`);
}
process.exit(0);
