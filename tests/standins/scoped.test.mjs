// Tokens for less than the session holds, or for another resource (issue 7, docs/ipc.md `token`): an app granted
// fewer scopes gets a token for just those, Microsoft's one refresh token gives tokens for other APIs, each scope
// set is cached, refreshes never run side by side (the refresh token rotates), the rotated token is stored before
// it is used, and a provider that ignores `scope` never gets its full token handed to an app granted less.
// Against the Entra ID and Google stand-ins with the fast form browser.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';

import { makeWorld, startAgent, ctl, startStandin, formBrowser, ctlBin, assertNoSecrets } from '../e2e/harness.mjs';

let entra;
let google;
let world;
let agent;
const printed = [];

const entraConfig = (grant) => `[general]\nallowed_domains = *\nproviders = entra, google\n\n`
  + `[provider.entra]\ntype = microsoft\ntenant = corp.example\nclient_id = ${entra.client_id}\nauthority_host = ${entra.base}\ngraph_url = ${entra.base}\n\n`
  + `[provider.google]\ntype = google\nissuer = ${google.base}\nclient_id = ${google.client_id}\nclient_secret = ${google.client_secret}\n\n`
  + `[app.signetctl]\nexe = ${ctlBin}\nscopes = ${grant}\n`;

async function token(args) {
  const result = await ctl(world, ['token', ...args]);
  printed.push(result.stderr);
  return result;
}
const refreshes = async (provider) => (await provider.requests()).filter((r) => r.form.grant_type === 'refresh_token');

before(async () => {
  [entra, google] = await Promise.all([startStandin('entra'), startStandin('google')]);
  world = makeWorld();
  agent = await startAgent(world, entraConfig('*'));
  const signin = await ctl(world, ['signin', 'entra'], { BROWSER: formBrowser, SIGNET_TEST_USER: 'adele@corp.example' });
  assert.equal(signin.code, 0, signin.stderr);
});

after(async () => {
  await agent?.stop();
  await Promise.all([entra?.stop(), google?.stop()]);
  world?.cleanup();
});

test('Microsoft: a token for another resource from the one refresh token, cached', async () => {
  const session = await token(['--json']);
  const held = JSON.parse(session.stdout);
  assert.ok(!held.scopes.includes('Mail.Read'));
  const mail = await token(['--scope', 'Mail.Read', '--json']);
  assert.equal(mail.code, 0, mail.stderr);
  const issued = JSON.parse(mail.stdout);
  assert.deepEqual(issued.scopes, ['Mail.Read']);
  assert.notEqual(issued.access_token, held.access_token);
  assert.ok(issued.expires_in > 3500);
  const asked = await refreshes(entra);
  assert.equal(asked.length, 1);
  assert.equal(asked[0].form.scope, 'Mail.Read');
  assert.equal(asked[0].form.client_secret, undefined, 'a public client sends no secret');
  // Cached: the same token, no second request.
  const again = JSON.parse((await token(['--scope', 'Mail.Read', '--json'])).stdout);
  assert.equal(again.access_token, issued.access_token);
  assert.equal((await refreshes(entra)).length, 1);
});

test('many apps at once for two new scope sets: two refreshes, one after the other, each with the newest refresh token', async () => {
  await entra.resetRequests();
  const results = await Promise.all([
    ...Array.from({ length: 10 }, () => token(['--scope', 'Calendars.Read'])),
    ...Array.from({ length: 10 }, () => token(['--scope', 'Files.Read'])),
  ]);
  for (const r of results) assert.equal(r.code, 0, r.stderr);
  assert.equal(new Set(results.slice(0, 10).map((r) => r.stdout)).size, 1, JSON.stringify(results.slice(0, 10).map((r) => r.stdout.slice(0, 12))));
  assert.equal(new Set(results.slice(10).map((r) => r.stdout)).size, 1, JSON.stringify(results.slice(10).map((r) => r.stdout.slice(0, 12) + r.stdout.slice(-8))));
  const asked = await refreshes(entra);
  assert.deepEqual(asked.map((r) => r.form.scope).sort(), ['Calendars.Read', 'Files.Read']);
  // Serialized: the second request used the refresh token the first one was answered with (rotation).
  const issuedRefreshTokens = new Set(await entra.secrets());
  assert.notEqual(asked[0].form.refresh_token, asked[1].form.refresh_token);
  assert.ok(issuedRefreshTokens.has(asked[1].form.refresh_token));
});

test('the rotated refresh token was stored: after a restart the agent refreshes with the newest one', async () => {
  const before = await refreshes(entra);
  const newest = before.at(-1);
  await agent.stop();
  agent = await startAgent(world, entraConfig('*'));
  await entra.resetRequests();
  const mail = await token(['--scope', 'Tasks.Read']);
  assert.equal(mail.code, 0, mail.stderr);
  const [after] = await refreshes(entra);
  assert.ok(after, 'a refresh after the restart');
  assert.notEqual(after.form.refresh_token, newest.form.refresh_token, 'the token issued by the last refresh, not the one it used');
});

test('an app granted less than the session holds gets a narrower token; asking beyond its grant is refused', async () => {
  agent.process.child.kill('SIGHUP');
  await agent.stop();
  agent = await startAgent(world, entraConfig('User.Read'));
  await entra.resetRequests();
  const narrow = await token(['--json']);
  assert.equal(narrow.code, 0, narrow.stderr);
  assert.deepEqual(JSON.parse(narrow.stdout).scopes, ['User.Read']);
  assert.equal((await refreshes(entra))[0].form.scope, 'User.Read');
  const beyond = await token(['--scope', 'Mail.Read']);
  assert.equal(beyond.code, 5);
  assert.match(beyond.stderr, /granted User\.Read only, and asked for Mail\.Read/);
  assert.equal(beyond.stdout, '');
});

test('a provider that ignores `scope` does not get its full token handed to an app granted less', async () => {
  await agent.stop();
  agent = await startAgent(world, entraConfig('openid email'));
  const signin = await ctl(world, ['signin', 'google'], { BROWSER: formBrowser, SIGNET_TEST_USER: 'ann@corp.example' });
  assert.equal(signin.code, 0, signin.stderr);
  const refused = await token([]);
  assert.equal(refused.code, 6);
  assert.match(refused.stderr, /one that also carries profile; it is not handed to an app granted less/);
  assert.equal(refused.stdout, '');
  const asked = await refreshes(google);
  assert.equal(asked.at(-1).form.scope, 'email openid');
});

test('no secret other than the printed tokens went anywhere', async () => {
  assertNoSecrets([...await entra.secrets(), ...await google.secrets()], printed);
});
