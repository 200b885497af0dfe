// End to end: the real agent and signetctl against the real demo OpenID provider, with a real
// browser (Debian chromium driven by playwright-core) logging in as a demo user.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import path from 'node:path';

import { startIdp, makeWorld, demoConfig, startAgent, ctl, ctlStart, browserDriver, waitFor, assertNoSecrets } from './harness.mjs';

let idp;
let world;
let agent;
// Everything signetctl printed in this file, for the secrets check at the end.
const printed = [];
async function ctlLogged(w, args, extraEnv) {
  const result = await ctl(w, args, extraEnv);
  printed.push(result.stdout, result.stderr);
  return result;
}

before(async () => {
  idp = await startIdp();
  world = makeWorld();
  // Every debug message of Signet and of Qt's network and OAuth code, so the secrets check at the
  // end sees as much output as an administrator debugging a problem could switch on.
  agent = await startAgent(world, demoConfig(idp.issuer), { QT_LOGGING_RULES: 'signet.*.debug=true\nqt.networkauth*.debug=true\nqt.network.*.debug=true' });
});

after(async () => {
  await agent?.stop();
  await idp?.stop();
  world?.cleanup();
});

async function assertAgentServes(w = world) {
  const status = await ctl(w, ['--json', 'status']);
  assert.equal(status.code, 0, `status failed: ${status.stderr}`);
  return JSON.parse(status.stdout);
}

test('alice signs in through the browser, whoami names her, sign-out ends it', async () => {
  const signin = await ctlLogged(world, ['signin', 'demo'], { BROWSER: browserDriver });
  assert.equal(signin.code, 0, `signin failed: ${signin.stdout}\n${signin.stderr}`);
  assert.match(signin.stdout, /Signed in as Alice Example <alice@example\.com>/);

  const whoami = await ctlLogged(world, ['whoami', '--json']);
  assert.equal(whoami.code, 0, whoami.stderr);
  const identity = JSON.parse(whoami.stdout);
  assert.equal(identity.provider, 'demo');
  assert.equal(identity.issuer, idp.issuer);
  assert.equal(identity.subject, 'alice');
  assert.equal(identity.email, 'alice@example.com');
  assert.equal(identity.email_verified, true);
  assert.equal(identity.name, 'Alice Example');
  assert.ok(identity.expires_in > 3500 && identity.expires_in <= 3600, `expires_in ${identity.expires_in}`);

  const status = await assertAgentServes();
  assert.equal(status.state, 'signed_in');

  // PKCE was used and the token and userinfo endpoints were reached exactly once each.
  const paths = (await idp.requests()).map((r) => `${r.method} ${r.path}`);
  assert.equal(paths.filter((p) => p === 'POST /token').length, 1, paths.join('\n'));
  assert.equal(paths.filter((p) => p === 'GET /me').length, 1, paths.join('\n'));

  const signout = await ctlLogged(world, ['signout']);
  assert.equal(signout.code, 0, signout.stderr);
  const after = await ctlLogged(world, ['whoami']);
  assert.equal(after.code, 3, `whoami after sign-out: ${after.stdout}${after.stderr}`);
});

test('--no-browser prints the URL alone on stdout; opening it by hand completes the sign-in', async () => {
  const run = ctlStart(world, ['signin', 'demo', '--no-browser'], { SIGNET_TEST_USER: 'bob@example.org' });
  await waitFor(() => run.stdout.includes('\n'), 'the authorization URL on stdout');
  const url = run.stdout.split('\n')[0];
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/auth\?/);
  const query = new URL(url).searchParams;
  assert.equal(query.get('code_challenge_method'), 'S256');
  assert.match(query.get('code_challenge'), /^[A-Za-z0-9_-]{43}$/);
  assert.ok(query.get('state').length >= 22, 'state has at least 128 bits');
  assert.ok(query.get('nonce'), 'nonce is sent');
  assert.match(query.get('redirect_uri'), /^http:\/\/127\.0\.0\.1:\d+\/callback\/demo$/);

  const browser = spawn(browserDriver, [url], { env: { ...process.env, SIGNET_TEST_USER: 'bob@example.org' }, stdio: 'inherit' });
  const [{ code }] = await Promise.all([run.exited, new Promise((r) => browser.on('exit', r))]);
  assert.equal(code, 0, run.stderr);
  const identity = JSON.parse((await ctlLogged(world, ['whoami', '--json'])).stdout);
  assert.equal(identity.email, 'bob@example.org');
});

