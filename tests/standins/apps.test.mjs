// Companion apps and their grants (docs/ipc.md, "Who is calling"), with the real agent: callers known by their
// executable (interpreters by their script), IT's [app.<id>] grants, consent prompts that only the Signet window
// answers, remembered and revocable answers, `signetctl apps` and `reset`, and the companion app from docs/ipc.md.
//
// The window is played by tests/client/rawclient.c copied as `signet` next to a copy of signet-agent: the agent
// recognises the window as the executable named signet beside its own.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { once } from 'node:events';

import { makeWorld, startAgent, ctl, startStandin, formBrowser, agentBin, ctlBin, buildDir, sourceDir, waitFor, assertNoSecrets } from '../e2e/harness.mjs';

const companion = path.join(sourceDir, 'docs/examples/companion.py');
const python = realpathSync('/usr/bin/python3');
let google;
let world;
let agent;
let baseConfig;
const printed = [];

function run(command, args, env = world.env) {
  const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const result = { child, stdout: '', stderr: '' };
  child.stdout.on('data', (d) => { result.stdout += d; });
  child.stderr.on('data', (d) => { result.stderr += d; });
  // 'close': after the process exited and its output was read to the end.
  result.exited = once(child, 'close').then(([code]) => { printed.push(result.stdout, result.stderr); return code; });
  return result;
}

// The companion app, run by Debian's python3 (an interpreter: its identity is python3 + the script).
const runCompanion = () => run(python, [companion]);

// A line-pipe connection to the agent: as the window (the copied `signet`) or as another program.
function connect(binary) {
  const child = spawn(binary, [], { env: world.env, stdio: ['pipe', 'pipe', 'pipe'] });
  const connection = { child, messages: [], buffer: '', nextId: 1 };
  child.stdout.on('data', (d) => {
    connection.buffer += d;
    let newline;
    while ((newline = connection.buffer.indexOf('\n')) >= 0) {
      connection.messages.push(JSON.parse(connection.buffer.slice(0, newline)));
      connection.buffer = connection.buffer.slice(newline + 1);
    }
  });
  connection.send = (method, params = {}) => {
    const id = connection.nextId++;
    child.stdin.write(`${JSON.stringify({ id, method, params })}\n`);
    return id;
  };
  connection.waitFor = async (predicate, what) => {
    await waitFor(() => connection.messages.some(predicate), what);
    return connection.messages.find(predicate);
  };
  connection.call = async (method, params = {}) => {
    const id = connection.send(method, params);
    return connection.waitFor((m) => m.id === id && !m.event, `the answer to ${method}`);
  };
  connection.close = () => { child.stdin.end(); child.kill(); };
  return connection;
}

