// Access tokens for companion apps: `signetctl token` (the IPC `token` method) prints the session's access token and
// nothing else, renews it first when it is not valid for long enough — once, however many apps ask at once — and
// never hands out the refresh token. Against the Google stand-in (refresh tokens) with the fast form browser.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';

import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import { makeWorld, startAgent, ctl, startStandin, formBrowser } from '../e2e/harness.mjs';

let google;
let world;
let agent;
const printed = [];
let signedInAt = 0;
let agentConfig;
const agentEnv = { QT_LOGGING_RULES: 'signet.*.debug=true' };
// Every agent's log, the restarted one's too, for the leak check at the end.
const agentLogs = [];

before(async () => {
  google = await startStandin('google');
  world = makeWorld();
  agentConfig = `[general]\nallowed_domains = *\nproviders = google\n\n`
    + `[provider.google]\ntype = google\nissuer = ${google.base}\nclient_id = ${google.client_id}\nclient_secret = ${google.client_secret}\n`;
  agent = await startAgent(world, agentConfig, agentEnv);
});

after(async () => {
  await agent?.stop();
  await google?.stop();
  world?.cleanup();
});

async function token(args = []) {
  const result = await ctl(world, ['token', ...args]);
  printed.push(result.stderr); // stdout carries the token by design
  return result;
}

test('nobody signed in: exit 3', async () => {
  const result = await token();
  assert.equal(result.code, 3);
  assert.equal(result.stdout, '');
});

test('the access token alone on stdout, and nothing on stderr', async () => {
  const signin = await ctl(world, ['signin', 'google'], { BROWSER: formBrowser, SIGNET_TEST_USER: 'ann@corp.example' });
  printed.push(signin.stdout, signin.stderr);
  assert.equal(signin.code, 0, signin.stderr);
  signedInAt = Date.now();
  const result = await token();
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /^ya29\.[A-Za-z0-9_-]+\n$/);
  assert.equal(result.stderr, '');
  const issued = await google.secrets();
  assert.ok(issued.includes(result.stdout.trim()), 'the token the provider issued for this session');
  const json = JSON.parse((await token(['--json'])).stdout);
  assert.equal(json.token_type, 'Bearer');
  assert.ok(json.expires_in > 3500 && json.expires_in <= 3599, `expires_in ${json.expires_in}`);
  assert.deepEqual(Object.keys(json).sort(), ['access_token', 'expires_at', 'expires_in', 'scopes', 'token_type']);
});

test('scopes: only those the session holds', async () => {
  const granted = await token(['--scope', 'openid']);
  assert.equal(granted.code, 0, granted.stderr);
  const refused = await token(['--scope', 'https://www.googleapis.com/auth/drive']);
  assert.equal(refused.code, 5);
  assert.match(refused.stderr, /The session has no token for https:\/\/www\.googleapis\.com\/auth\/drive/);
  assert.equal(refused.stdout, '');
});

test('100 apps at once need a fresher token: one refresh at the provider, the same new token for all', async () => {
  const before = (await token()).stdout.trim();
  await google.resetRequests();
  // Google's tokens live 3599 s. Once the sign-in's token is over 10 s old, asking for 3590 s of validity needs
  // a renewal; the renewed token satisfies it for the next 9 s, time enough for all 100 requests.
  const age = Date.now() - signedInAt;
  if (age < 10500) await new Promise((r) => { setTimeout(r, 10500 - age); });
  const results = await Promise.all(Array.from({ length: 100 }, () => ctl(world, ['token', '--min-valid', '3590'])));
  for (const r of results) printed.push(r.stderr);
  const failed = results.filter((r) => r.code !== 0);
  assert.equal(failed.length, 0, failed.map((r) => r.stderr).join('\n'));
  const refreshes = (await google.requests()).filter((r) => r.form.grant_type === 'refresh_token');
  assert.equal(refreshes.length, 1);
  // Under load a request can reach the agent before it decided the old token is too old; everyone else
  // gets the renewed one.
  const tokens = results.map((r) => r.stdout.trim());
  const renewed = tokens.filter((t) => t !== before);
  assert.ok(renewed.length >= 90, `${renewed.length} of 100 got the renewed token`);
  assert.equal(new Set(renewed).size, 1, 'one renewed token for all');
});

// The case exactly: the access token has expired (the agent was away), and 100 apps ask at once as the agent
// comes back. The agent renews once; every app gets that one renewed token.
test('an expired access token and 100 apps at once: one refresh, the same renewed token for all', async () => {
  const stale = (await token()).stdout.trim();
  await agent.stop();
  agentLogs.push(agent.output);
  const record = path.join(world.root, 'home', '.local', 'state', 'signet', 'session.json');
  const stored = JSON.parse(readFileSync(record, 'utf8'));
  stored.access_token_expires_at = new Date(Date.now() - 60000).toISOString();
  writeFileSync(record, JSON.stringify(stored));
  await google.resetRequests();
  agent = await startAgent(world, agentConfig, agentEnv);
  const results = await Promise.all(Array.from({ length: 100 }, () => ctl(world, ['token'])));
  for (const r of results) printed.push(r.stderr);
  const failed = results.filter((r) => r.code !== 0);
  assert.equal(failed.length, 0, failed.map((r) => r.stderr).join('\n'));
  const refreshes = (await google.requests()).filter((r) => r.form.grant_type === 'refresh_token');
  assert.equal(refreshes.length, 1);
  const tokens = new Set(results.map((r) => r.stdout.trim()));
  assert.equal(tokens.size, 1, 'one token for all');
  assert.ok(!tokens.has(stale), 'the renewed token, not the expired one');
});

test('the refresh token never leaves the agent; no other secret is printed or logged', async () => {
  const issued = await google.secrets();
  const refreshTokens = issued.filter((s) => s.startsWith('1//'));
  assert.ok(refreshTokens.length > 0);
  const everything = printed.join('\n') + agentLogs.join('\n') + agent.output;
  for (const secret of issued) assert.ok(!everything.includes(secret), 'a secret in stderr or the agent log');
});
