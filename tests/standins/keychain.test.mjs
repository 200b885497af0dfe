// Sessions in the keychain (a real gnome-keyring on the private bus of scripts/with-keyring.sh): they survive an
// agent restart — even offline —, an access token that expired meanwhile is renewed at once, a missing or broken
// entry gives a clean signed-out start, sign-out removes everything, and without a keychain nothing reaches the
// disk. Sign-ins at the Google stand-in (refresh tokens) with the fast form browser.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import { makeWorld, startAgent, ctl, startStandin, formBrowser, buildDir, sourceDir, waitFor } from '../e2e/harness.mjs';

let google;
const worlds = [];
const running = [];

if (!process.env.DBUS_SESSION_BUS_ADDRESS) {
  throw new Error('run under scripts/with-keyring.sh (scripts/test.sh does): these tests need a session bus with a Secret Service');
}

before(async () => {
  google = await startStandin('google');
});

after(async () => {
  for (const agent of running) await agent.stop();
  await google?.stop();
  for (const world of worlds) world.cleanup();
});

function config(extra = '') {
  return `[general]\nallowed_domains = *\nproviders = google\n${extra}\n`
    + `[provider.google]\ntype = google\nissuer = ${google.base}\nclient_id = ${google.client_id}\nclient_secret = ${google.client_secret}\n`;
}

async function start(world, extra = '', env = {}) {
  const agent = await startAgent(world, config(extra), env);
  running.push(agent);
  return agent;
}

function newWorld() {
  const world = makeWorld();
  worlds.push(world);
  return world;
}

const signIn = (world, env = {}) => ctl(world, ['signin', 'google'], { BROWSER: formBrowser, SIGNET_TEST_USER: 'ann@corp.example', ...env });
const stateDir = (world) => path.join(world.root, 'home', '.local', 'state', 'signet');
const record = (world) => path.join(stateDir(world), 'session.json');

// What QtKeychain wrote for this world (schema org.qt.keychain: attributes user = key, server = service).
function keychainEntry(world) {
  const { keychain_key: key } = JSON.parse(readFileSync(record(world), 'utf8'));
  const lookup = spawnSync('secret-tool', ['lookup', 'user', key, 'server', 'signet'], { encoding: 'utf8' });
  // QtKeychain keeps binary data base64-encoded.
  return { key, value: lookup.status === 0 ? Buffer.from(lookup.stdout.trim(), 'base64').toString('utf8') : null };
}

// Every file under the world, for "nothing secret on disk".
function allFiles(dir) {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? allFiles(path.join(dir, e.name)) : e.isFile() ? [path.join(dir, e.name)] : []));
}

test('a session survives a restart of the agent; the tokens are in the keychain and only there', async () => {
  const world = newWorld();
  let agent = await start(world);
  assert.equal((await signIn(world)).code, 0);
  assert.equal(statSync(record(world)).mode & 0o777, 0o600);
  const { value } = keychainEntry(world);
  assert.ok(value, 'the keychain holds the session');
  const stored = JSON.parse(value);
  assert.match(stored.access_token, /^ya29\./);
  assert.ok(stored.refresh_token);
  const secrets = await google.secrets();
  for (const file of allFiles(world.root)) {
    const text = readFileSync(file, 'latin1');
    for (const secret of secrets) assert.ok(!text.includes(secret), `a token in ${file}`);
  }
  await agent.stop();
  agent = await start(world);
  const whoami = await ctl(world, ['whoami', '--json']);
  assert.equal(whoami.code, 0, whoami.stderr);
  assert.equal(JSON.parse(whoami.stdout).email, 'ann@corp.example');
  await agent.stop();
});

