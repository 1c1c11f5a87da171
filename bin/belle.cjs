#!/usr/bin/env node
// The `belle` command: the engine bundle built by `npm run build` (esbuild.mjs). CommonJS so that the engine's
// entry point runs before any ES module loads (see server/launch.ts).
require("../dist/server.cjs");
