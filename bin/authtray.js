#!/usr/bin/env node
// The `authtray` command. `npm run build` (run by `npm ci` / `npm install` through the prepare
// script) compiles main/ to dist/ and bundles the CLI into dist/cli/: one file to load instead of a
// dozen, so `authtray token` starts nearly as fast as a bare `node`.
import { main } from '../dist/cli/main.js';

await main();
