/**
 * bin/authtray.js runs this. `authtray token` asks a running agent first (token-agent.ts, a few
 * kilobytes); everything else, and a token the agent cannot give, goes to the full command.
 */
import { tokenViaAgent } from './token-agent.js';

export async function start(): Promise<void> {
  if (await tokenViaAgent(process.argv.slice(2), process.env, process.stdout, process.stderr)) return;
  const { main } = await import('./main.js');
  await main();
}
