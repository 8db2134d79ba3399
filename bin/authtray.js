#!/usr/bin/env node
// The `authtray` command. `npm run build` (run by `npm ci` / `npm install` through the prepare
// script) compiles main/ to dist/ and bundles the CLI into dist/cli/: one small file to load first
// (it asks a running agent for `authtray token`), the rest only when needed, so `authtray token`
// starts nearly as fast as a bare `node`.
import { start } from '../dist/cli/entry.js';

await start();
