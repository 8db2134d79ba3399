/**
 * `npm run sandbox`: the sandbox provider on its own, for trying authtray by hand.
 * Port: --port N, else AUTHTRAY_SANDBOX_PORT, else 7480. Data (keys, grants) in a temporary
 * directory unless --data DIR.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { SANDBOX_CLIENTS, startSandbox } from './provider.js';

const { values } = parseArgs({ options: { port: { type: 'string' }, data: { type: 'string' } } });
const port = Number(values.port ?? process.env.AUTHTRAY_SANDBOX_PORT ?? 7480);
const dataDir = values.data ?? (await mkdtemp(join(tmpdir(), 'authtray-sandbox-')));
const sandbox = await startSandbox({ port, dataDir });

process.stdout.write(`${sandbox.issuer}\n`);
process.stderr.write(
  `Sandbox provider listening on ${sandbox.issuer} (data in ${dataDir}).\n` +
    `Clients: ${Object.values(SANDBOX_CLIENTS).map((c) => c.clientId).join(', ')}. Log in with any user name.\n` +
    `Link with: npx authtray link --provider sandbox${port === 7480 ? '' : ` --issuer ${sandbox.issuer}`}\n` +
    'Stop with Ctrl-C.\n',
);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void sandbox.close().then(() => process.exit(0)));
}
