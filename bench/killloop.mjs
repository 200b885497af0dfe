#!/usr/bin/env node
// Refresh-token rotation against SIGKILL (issue: "kill during refreshes 100 times and report how many ended each
// way"). The demo provider (oidc-provider) rotates the refresh token on every use and revokes the whole grant when a
// rotated one is presented again, as real providers do. Each round: the agent holds a stored session; a companion
// app asks for a token that needs a refresh; the agent is SIGKILLed at a random moment of that refresh; it is
// started again and asked for a renewed token. Each round ends one of three ways:
//   renewed     — signed in, and the next refresh works (the keychain held the token the provider expects)
//   ended       — the grant is gone at the provider (the kill fell between its rotation and our keychain write):
//                 the restored session cannot be renewed; it says so (attention) and signs out at expiry
//   signed-out  — the agent came back signed out (nothing usable was stored)
// and never "mixed": a stored set of tokens that did not belong together (one keychain entry holds them all, so
// this would mean the store itself is broken). Run under scripts/with-keyring.sh:
//   scripts/with-keyring.sh node bench/killloop.mjs [ROUNDS]      (default 100; CI runs a few)
// Prints one line per outcome with counts, and the time per round.

import { spawnSync } from 'node:child_process';

import { makeWorld, startIdp, demoConfig, startAgent, ctl, ctlStart, browserDriver, sleep } from '../tests/e2e/harness.mjs';

const rounds = Number(process.argv[2] ?? 100);
if (!process.env.DBUS_SESSION_BUS_ADDRESS) {
  console.error('killloop.mjs: run under scripts/with-keyring.sh (a Secret Service is needed)');
  process.exit(2);
}

const idp = await startIdp();
const world = makeWorld();
const config = `${demoConfig(idp.issuer)}`.replace('scopes = openid email profile', 'scopes = openid email profile offline_access');
let agent = await startAgent(world, config);
const signin = await ctl(world, ['signin', 'demo'], { BROWSER: browserDriver });
if (signin.code !== 0) {
  console.error(`killloop.mjs: the first sign-in failed:\n${signin.stderr}`);
  process.exit(1);
}

const counts = { renewed: 0, ended: 0, 'signed-out': 0, mixed: 0 };
const started = Date.now();
for (let round = 0; round < rounds; round += 1) {
  if (!agent.isRunning()) agent = await startAgent(world, config);
  for (let i = 0; i < 100 && (await ctl(world, ['status'])).code === 4; i += 1) await sleep(50);
  // A token valid for 3600 s does not exist: the agent must refresh. Kill it somewhere in that refresh.
  const app = ctlStart(world, ['token', '--min-valid', '3600']);
  await sleep(Math.floor(Math.random() * 40));
  agent.process.child.kill('SIGKILL');
  await agent.process.exited;
  await app.exited;
  agent = await startAgent(world, config);
  // The killed agent left its socket behind: wait for the new one to answer on it.
  for (let i = 0; i < 100 && (await ctl(world, ['status'])).code === 4; i += 1) await sleep(50);
  const whoami = await ctl(world, ['whoami', '--json']);
  if (whoami.code === 3) {
    counts['signed-out'] += 1;
    // Start the next round signed in again.
    const again = await ctl(world, ['signin', 'demo'], { BROWSER: browserDriver });
    if (again.code !== 0) throw new Error(`sign-in after a signed-out round failed:\n${again.stderr}`);
    continue;
  }
  const renewal = await ctl(world, ['token', '--min-valid', '3600']);
  if (renewal.code === 0) {
    counts.renewed += 1;
  } else if (/invalid_grant|grant|revoked|refused|renew/i.test(renewal.stderr)) {
    counts.ended += 1;
    await ctl(world, ['signout']);
    const again = await ctl(world, ['signin', 'demo'], { BROWSER: browserDriver });
    if (again.code !== 0) throw new Error(`sign-in after an ended round failed:\n${again.stderr}`);
  } else {
    counts.mixed += 1;
    console.error(`round ${round}: unexpected: exit ${renewal.code}: ${renewal.stderr}`);
  }
}
const perRound = (Date.now() - started) / rounds;
await agent.stop();
await idp.stop();
world.cleanup();
for (const [outcome, n] of Object.entries(counts)) console.log(`killloop: ${outcome.padEnd(10)} ${String(n).padStart(4)} of ${rounds}`);
console.log(`killloop: ${perRound.toFixed(0)} ms per round`);
spawnSync('true');
process.exit(counts.mixed === 0 ? 0 : 1);
