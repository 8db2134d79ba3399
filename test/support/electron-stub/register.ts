// `node --import tsx --import ./register.ts dist/app/main.js`: resolves `electron` to the stub
// beside this file, so the bundled main process starts under plain Node.
import { register } from 'node:module';

const stub = new URL('./electron.ts', import.meta.url).href;
const hooks = `export async function resolve(specifier, context, next) {
  return next(specifier === 'electron' ? ${JSON.stringify(stub)} : specifier, context);
}`;
register(`data:text/javascript,${encodeURIComponent(hooks)}`);
