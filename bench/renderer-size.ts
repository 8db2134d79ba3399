/**
 * The window's JavaScript size: the Vite build of renderer/, every .js file gzipped at level 9,
 * in KB of 1,000 bytes (target ≤ 80 KB: a small window that opens at once).
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { buildRenderer } from '../test/support/bridge.js';

export const RENDERER_JS_TARGET_KB = 80;

/** Gzipped bytes of every .js file under `dir` (recursively). */
export async function gzippedJsBytes(dir: string): Promise<{ bytes: number; files: number }> {
  let bytes = 0;
  let files = 0;
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.js')) continue;
    bytes += gzipSync(await readFile(join(entry.parentPath, entry.name)), { level: 9 }).length;
    files++;
  }
  return { bytes, files };
}

/** Builds the renderer into a temporary folder and measures it, as a bench figure. */
export async function rendererSizeFigure(): Promise<{ name: string; value: string; target: string; ok: boolean }> {
  const out = await mkdtemp(join(tmpdir(), 'authtray-bench-renderer-'));
  try {
    await buildRenderer(out);
    const { bytes, files } = await gzippedJsBytes(out);
    const kb = bytes / 1000;
    return {
      name: `renderer JavaScript, gzipped (${files} file${files === 1 ? '' : 's'}, ${bytes} bytes)`,
      value: `${kb.toFixed(1)} KB`,
      target: `≤ ${RENDERER_JS_TARGET_KB} KB`,
      ok: kb <= RENDERER_JS_TARGET_KB,
    };
  } finally {
    await rm(out, { recursive: true, force: true });
  }
}
