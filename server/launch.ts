/**
 * The engine's entry point (dist/server.cjs): sets the libuv thread pool to one worker, then loads the engine
 * (dist/engine.mjs). It is CommonJS on purpose: loading an ES module already starts the pool, after which its size
 * can no longer change, so the size must be set before the first `import`.
 *
 * Why one worker: node-llama-cpp runs every `llama_decode` and every sampling step as a libuv work item. With the
 * default pool of 4 they hop between threads, and on a 2-core machine one decode of the 0.5B benchmark model took
 * 18 ms instead of the 10 ms the same prebuilt kernels take when llama.cpp's llama-batched-bench drives them from
 * one thread. With one worker the decode and the sampling stay on one thread. While it serves, the engine queues
 * no other pool work that would wait behind a decode (an eval hashes its model file before the model loads).
 * `BELLE_UV_THREADPOOL_SIZE` overrides the size.
 */
import path from "node:path";
import {pathToFileURL} from "node:url";

process.env.UV_THREADPOOL_SIZE = process.env.BELLE_UV_THREADPOOL_SIZE ?? "1";
void import(pathToFileURL(path.join(__dirname, "engine.mjs")).href);
