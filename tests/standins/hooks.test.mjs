// IT's hooks (docs/policy.md) through the real agent: pre_signin may veto (and fails closed when it does not
// answer), on_signin and on_signout run after the fact; each gets the identity as JSON on standard input, never a
// refresh token, and an access token only when hook_access_token is set. Sign-ins at the Entra stand-in with the
// fast form browser.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import { agentBin, makeWorld, startAgent, ctl, startStandin, formBrowser, waitFor } from '../e2e/harness.mjs';

let entra;
const worlds = [];
const agents = [];

// A hook script: records its standard input and arguments, then behaves as the file `mode` says.
function writeHooks(dir) {
  const script = (name) => {
    const file = path.join(dir, `${name}.sh`);
    writeFileSync(file, `#!/bin/sh
cat > "${dir}/${name}.stdin"
echo "$@" > "${dir}/${name}.args"
mode=$(cat "${dir}/mode" 2>/dev/null || echo allow)
case "$mode" in
  deny) echo "Your laptop is not compliant: install the updates first."; echo "second line"; exit 1 ;;
  hang) sleep 30 ;;
  flood) head -c 5000000 /dev/zero | tr '\\0' x; head -c 5000000 /dev/zero >&2 ;;
esac
exit 0
`);
    chmodSync(file, 0o755);
    return file;
  };
  return { pre: script('pre'), on: script('on'), off: script('off') };
}

async function agentWithHooks(extra = '') {
  const world = makeWorld();
  worlds.push(world);
  const hooks = writeHooks(world.root);
  const agent = await startAgent(world, `[general]\nallowed_domains = *\nproviders = entra\n`
    + `pre_signin = ${hooks.pre} --checking\non_signin = ${hooks.on}\non_signout = ${hooks.off}\nhook_timeout = 2\n${extra}\n`
    + `[provider.entra]\ntype = microsoft\ntenant = corp.example\nclient_id = ${entra.client_id}\nauthority_host = ${entra.base}\ngraph_url = ${entra.base}\n`);
  agents.push(agent);
  return { world, agent, dir: world.root, mode: (m) => writeFileSync(path.join(world.root, 'mode'), m) };
}

let plain;

before(async () => {
  entra = await startStandin('entra');
  plain = await agentWithHooks();
});

after(async () => {
  for (const agent of agents) await agent.stop();
  await entra?.stop();
  for (const world of worlds) world.cleanup();
});

const signIn = (world) => ctl(world, ['signin', 'entra'], { BROWSER: formBrowser, SIGNET_TEST_USER: 'adele@corp.example' });
const read = (dir, file) => JSON.parse(readFileSync(path.join(dir, file), 'utf8'));
// A hook that runs in the background has written its input once the file holds a whole line.
const written = (dir, file) => waitFor(() => existsSync(path.join(dir, file)) && readFileSync(path.join(dir, file), 'utf8').endsWith('\n'), file);

test('pre_signin allows; it and on_signin get the identity, no token; on_signout gets the reason', async () => {
  plain.mode('allow');
  const result = await signIn(plain.world);
  assert.equal(result.code, 0, result.stderr);
  const pre = read(plain.dir, 'pre.stdin');
  assert.equal(pre.event, 'pre_signin');
  assert.equal(pre.identity.email, 'adele@corp.example');
  assert.equal(pre.access_token, undefined);
  assert.equal(readFileSync(path.join(plain.dir, 'pre.args'), 'utf8').trim(), '--checking');
  await written(plain.dir, 'on.stdin');
  assert.equal(read(plain.dir, 'on.stdin').event, 'on_signin');
  assert.equal((await ctl(plain.world, ['signout'])).code, 0);
  await written(plain.dir, 'off.stdin');
  const off = read(plain.dir, 'off.stdin');
  assert.equal(off.reason, 'user');
  assert.equal(off.identity.account, '3f1c2a6e-8d4b-4c1e-9a2f-5b7d9e0c1a23/b1e7a6c0-1d2e-4f3a-8b9c-0d1e2f3a4b5c');
  const everything = ['pre.stdin', 'on.stdin', 'off.stdin'].map((f) => readFileSync(path.join(plain.dir, f), 'utf8')).join('\n');
  for (const secret of await entra.secrets()) assert.ok(!everything.includes(secret), 'a token reached a hook');
});

test('pre_signin vetoes with its first line as the reason', async () => {
  plain.mode('deny');
  const result = await signIn(plain.world);
  assert.equal(result.code, 5, result.stderr);
  assert.match(result.stderr, /Your laptop is not compliant: install the updates first\./);
  assert.doesNotMatch(result.stderr, /second line/);
  assert.equal((await ctl(plain.world, ['whoami'])).code, 3);
});

test('a pre_signin that does not answer is killed and the sign-in refused (fail closed)', async () => {
  plain.mode('hang');
  const started = Date.now();
  const result = await signIn(plain.world);
  assert.equal(result.code, 5, result.stderr);
  assert.match(result.stderr, /did not answer \(it did not finish within 2 second/);
  assert.ok(Date.now() - started < 15000);
  assert.ok(plain.agent.isRunning());
});

test('a hook flooding its output does not hurt the agent', async () => {
  plain.mode('flood');
  const result = await signIn(plain.world);
  assert.equal(result.code, 0, result.stderr);
  assert.equal((await ctl(plain.world, ['--json', 'status'])).code, 0);
  assert.equal((await ctl(plain.world, ['signout'])).code, 0);
});

test('hook_access_token hands the access token to the hooks, and only that token', async () => {
  const withToken = await agentWithHooks('hook_access_token = true');
  withToken.mode('allow');
  assert.equal((await signIn(withToken.world)).code, 0);
  const pre = read(withToken.dir, 'pre.stdin');
  assert.match(pre.access_token, /.{20,}/);
  const secrets = await entra.secrets();
  assert.ok(secrets.includes(pre.access_token), 'the access token of this sign-in');
  assert.deepEqual(Object.keys(pre).sort(), ['access_token', 'event', 'identity']);
  assert.equal((await ctl(withToken.world, ['signout'])).code, 0);
});

test('a hook that is not an executable file is a configuration error that names it', async () => {
  const world = makeWorld();
  worlds.push(world);
  writeFileSync(world.configFile, '[general]\nallowed_domains = *\npre_signin = relative/script.sh\n');
  const run = spawnSync(agentBin, ['--check-config', '--config', world.configFile], { env: world.env, encoding: 'utf8' });
  assert.equal(run.status, 8);
  assert.match(run.stderr, /pre_signin: 'relative\/script\.sh' is not an executable file given by its absolute path/);
});
