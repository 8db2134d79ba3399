/**
 * The window in Debian's Chromium for the end-to-end tests: the renderer built by Vite, served by
 * the loopback bridge for an app service, one page driven by playwright-core; screenshots under
 * test-output/app/ and axe-core checks.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { expect } from 'vitest';
import type { AppService } from '../../main/app/service.js';
import { buildRenderer, startBridge, type Bridge } from './bridge.js';

export const CHROMIUM = '/usr/bin/chromium';
/** What this machine's Chromium needs (TESTING.md); Playwright adds --headless and --no-sandbox. */
export const CHROMIUM_FLAGS = ['--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const SHOTS = fileURLToPath(new URL('../../test-output/app/', import.meta.url));

export interface AppWindow {
  readonly page: Page;
  readonly bridge: Bridge;
  /** Saves a full-page screenshot as test-output/app/NAME.png. */
  shot(name: string): Promise<void>;
  /** Runs axe-core on the page as it is now; fails on any violation. */
  expectAccessible(state: string): Promise<void>;
  /** The profile card whose heading is `heading`. */
  card(heading: string | RegExp): Locator;
  close(): Promise<void>;
}

export async function openWindow(service: AppService): Promise<AppWindow> {
  if (!existsSync(CHROMIUM)) throw new Error(`These tests need Debian's Chromium at ${CHROMIUM}: apt-get install chromium (it is in .ci/apt-packages.txt).`);
  const axeSource = await readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
  await mkdir(SHOTS, { recursive: true });
  const rendererDir = await mkdtemp(join(tmpdir(), 'authtray-e2e-renderer-'));
  let bridge: Bridge | undefined;
  let browser: Browser | undefined;
  try {
    await buildRenderer(rendererDir);
    bridge = await startBridge({ rendererDir, service });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS });
  } catch (err) {
    await browser?.close();
    await bridge?.close();
    await rm(rendererDir, { recursive: true, force: true });
    throw err;
  }
  const page = await browser.newPage({ viewport: { width: 480, height: 760 }, colorScheme: 'light' });
  await page.goto(bridge.url);
  return {
    page,
    bridge,
    async shot(name) {
      await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
    },
    async expectAccessible(state) {
      // In-page code goes as strings: it runs in the browser, not under this file's Node types.
      if (!(await page.evaluate("'axe' in window"))) await page.evaluate(axeSource);
      const violations = await page.evaluate<string[]>(`axe.run(document, { resultTypes: ['violations'] }).then((r) =>
        r.violations.map((v) => v.id + ': ' + v.nodes.map((n) => n.target.join(' ')).join(', ')))`);
      expect(violations, `axe violations in state "${state}"`).toEqual([]);
    },
    card: (heading) => page.getByRole('article').filter({ has: page.getByRole('heading', { level: 2, name: heading }) }),
    async close() {
      await browser.close();
      await bridge.close();
      await rm(rendererDir, { recursive: true, force: true });
    },
  };
}
