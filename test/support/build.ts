// Vitest global setup: build once (`npm run build`: tsc, then the CLI bundle), so tests that spawn
// the real `authtray` command run the code under test rather than a stale build.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export default function setup(): void {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  execFileSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' });
}