test('offline at start: the stored session is kept; an expired access token is renewed once the provider answers', async () => {
  const world = newWorld();
  let agent = await start(world);
  assert.equal((await signIn(world)).code, 0);
  const before = JSON.parse(keychainEntry(world).value).access_token;
  await agent.stop();
  // The access token expired while the agent was away (the record is not secret: its clock can be edited).
  const r = JSON.parse(readFileSync(record(world), 'utf8'));
  r.access_token_expires_at = new Date(Date.now() - 60000).toISOString();
  writeFileSync(record(world), JSON.stringify(r));
  await google.resetRequests();
  agent = await start(world);
  const whoami = await ctl(world, ['whoami', '--json']);
  assert.equal(whoami.code, 0, whoami.stderr);
  const renewedToken = () => JSON.parse(keychainEntry(world).value).access_token;
  for (let i = 0; i < 50 && renewedToken() === before; i += 1) await new Promise((res) => { setTimeout(res, 100); });
  assert.notEqual(renewedToken(), before, 'renewed at once, and the new token stored');
  const refreshes = (await google.requests()).filter((q) => q.form.grant_type === 'refresh_token');
  assert.equal(refreshes.length, 1);
  await agent.stop();

  // Offline: the provider is gone; the stored session is not.
  await google.stop();
  agent = await start(world);
  const still = await ctl(world, ['whoami', '--json']);
  assert.equal(still.code, 0, still.stderr);
  await agent.stop();
  google = await startStandin('google'); // for the tests after this one (a new port: they sign in afresh)
});

test('a missing keychain entry or a broken record: a clean signed-out start, and the leftovers are removed', async () => {
  const world = newWorld();
  let agent = await start(world);
  assert.equal((await signIn(world)).code, 0);
  await agent.stop();
  const { key } = keychainEntry(world);
  spawnSync('secret-tool', ['clear', 'user', key, 'server', 'signet']);
  agent = await start(world);
  assert.equal((await ctl(world, ['whoami'])).code, 3);
  assert.ok(agent.isRunning());
  assert.ok(!existsSync(record(world)), 'the record without its secrets is gone');

  assert.equal((await signIn(world)).code, 0);
  await agent.stop();
  writeFileSync(record(world), '{ not json');
  agent = await start(world);
  assert.equal((await ctl(world, ['whoami'])).code, 3);
  assert.ok(agent.isRunning());
  await agent.stop();
});

// QtKeychain keeps plaintext values in QSettings(<service>) — ~/.config/signet.conf — as <key>/type and <key>/data
// (plaintextstore.cpp); its insecure fallback reads them when no keychain answers, and its KWallet backend reads and
// migrates them whatever the fallback says. Signet gives every job a settings store that reads nothing, so a value
// planted there (the session's own tokens, even) is never read back: with the keychain unreachable, the stored
// session is not restored. The file is written by QSettings itself (tests/unit/plant_plaintext.cpp).
test('tokens planted in QtKeychain\'s plaintext file are never read back', async () => {
  const world = newWorld();
  let agent = await start(world);
  assert.equal((await signIn(world)).code, 0);
  await agent.stop();
  const { key, value } = keychainEntry(world);
  spawnSync('secret-tool', ['clear', 'user', key, 'server', 'signet']);
  const plant = spawnSync(path.join(buildDir, 'tests/unit/signet-plant-plaintext'), ['signet', key],
    { input: value, env: world.env, encoding: 'utf8' });
  assert.equal(plant.status, 0, plant.stderr);
  assert.equal(plant.stdout.trim(), path.join(world.root, 'config', 'signet.conf'));
  const noBus = { DBUS_SESSION_BUS_ADDRESS: `unix:path=${path.join(world.root, 'no-bus')}` };
  agent = await start(world, '', noBus);
  assert.equal((await ctl(world, ['whoami'])).code, 3, 'not restored from the plaintext file');
  assert.match(agent.output, /could not restore the session: No keychain is available/);
  await agent.stop();
  assert.ok(readFileSync(plant.stdout.trim(), 'utf8').includes('data='), 'the planted file is still there, unread');
});