test("carol's unverified address is reported as unverified", async () => {
  const signin = await ctlLogged(world, ['--json', 'signin', 'demo'], { BROWSER: browserDriver, SIGNET_TEST_USER: 'carol@example.net' });
  assert.equal(signin.code, 0, signin.stderr);
  const identity = JSON.parse(signin.stdout);
  assert.equal(identity.email, 'carol@example.net');
  assert.equal(identity.email_verified, false);
  const whoami = await ctlLogged(world, ['whoami']);
  assert.match(whoami.stdout, /unverified/);
});

test('denying consent ends the sign-in with access_denied and the agent keeps serving', async () => {
  await ctlLogged(world, ['signout']);
  const signin = await ctlLogged(world, ['signin', 'demo'], { BROWSER: browserDriver, SIGNET_TEST_CONSENT: 'deny' });
  assert.equal(signin.code, 6, `${signin.stdout}\n${signin.stderr}`);
  assert.match(signin.stderr, /declined or cancelled/);
  const status = await assertAgentServes();
  assert.equal(status.state, 'signed_out');
  assert.equal(status.signin, null);
});

test('a provider that stops mid-flow gives provider_unreachable, and no secret is printed', async () => {
  const ownIdp = await startIdp();
  const w = makeWorld();
  const a = await startAgent(w, demoConfig(ownIdp.issuer));
  try {
    const captured = path.join(w.root, 'callback-url');
    const run = ctlStart(w, ['signin', 'demo'], { BROWSER: browserDriver, SIGNET_TEST_CAPTURE_CALLBACK: captured });
    await waitFor(() => { try { return readFileSync(captured, 'utf8').length > 0; } catch { return false; } }, 'the captured callback', 60000);
    const callback = readFileSync(captured, 'utf8').trim();
    const code = new URL(callback).searchParams.get('code');
    assert.ok(code && code.length > 10, 'the browser captured an authorization code');

    await ownIdp.stop(); // the provider goes away between login and token exchange
    const page = await fetch(callback);
    assert.equal(page.status, 200);
    const { code: exitCode } = await run.exited;
    assert.equal(exitCode, 6, `${run.stdout}\n${run.stderr}`);
    assert.match(run.stderr, /Could not finish the sign-in/);
    assert.equal((await assertAgentServes(w)).state, 'signed_out');

    for (const [name, text] of [['agent output', a.output], ['signetctl stdout', run.stdout], ['signetctl stderr', run.stderr]]) {
      assert.ok(!text.includes(code), `the authorization code appears in ${name}`);
    }
  } finally {
    await a.stop();
    await ownIdp.stop();
    w.cleanup();
  }
});

test('an ES256-signing provider works too (the ID token is validated with its EC key)', async () => {
  const ecIdp = await startIdp(['--id-token-alg', 'ES256']);
  const w = makeWorld();
  const a = await startAgent(w, demoConfig(ecIdp.issuer));
  try {
    const signin = await ctl(w, ['--json', 'signin', 'demo'], { BROWSER: browserDriver });
    assert.equal(signin.code, 0, signin.stderr);
    assert.equal(JSON.parse(signin.stdout).subject, 'alice');
    const paths = (await ecIdp.requests()).map((r) => `${r.method} ${r.path}`);
    assert.ok(paths.includes('GET /jwks'), paths.join('\n'));
  } finally {
    await a.stop();
    await ecIdp.stop();
    w.cleanup();
  }
});

test('a sign-in not finished within state_timeout ends with state_expired', async () => {
  const w = makeWorld();
  const a = await startAgent(w, demoConfig(idp.issuer, { state_timeout: 2 }));
  try {
    const started = Date.now();
    const signin = await ctl(w, ['signin', 'demo', '--no-browser']);
    assert.equal(signin.code, 6, signin.stderr);
    assert.match(signin.stderr, /not finished within 2 seconds, so it expired/);
    assert.ok(Date.now() - started >= 1900);
    assert.equal((await assertAgentServes(w)).state, 'signed_out');
  } finally {
    await a.stop();
    w.cleanup();
  }
});

test('no code or token issued by the provider appears in anything Signet printed', async () => {
  // The agent runs at debug verbosity in this world (see before()), so this covers every log line.
  assertNoSecrets(await idp.secrets(), { 'agent output': agent.output, 'signetctl output': printed.join('\n') });
  const secrets = await idp.secrets();
  assert.ok(secrets.length >= 6, `expected codes and tokens from several sign-ins, got ${secrets.length}`);
});

test('the agent stops cleanly on SIGTERM and removes its socket', async () => {
  const w = makeWorld();
  const a = await startAgent(w, demoConfig(idp.issuer));
  const { code } = await a.stop();
  assert.equal(code, 0);
  const status = await ctl(w, ['status']);
  assert.equal(status.code, 4, 'agent not running');
  w.cleanup();
});
