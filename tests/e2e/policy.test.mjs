// Who may sign in, end to end: the real agent and signetctl, the demo OpenID provider and Chromium. One agent
// admits example.com and example.org with registration off (bob pre-registered), another only example.com.
// Demo users: alice@example.com, bob@example.org, carol@example.net (unverified address).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import { startIdp, makeWorld, demoConfig, startAgent, ctl, ctlStart, browserDriver, sleep, waitFor } from './harness.mjs';

let idp;
let strict;   // allowed_domains = example.com, example.org; auto_register off; bob pre-registered
let narrow;   // allowed_domains = example.com
const worlds = [];
const agents = [];

async function agentWith(general) {
  const world = makeWorld();
  worlds.push(world);
  const agent = await startAgent(world, demoConfig(idp.issuer, general));
  agents.push(agent);
  return { world, agent };
}

before(async () => {
  idp = await startIdp();
  strict = await agentWith({
    allowed_domains: 'example.com, example.org', auto_register: 'false', preregistered: 'bob@example.org',
    staff: '*', admins: 'bob@example.org', refusal_help: '"Ask the service desk: https://it.example.com/signet"',
  });
  narrow = await agentWith({ allowed_domains: 'example.com' });
});

after(async () => {
  for (const agent of agents) await agent.stop();
  await idp?.stop();
  for (const w of worlds) w.cleanup();
});

const signIn = (world, user) => ctl(world, ['signin', 'demo'], { BROWSER: browserDriver, SIGNET_TEST_USER: user });

test('a pre-registered person is admitted with the roles of the lists, and registered by account', async () => {
  const result = await signIn(strict.world, 'bob@example.org');
  assert.equal(result.code, 0, result.stderr);
  const identity = JSON.parse((await ctl(strict.world, ['whoami', '--json'])).stdout);
  assert.deepEqual(identity.roles, ['admin', 'staff']);
  assert.equal(identity.roles_complete, true);
  const registry = path.join(strict.world.root, 'home', '.local', 'state', 'signet', 'accounts.json');
  assert.ok(existsSync(registry));
  assert.equal(statSync(registry).mode & 0o777, 0o600);
  const accounts = JSON.parse(readFileSync(registry, 'utf8')).accounts;
  assert.deepEqual(accounts.map((a) => [a.issuer, a.account]), [[idp.issuer, 'bob']]);
  assert.ok(!readFileSync(registry, 'utf8').includes('token'), 'no secret in the registry');
  assert.equal((await ctl(strict.world, ['signout'])).code, 0);
});

test('an allowed domain, but registration is off and the account is unknown: refused with IT\'s help text', async () => {
  const result = await signIn(strict.world, 'alice@example.com');
  assert.equal(result.code, 5, result.stderr);
  assert.match(result.stderr, /This account \(alice@example\.com\) is not registered on this computer/);
  assert.match(result.stderr, /Ask the service desk: https:\/\/it\.example\.com\/signet/);
  assert.equal((await ctl(strict.world, ['whoami'])).code, 3, 'nobody is signed in');
});

test('an unverified address is refused, whatever its domain', async () => {
  const result = await signIn(strict.world, 'carol@example.net');
  assert.equal(result.code, 5, result.stderr);
  assert.match(result.stderr, /has no verified e-mail address/);
});

test('another domain is refused and the message says which are admitted', async () => {
  const result = await signIn(narrow.world, 'bob@example.org');
  assert.equal(result.code, 5, result.stderr);
  assert.match(result.stderr, /bob@example\.org cannot sign in on this computer: the domain example\.org is not allowed\. Accounts of example\.com are admitted/);
  const alice = await signIn(narrow.world, 'alice@example.com');
  assert.equal(alice.code, 0, alice.stderr);
  const identity = JSON.parse((await ctl(narrow.world, ['whoami', '--json'])).stdout);
  assert.deepEqual(identity.roles, []);
});

test('policy applies without a restart: an edited file signs out someone it no longer admits; SIGHUP reloads', async () => {
  const { world, agent } = narrow;
  assert.equal((await ctl(world, ['whoami'])).code, 0, 'alice is signed in (previous test)');
  const watch = ctlStart(world, ['--json', 'watch']);
  await sleep(500); // watch prints nothing until an event: give it time to subscribe
  writeFileSync(world.configFile, demoConfig(idp.issuer, { allowed_domains: 'example.org' }));
  await waitFor(async () => (await ctl(world, ['whoami'])).code === 3, 'the file change to sign alice out', 10000);
  await waitFor(() => /"reason":"policy"/.test(watch.stdout), 'the signed-out event', 5000);
  watch.child.kill('SIGTERM');

  // SIGHUP reloads instead of ending the agent (its default action).
  agent.process.child.kill('SIGHUP');
  await waitFor(() => /reloading the configuration on SIGHUP/.test(agent.output), 'the reload', 5000);
  assert.ok(agent.isRunning());
  const status = JSON.parse((await ctl(world, ['--json', 'status'])).stdout);
  assert.equal(status.state, 'signed_out');
});

test('the audit log records sign-ins, refusals with their reasons and sign-outs, and no secret', async () => {
  const file = path.join(strict.world.root, 'home', '.local', 'state', 'signet', 'audit.jsonl');
  assert.equal(statSync(file).mode & 0o777, 0o600);
  const entries = readFileSync(file, 'utf8').trim().split('\n').map((line) => JSON.parse(line));
  const summary = entries.map((e) => [e.event, e.account ?? e.provider, e.check ?? e.reason ?? '']);
  assert.deepEqual(summary.filter(([event]) => event !== 'signin-failed'), [
    ['signin', 'bob', ''],
    ['signout', 'demo', 'user'],
    ['signin-refused', 'alice', 'not_registered'],
    ['signin-refused', 'carol', 'email_verified'],
  ]);
  const text = readFileSync(file, 'utf8');
  for (const secret of await idp.secrets()) assert.ok(!text.includes(secret), 'a secret in the audit log');
});
