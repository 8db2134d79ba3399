#!/usr/bin/env node
// The `authtray` command. The TypeScript sources are compiled to dist/ by `npm run build`
// (run automatically by `npm ci` / `npm install` through the prepare script).
import { main } from '../dist/main/cli/main.js';

await main();
