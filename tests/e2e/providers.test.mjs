// End to end with a real browser: Microsoft Entra ID, Google and GitHub sign-ins through the same path as the demo
// (agent, signetctl, Debian chromium driven by browser.mjs), against the stand-ins in tests/standins/. The
// stand-ins' login pages carry the demo provider's element ids, so one driver signs in at all of them.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';

import { makeWorld, startAgent, ctl, startStandin, browserDriver } from './harness.mjs';

let entra;
let google;
let github;
let world;
let agent;

before(async () => {
  [entra, google, github] = await Promise.all([startStandin('entra'), startStandin('google'), startStandin('github')]);
  world = makeWorld();
  agent = await startAgent(world, '[general]\nallowed_domains = *\nproviders = entra, google, github\n\n'
    + `[provider.entra]\ntype = microsoft\ntenant = corp.example\nclient_id = ${entra.client_id}\nauthority_host = ${entra.base}\ngraph_url = ${entra.base}\n\n`
    + `[provider.google]\ntype = google\nissuer = ${google.base}\nclient_id = ${google.client_id}\nclient_secret = ${google.client_secret}\nhosted_domain = corp.example\n\n`
    + `[provider.github]\ntype = github\nhost = ${github.base}\nclient_id = ${github.client_id}\nclient_secret = ${github.client_secret}\nallowed_orgs = signet-corp\n`);
});

after(async () => {
  await agent?.stop();
  await Promise.all([entra?.stop(), google?.stop(), github?.stop()]);
  world?.cleanup();
});

for (const [provider, user, name, display] of [
  ['entra', 'adele@corp.example', 'Adele Vance', 'Microsoft'],
  ['google', 'ann@corp.example', 'Ann Example', 'Google'],
  ['github', 'octocat', 'The Octocat', 'GitHub'],
]) {
  test(`${display}: ${user} signs in through the browser`, async () => {
    const signin = await ctl(world, ['signin', provider], { BROWSER: browserDriver, SIGNET_TEST_USER: user });
    assert.equal(signin.code, 0, `${signin.stdout}\n${signin.stderr}`);
    assert.match(signin.stdout, new RegExp(`Signed in as ${name} <[^>]+> via ${display}`));
    const whoami = JSON.parse((await ctl(world, ['whoami', '--json'])).stdout);
    assert.equal(whoami.provider, provider);
    assert.equal(whoami.email_verified, true);
    assert.equal((await ctl(world, ['signout'])).code, 0);
  });
}
