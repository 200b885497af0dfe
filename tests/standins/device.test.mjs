// The device authorization grant (RFC 8628) through the real agent and `signetctl signin --device`, against the
// stand-ins: each provider's shape (Entra's message and authorization_declined, Google's verification_url,
// separate client and 428/403 statuses, GitHub's HTTP 200 errors and slow_down with a new interval), and the
// rows of the protocol: pending, slow_down, denied, expired, not allowed by policy.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';

import { makeWorld, startAgent, ctl, ctlStart, startStandin, waitFor, assertNoSecrets } from '../e2e/harness.mjs';

let entra;
let google;
let github;
let world;
let agent;
const printed = [];

before(async () => {
  [entra, google, github] = await Promise.all([startStandin('entra'), startStandin('google'), startStandin('github')]);
  world = makeWorld();
  agent = await startAgent(world, '[general]\nallowed_domains = *\nproviders = entra, google, github, nodevice\n\n'
    + `[provider.entra]\ntype = microsoft\ntenant = corp.example\nclient_id = ${entra.client_id}\nauthority_host = ${entra.base}\ngraph_url = ${entra.base}\nallow_device_flow = true\n\n`
    + `[provider.google]\ntype = google\nissuer = ${google.base}\nclient_id = ${google.client_id}\nclient_secret = ${google.client_secret}\nhosted_domain = corp.example\n`
    + `allow_device_flow = true\ndevice_client_id = ${google.device_client_id}\ndevice_client_secret = ${google.device_client_secret}\n\n`
    + `[provider.github]\ntype = github\nhost = ${github.base}\nclient_id = ${github.client_id}\nclient_secret = ${github.client_secret}\nallowed_orgs = signet-corp\nallow_device_flow = true\n\n`
    + `[provider.nodevice]\ntype = microsoft\ntenant = corp.example\nclient_id = ${entra.client_id}\nauthority_host = ${entra.base}\ngraph_url = ${entra.base}\n`,
  { QT_LOGGING_RULES: 'signet.*.debug=true' });
});

after(async () => {
  await agent?.stop();
  await Promise.all([entra?.stop(), google?.stop(), github?.stop()]);
  world?.cleanup();
});

const standins = () => ({ entra, google, github });

// Starts `signetctl --json signin PROVIDER --device`, waits for the device-code line, lets `act` play the person
// on the other device, and returns the outcome.
async function deviceSignIn(provider, act) {
  const run = ctlStart(world, ['--json', 'signin', provider, '--device']);
  await waitFor(() => run.stdout.includes('\n') || run.child.exitCode !== null, 'the device code');
  const prompt = run.child.exitCode === null || run.stdout.includes('device-code') ? JSON.parse(run.stdout.split('\n')[0]) : null;
  if (prompt) await act(prompt.data);
  const { code } = await run.exited;
  printed.push(run.stdout, run.stderr);
  const lines = run.stdout.split('\n').filter(Boolean);
  return { code, stderr: run.stderr, prompt: prompt?.data, identity: code === 0 ? JSON.parse(lines[lines.length - 1]) : null };
}

// The person at the other device: opens the verification address and submits the code and their login.
async function approve(data, login, action = 'allow') {
  const page = await fetch(data.verification_uri);
  assert.equal(page.status, 200);
  assert.match(await page.text(), /id="user_code"/);
  const done = await fetch(new URL('/__standin/device', data.verification_uri), {
    method: 'POST', body: new URLSearchParams({ user_code: data.user_code, login, password: login.split('@')[0], action }),
  });
  assert.match(await done.text(), /id="done"/);
}

async function settings(standin, values) {
  await fetch(`${standin.base}/__test/device-settings`, { method: 'POST', body: new URLSearchParams(values) });
}

for (const [provider, login, email] of [
  ['entra', 'adele@corp.example', 'adele@corp.example'],
  ['google', 'ann@corp.example', 'ann@corp.example'],
  ['github', 'octocat', 'octocat@corp.example'],
]) {
  test(`${provider}: a device sign-in, approved on the other device after a few polls`, async () => {
    await settings(standins()[provider], { interval: 1 });
    const result = await deviceSignIn(provider, async (data) => {
      assert.match(data.user_code, /^[A-Z]{4}-[A-Z]{4}$/);
      assert.ok(data.expires_in > 0 && data.expires_in <= 1800, `expires_in ${data.expires_in}`);
      await new Promise((r) => { setTimeout(r, 2200); }); // let Signet poll while the person is busy
      await approve(data, login);
    });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.identity.email, email);
    assert.equal(result.identity.email_verified, true);
    const requests = await standins()[provider].requests();
    const polls = requests.filter((r) => r.form.grant_type === 'urn:ietf:params:oauth:grant-type:device_code');
    assert.ok(polls.length >= 2, `polled ${polls.length} times`);
    assert.equal((await ctl(world, ['signout'])).code, 0);
  });
}

test('entra: Microsoft\'s own instruction text is passed on', async () => {
  await settings(entra, { interval: 1 });
  const result = await deviceSignIn('entra', (data) => approve(data, 'ben@corp.example'));
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.prompt.message, /enter the code [A-Z]{4}-[A-Z]{4} to authenticate/);
  assert.equal((await ctl(world, ['signout'])).code, 0);
});