let window;
let windowBinary;
const stateDir = () => path.join(world.root, 'home/.local/state/signet');
const audit = () => readFileSync(path.join(stateDir(), 'audit.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));

before(async () => {
  google = await startStandin('google');
  world = makeWorld();
  // signet-agent and the window side by side, as in /usr/bin.
  const bin = path.join(world.root, 'bin');
  mkdirSync(bin);
  copyFileSync(agentBin, path.join(bin, 'signet-agent'));
  windowBinary = path.join(bin, 'signet');
  copyFileSync(path.join(buildDir, 'tests/client/signet-rawclient'), windowBinary);
  chmodSync(path.join(bin, 'signet-agent'), 0o755);
  chmodSync(windowBinary, 0o755);
  baseConfig = `[general]\nallowed_domains = *\nproviders = google\n\n`
    + `[provider.google]\ntype = google\nissuer = ${google.base}\nclient_id = ${google.client_id}\nclient_secret = ${google.client_secret}\n`;
  agent = await startAgent(world, baseConfig, {}, path.join(bin, 'signet-agent'));
  const signin = await ctl(world, ['signin', 'google'], { BROWSER: formBrowser, SIGNET_TEST_USER: 'ann@corp.example' });
  assert.equal(signin.code, 0, signin.stderr);
});

after(async () => {
  window?.close();
  await agent?.stop();
  await google?.stop();
  world?.cleanup();
});

test('hello tells each caller who the agent thinks it is', async () => {
  window = connect(windowBinary);
  const hello = await window.call('hello');
  assert.equal(hello.result.caller.window, true);
  assert.equal(hello.result.caller.exe, realpathSync(windowBinary));
  assert.ok(hello.result.capabilities.includes('consent'));
  const script = path.join(world.root, 'hello.py');
  writeFileSync(script, 'import json,os,socket\ns=socket.socket(socket.AF_UNIX)\n'
    + 's.connect(os.path.join(os.environ["XDG_RUNTIME_DIR"],"signet","agent.sock"))\n'
    + 's.sendall(b\'{"id":1,"method":"hello"}\\n\')\nprint(s.makefile().readline())\n');
  const app = run(python, [script]);
  assert.equal(await app.exited, 0, app.stderr);
  const caller = JSON.parse(app.stdout).result.caller;
  assert.deepEqual({ ...caller, problem: undefined }, {
    id: `script:${python}:${realpathSync(script)}`, name: 'hello.py', exe: python, script: realpathSync(script),
    problem: undefined, grant: null, window: false,
  });
});

test('docs/ipc.md shows exactly the companion app this suite runs', () => {
  assert.ok(readFileSync(path.join(sourceDir, 'docs/ipc.md'), 'utf8').includes(`\`\`\`python\n${readFileSync(companion, 'utf8')}\`\`\``));
});

test('no window to ask: the app is told to open Signet (consent_required), and whoami still answers', async () => {
  window.close();
  await waitFor(() => window.child.exitCode !== null || window.child.signalCode !== null, 'the window to close');
  const app = runCompanion();
  assert.equal(await app.exited, 1);
  assert.match(app.stdout, /^Signed in: ann@corp\.example\n$/);
  assert.match(app.stderr, /companion\.py \(run by .*python3.*\) needs your permission .* no Signet window is open/);
  const token = await ctl(world, ['token']); // signetctl: granted by the test configuration
  assert.equal(token.code, 0, token.stderr);
});

test('the window is asked, Allow is remembered, the app gets its token and prints no secret', async () => {
  window = connect(windowBinary);
  const subscribed = await window.call('subscribe', { events: ['consent-request', 'consent-resolved', 'apps-changed'] });
  assert.deepEqual(subscribed.result.events, ['apps-changed', 'consent-request', 'consent-resolved']);
  const app = runCompanion();
  const prompt = await window.waitFor((m) => m.event === 'consent-request', 'the prompt');
  assert.equal(prompt.data.app.script, realpathSync(companion));
  assert.equal(prompt.data.app.exe, python);
  assert.equal(prompt.data.app.name, 'companion.py');
  assert.ok(prompt.data.expires_in > 100 && prompt.data.expires_in <= 120, `expires_in ${prompt.data.expires_in}`);
  const answer = await window.call('consent', { request: prompt.data.request, allow: true, remember: true });
  assert.deepEqual(answer.result, { decision: 'allowed' });
  assert.equal(await app.exited, 0, app.stderr);
  assert.match(app.stdout, /^Signed in: ann@corp\.example\nToken valid for \d+ s\n$/);
  await window.waitFor((m) => m.event === 'consent-resolved' && m.data.request === prompt.data.request && m.data.decision === 'allowed', 'resolved');
  await window.waitFor((m) => m.event === 'apps-changed', 'apps-changed');
  assertNoSecrets(await google.secrets(), [app.stdout, app.stderr]);

  // Remembered: the next run is not asked again.
  const prompts = window.messages.filter((m) => m.event === 'consent-request').length;
  const again = runCompanion();
  assert.equal(await again.exited, 0, again.stderr);
  assert.equal(window.messages.filter((m) => m.event === 'consent-request').length, prompts);
});

test('an app cannot answer a prompt or grant itself; only the window can', async () => {
  const script = path.join(world.root, 'selfgrant.py');
  writeFileSync(script, 'import os,socket\ns=socket.socket(socket.AF_UNIX)\n'
    + 's.connect(os.path.join(os.environ["XDG_RUNTIME_DIR"],"signet","agent.sock"))\n'
    + 's.sendall(b\'{"id":1,"method":"consent","params":{"request":"c1","allow":true}}\\n\')\nprint(s.makefile().readline())\n');
  const app = run(python, [script]);
  assert.equal(await app.exited, 0, app.stderr);
  assert.equal(JSON.parse(app.stdout).error.code, 'not_permitted');
  const unknown = await window.call('consent', { request: 'c999', allow: true });
  assert.equal(unknown.error.code, 'not_found');
});

test('signetctl apps lists IT\'s grants and the person\'s answers; --revoke makes the app ask again; Deny refuses', async () => {
  const listed = await ctl(world, ['apps', '--json']);
  assert.equal(listed.code, 0, listed.stderr);
  const apps = JSON.parse(listed.stdout);
  assert.equal(apps.unknown_apps, 'prompt');
  const ctlGrant = apps.apps.find((a) => a.id === 'app.signetctl');
  assert.deepEqual([ctlGrant.source, ctlGrant.access, ctlGrant.revocable], ['policy', 'allow', false]);
  const mine = apps.apps.find((a) => a.script === realpathSync(companion));
  assert.deepEqual([mine.source, mine.access, mine.revocable, mine.scopes], ['user', 'allow', true, ['*']]);
  const text = await ctl(world, ['apps']);
  assert.match(text.stdout, /allow {2}companion\.py {2}\(your answer\)/);

  const policyRevoke = await ctl(world, ['apps', '--revoke', 'app.signetctl']);
  assert.equal(policyRevoke.code, 5);
  assert.match(policyRevoke.stderr, /only IT can change it/);
  assert.equal((await ctl(world, ['apps', '--revoke', 'exe:/nowhere'])).code, 2);
  const revoked = await ctl(world, ['apps', '--revoke', mine.id]);
  assert.equal(revoked.code, 0, revoked.stderr);

  const app = runCompanion();
  const open = (m) => m.event === 'consent-request' && !window.messages.some((r) => r.event === 'consent-resolved' && r.data.request === m.data.request);
  const prompt = await window.waitFor(open, 'a new prompt');
  await window.call('consent', { request: prompt.data.request, allow: false, remember: false });
  assert.equal(await app.exited, 1);
  assert.match(app.stderr, /You denied .*companion\.py \(run by .*python3.*\) the use of your work identity/);

  // Not remembered: asked again; an app that goes away withdraws its prompt.
  const third = runCompanion();
  const next = await window.waitFor(open, 'the prompt again');
  assert.notEqual(next.data.request, prompt.data.request);
  third.child.kill();
  await window.waitFor((m) => m.event === 'consent-resolved' && m.data.request === next.data.request && m.data.decision === 'withdrawn', 'withdrawn');

  // Allowed again after the revoke: a new grant, audited afresh; then revoked once more for the next test.
  const fourth = runCompanion();
  const again = await window.waitFor((m) => open(m) && m.data.request !== next.data.request, 'the prompt once more');
  await window.call('consent', { request: again.data.request, allow: true, remember: true });
  assert.equal(await fourth.exited, 0, fourth.stderr);
  assert.equal((await ctl(world, ['apps', '--revoke', mine.id])).code, 0);
});

test('IT\'s policy: a denied app gets nothing, whoami = granted hides the identity from apps without a grant', async () => {
  writeFileSync(world.configFile, `${baseConfig}\n[general]\n`.replace('[general]\nallowed_domains', '[general]\nunknown_apps = deny\nwhoami = granted\nallowed_domains')
    + `\n[app.signetctl]\nexe = ${ctlBin}\naccess = deny\n`);
  agent.process.child.kill('SIGHUP');
  await waitFor(async () => (await ctl(world, ['token'])).code === 5, 'the new policy');
  const token = await ctl(world, ['token']);
  assert.match(token.stderr, /IT's policy denies .*signetctl the use of your work identity \(\[app\.signetctl\]\)/);
  assert.equal(token.stdout, '');
  const whoami = await ctl(world, ['whoami']);
  assert.equal(whoami.code, 5);
  const app = runCompanion();
  assert.equal(await app.exited, 1);
  assert.match(app.stderr, /companion\.py \(run by .*\) has no grant/);
  // The window still knows who is signed in.
  assert.equal((await window.call('whoami')).result.identity.email, 'ann@corp.example');
  writeFileSync(world.configFile, `${baseConfig}\n[app.signetctl]\nexe = ${ctlBin}\n`);
  agent.process.child.kill('SIGHUP');
  await waitFor(async () => (await ctl(world, ['token'])).code === 0, 'the old policy');
});

test('grants and refusals are audited once per app, not per call', () => {
  const entries = audit();
  const companionId = `script:${python}:${realpathSync(companion)}`;
  // Granted twice (before and after a revoke); each grant's use audited once, though the first was used twice.
  assert.equal(entries.filter((e) => e.event === 'app-granted' && e.app === companionId).length, 2);
  assert.equal(entries.filter((e) => e.event === 'app-access' && e.app === companionId).length, 2);
  assert.equal(entries.filter((e) => e.event === 'app-revoked' && e.app === companionId).length, 2);
  assert.ok(entries.some((e) => e.event === 'app-denied' && e.app === companionId && e.remembered === false));
  assert.ok(entries.filter((e) => e.event === 'app-access' && e.app === `exe:${realpathSync(ctlBin)}`).length >= 1);
});

test('reset forgets accounts, answers and stored secrets, and signs out', async () => {
  assert.equal((await ctl(world, ['reset'])).code, 2, 'needs --yes');
  const reset = await ctl(world, ['reset', '--yes', '--json']);
  assert.equal(reset.code, 0, reset.stderr);
  const result = JSON.parse(reset.stdout);
  assert.equal(result.reset, true);
  assert.equal(result.signed_out, true);
  assert.equal(result.accounts, 1);
  assert.equal((await ctl(world, ['whoami'])).code, 3);
  assert.deepEqual(JSON.parse(readFileSync(path.join(stateDir(), 'grants.json'), 'utf8')).apps, []);
  assert.deepEqual(JSON.parse(readFileSync(path.join(stateDir(), 'accounts.json'), 'utf8')).accounts, []);
  assert.ok(!existsSync(path.join(world.root, 'home/.local/state/signet/session.json')));
  // Restarting finds nothing to restore.
  await agent.stop();
  agent = await startAgent(world, baseConfig, {}, path.join(world.root, 'bin/signet-agent'));
  assert.equal((await ctl(world, ['whoami'])).code, 3);
  assertNoSecrets(await google.secrets(), printed);
});