// The same with QtKeychain's KWallet backend, which reads an entry from the plaintext file before it asks the
// wallet — with or without the insecure fallback (keychain_unix.cpp, kwalletOpenFinished). A private session bus
// with a KWallet daemon that knows nothing (tests/standins/fakekwallet.py), and a KDE desktop.
test('KWallet: a planted plaintext entry is not read back either', async (t) => {
  const world = newWorld();
  let agent = await start(world);
  assert.equal((await signIn(world)).code, 0);
  await agent.stop();
  const { key, value } = keychainEntry(world);
  spawnSync('secret-tool', ['clear', 'user', key, 'server', 'signet']);
  const plant = spawnSync(path.join(buildDir, 'tests/unit/signet-plant-plaintext'), ['signet', key], { input: value, env: world.env, encoding: 'utf8' });
  assert.equal(plant.status, 0, plant.stderr);

  const bus = spawn('dbus-daemon', ['--session', '--nofork', '--print-address=1'], { stdio: ['ignore', 'pipe', 'ignore'] });
  t.after(() => bus.kill());
  const [address] = await once(bus.stdout, 'data');
  const env = { ...world.env, DBUS_SESSION_BUS_ADDRESS: String(address).trim() };
  const wallet = spawn('/usr/bin/python3', [path.join(sourceDir, 'tests/standins/fakekwallet.py')], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  t.after(() => wallet.kill());
  assert.match(String((await once(wallet.stdout, 'data'))[0]), /ready/);

  agent = await start(world, '', { DBUS_SESSION_BUS_ADDRESS: env.DBUS_SESSION_BUS_ADDRESS, XDG_CURRENT_DESKTOP: 'KDE', KDE_SESSION_VERSION: '5' });
  await waitFor(async () => (await ctl(world, ['status', '--json'])).code === 0, 'the agent to answer');
  assert.equal((await ctl(world, ['whoami'])).code, 3, 'not restored from the plaintext file');
  await agent.stop();
});

test('sign-out removes the session from the keychain and the disk', async () => {
  const world = newWorld();
  const agent = await start(world);
  assert.equal((await signIn(world)).code, 0);
  const { key } = keychainEntry(world);
  assert.equal((await ctl(world, ['signout'])).code, 0);
  assert.ok(!existsSync(record(world)));
  const lookup = spawnSync('secret-tool', ['lookup', 'user', key, 'server', 'signet'], { encoding: 'utf8' });
  assert.notEqual(lookup.status, 0, 'the keychain entry is gone');
  await agent.stop();
});

test('no keychain: the sign-in is refused with keychain_error, and nothing is written to disk', async () => {
  const world = newWorld();
  const noBus = { DBUS_SESSION_BUS_ADDRESS: `unix:path=${path.join(world.root, 'no-bus')}` };
  const agent = await start(world, '', noBus);
  const result = await signIn(world, noBus);
  assert.equal(result.code, 7, result.stderr);
  assert.match(result.stderr, /No keychain is available .*install and unlock gnome-keyring or KWallet, or ask IT/);
  assert.ok(!existsSync(record(world)));
  assert.equal((await ctl(world, ['whoami'])).code, 3);
  const secrets = await google.secrets();
  for (const file of allFiles(world.root)) {
    const text = readFileSync(file, 'latin1');
    for (const secret of secrets) assert.ok(!text.includes(secret), `a token in ${file}`);
  }
  await agent.stop();
});

test('require_keychain = false: without a keychain the session lives in memory only', async () => {
  const world = newWorld();
  const noBus = { DBUS_SESSION_BUS_ADDRESS: `unix:path=${path.join(world.root, 'no-bus')}` };
  let agent = await start(world, 'require_keychain = false', noBus);
  assert.equal((await signIn(world, noBus)).code, 0);
  assert.equal((await ctl(world, ['whoami'])).code, 0);
  assert.match(agent.output, /lives in memory only/);
  assert.ok(!existsSync(record(world)));
  await agent.stop();
  agent = await start(world, 'require_keychain = false', noBus);
  assert.equal((await ctl(world, ['whoami'])).code, 3, 'gone with the agent');
  await agent.stop();
});
