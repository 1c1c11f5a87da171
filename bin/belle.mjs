#!/usr/bin/env node
// The `belle` command: the engine bundle built by `npm run build` (esbuild.mjs).
import "../dist/server.mjs";