test('google: the device client and its secret are used, not the desktop client', async () => {
  await google.resetRequests();
  await settings(google, { interval: 1 });
  const result = await deviceSignIn('google', (data) => approve(data, 'ann@corp.example'));
  assert.equal(result.code, 0, result.stderr);
  const requests = await google.requests();
  const code = requests.find((r) => r.path === '/device/code');
  assert.equal(code.form.client_id, google.device_client_id);
  const poll = requests.find((r) => r.form.grant_type === 'urn:ietf:params:oauth:grant-type:device_code');
  assert.equal(poll.form.client_secret, google.device_client_secret);
  assert.equal((await ctl(world, ['signout'])).code, 0);
});

test('google: the same provider rules apply to a device sign-in (hosted domain)', async () => {
  await settings(google, { interval: 1 });
  const result = await deviceSignIn('google', (data) => approve(data, 'gus@gmail.example'));
  assert.equal(result.code, 5, result.stderr);
  assert.match(result.stderr, /personal Google account/);
});

for (const provider of ['entra', 'google', 'github']) {
  test(`${provider}: slow_down makes Signet poll more slowly`, async () => {
    const standin = standins()[provider];
    await standin.resetRequests();
    await settings(standin, { interval: 1, slow_down_polls: 1 });
    const started = Date.now();
    const result = await deviceSignIn(provider, async (data) => {
      // Approve only after the slowed-down poll: the poll after slow_down comes >= 6 s later.
      await new Promise((r) => { setTimeout(r, 1500); });
      await approve(data, provider === 'github' ? 'octocat' : provider === 'google' ? 'ann@corp.example' : 'adele@corp.example');
    });
    assert.equal(result.code, 0, result.stderr);
    const polls = (await standin.requests()).filter((r) => r.form.grant_type === 'urn:ietf:params:oauth:grant-type:device_code');
    assert.equal(polls.length, 2, `first poll answered slow_down, second one granted; got ${polls.length}`);
    assert.ok(Date.now() - started >= 6000, 'the interval grew by 5 seconds');
    assert.equal((await ctl(world, ['signout'])).code, 0);
  });
}

for (const [provider, login] of [['entra', 'adele@corp.example'], ['google', 'ann@corp.example'], ['github', 'octocat']]) {
  test(`${provider}: declined on the other device`, async () => {
    await settings(standins()[provider], { interval: 1 });
    const result = await deviceSignIn(provider, (data) => approve(data, login, 'deny'));
    assert.equal(result.code, 6, result.stderr);
    assert.match(result.stderr, /declined on the other device/);
  });
}

test('github: an expired code ends the sign-in with state_expired', async () => {
  await settings(github, { interval: 1, expires_in: 2 });
  const result = await deviceSignIn('github', async () => {});
  assert.equal(result.code, 6, result.stderr);
  assert.match(result.stderr, /expired/);
});

test('absurd intervals and lifetimes from a provider are clamped', async () => {
  await github.resetRequests();
  await settings(github, { interval: 0, expires_in: 1e9 });
  const result = await deviceSignIn('github', async (data) => {
    assert.ok(data.expires_in <= 1800, `a code lives at most 30 minutes here, not ${data.expires_in} s`);
    await new Promise((r) => { setTimeout(r, 3000); });
    await approve(data, 'octocat');
  });
  assert.equal(result.code, 0, result.stderr);
  const polls = (await github.requests()).filter((r) => r.form.grant_type === 'urn:ietf:params:oauth:grant-type:device_code');
  assert.ok(polls.length >= 2 && polls.length <= 5, `at most one poll a second, got ${polls.length} in ~3 s`);
  assert.equal((await ctl(world, ['signout'])).code, 0);
});

test('device sign-in is refused where IT has not allowed it', async () => {
  const result = await ctl(world, ['signin', 'nodevice', '--device']);
  printed.push(result.stdout, result.stderr);
  assert.equal(result.code, 8, result.stderr);
  assert.match(result.stderr, /allow_device_flow = true/);
});

test('the human prompt names the address and the code, and warns about codes from others', async () => {
  await settings(entra, { interval: 1 });
  const run = ctlStart(world, ['signin', 'entra', '--device']);
  await waitFor(() => /enter the code:\n {2}([A-Z]{4}-[A-Z]{4})/.test(run.stderr) || run.child.exitCode !== null, 'the prompt');
  const userCode = /enter the code:\n {2}([A-Z]{4}-[A-Z]{4})/.exec(run.stderr)[1];
  assert.match(run.stderr, new RegExp(`open this address on any device:\\n {2}${entra.base}/devicelogin`));
  assert.match(run.stderr, /Only enter the code if you started this sign-in yourself/);
  await approve({ verification_uri: `${entra.base}/devicelogin`, user_code: userCode }, 'adele@corp.example');
  const { code } = await run.exited;
  printed.push(run.stdout, run.stderr);
  assert.equal(code, 0, run.stderr);
  assert.match(run.stdout, /Signed in as Adele Vance/);
  assert.equal((await ctl(world, ['signout'])).code, 0);
});

test('no device code, token or secret appears in any output', async () => {
  const secrets = [...await entra.secrets(), ...await google.secrets(), ...await github.secrets(), google.device_client_secret, github.client_secret];
  assertNoSecrets(secrets, { 'the agent output': agent.output, 'signetctl output': printed.join('\n') });
});
