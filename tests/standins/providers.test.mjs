// Microsoft Entra ID, Google and GitHub through the real agent and signetctl, against the stand-ins in this directory:
// one row per trap the provider rules must catch (docs/providers.md). The "browser" is formbrowser.mjs, which
// fills the stand-in's login form over plain HTTP, so each row takes a fraction of a second; e2e/ runs the
// same sign-in with Chromium once per provider.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';

import { makeWorld, startAgent, ctl, startStandin, formBrowser, assertNoSecrets } from '../e2e/harness.mjs';
import { connect } from 'node:net';
import path from 'node:path';

import { TENANTS, PERSONAL, PHOTO } from './entra.mjs';
import { APP_CLIENT_ID } from './github.mjs';

let entra;
let google;
let github;
let world;
let agent;
const printed = [];
let googleSecrets = [];

const CORP = TENANTS.corp.id;
const PARTNER = TENANTS.partner.id;

function config() {
  const ms = (id, keys) => `[provider.${id}]\ntype = microsoft\nclient_id = ${entra.client_id}\nauthority_host = ${entra.base}\ngraph_url = ${entra.base}\n${keys}\n`;
  const g = (id, keys) => `[provider.${id}]\ntype = google\nissuer = ${google.base}\nclient_id = ${google.client_id}\nclient_secret = ${google.client_secret}\n${keys}\n`;
  const gh = (id, keys) => `[provider.${id}]\ntype = github\nhost = ${github.base}\nclient_secret = ${github.client_secret}\n${keys}\n`;
  return '[general]\nallowed_domains = *\nproviders = entra, entra-any, entra-corp, entra-common, entra-personal, google, google-any, github, github-app, github-badsecret\n\n'
    + ms('entra', 'tenant = corp.example')
    + ms('entra-any', 'tenant = organizations\nallowed_tenants = *')
    + ms('entra-corp', `tenant = organizations\nallowed_tenants = ${CORP}`)
    + ms('entra-common', 'tenant = common\nallowed_tenants = *')
    + ms('entra-personal', `tenant = common\nallowed_tenants = ${CORP}\nallow_personal_accounts = true`)
    + g('google', 'hosted_domain = corp.example')
    + g('google-any', '')
    + gh('github', `client_id = ${github.client_id}\nallowed_orgs = signet-corp`)
    + gh('github-app', `client_id = ${APP_CLIENT_ID}`)
    + `[provider.github-badsecret]\ntype = github\nhost = ${github.base}\nclient_secret = not-the-secret\nclient_id = ${github.client_id}\n`;
}

before(async () => {
  [entra, google, github] = await Promise.all([startStandin('entra'), startStandin('google'), startStandin('github')]);
  world = makeWorld();
  agent = await startAgent(world, config(), { QT_LOGGING_RULES: 'signet.*.debug=true' });
});

after(async () => {
  await agent?.stop();
  await Promise.all([entra?.stop(), google?.stop(), github?.stop()]);
  world?.cleanup();
});

async function signIn(provider, user, extraEnv = {}) {
  const result = await ctl(world, ['signin', provider], { BROWSER: formBrowser, SIGNET_TEST_USER: user, ...extraEnv });
  printed.push(result.stdout, result.stderr);
  let identity = null;
  if (result.code === 0) {
    const whoami = await ctl(world, ['whoami', '--json']);
    printed.push(whoami.stdout, whoami.stderr);
    identity = JSON.parse(whoami.stdout);
    const signout = await ctl(world, ['signout']);
    assert.equal(signout.code, 0, signout.stderr);
  }
  return { ...result, identity };
}

// One request over the agent's socket (docs/ipc.md), for methods signetctl has no command for.
function ipc(method) {
  return new Promise((resolve, reject) => {
    const socket = connect(path.join(world.runtime, 'signet', 'agent.sock'));
    let buffer = '';
    socket.on('data', (data) => {
      buffer += data;
      if (buffer.includes('\n')) {
        socket.end();
        resolve(JSON.parse(buffer.split('\n')[0]));
      }
    });
    socket.on('error', reject);
    socket.write(`${JSON.stringify({ id: 1, method })}\n`);
  });
}

// [row name, provider id, user, expected exit code, check(identity or stderr)]
const rows = [
  ['entra: member with a verified email claim (xms_edov)', 'entra', 'adele@corp.example', 0, ({ identity }) => {
    assert.equal(identity.email, 'adele@corp.example');
    assert.equal(identity.email_verified, true);
    assert.equal(identity.account, `${CORP}/b1e7a6c0-1d2e-4f3a-8b9c-0d1e2f3a4b5c`);
    assert.equal(identity.tenant_id, CORP);
    assert.equal(identity.issuer, `${entra.base}/${CORP}/v2.0`);
    assert.deepEqual(identity.provider_roles, ['Signet.Admin']);
    assert.deepEqual(identity.groups, { ids: ['0f8a2c1e-aaaa-4bbb-8ccc-111111111111'], complete: true });
  }],
  ['entra: no email claim, mail from Graph in a verified domain', 'entra', 'ben@corp.example', 0, ({ identity }) => {
    assert.equal(identity.email, 'Ben@Corp.example');
    assert.equal(identity.email_verified, true);
  }],
  ['entra: no mail attribute, the UPN in a verified domain', 'entra', 'nomail@corp.example', 0, ({ identity }) => {
    assert.equal(identity.email, 'nomail@corp.example');
    assert.equal(identity.email_verified, true);
    assert.equal(identity.username, 'nomail@corp.example');
  }],
  ['entra: guest (#EXT#) is never a verified address', 'entra', 'gina@home.example', 0, ({ identity }) => {
    assert.equal(identity.email, 'gina@home.example');
    assert.equal(identity.email_verified, false);
  }],
  ['entra: forged email without xms_edov (nOAuth) stays unverified', 'entra-any', 'mallory@evil.example', 0, ({ identity }) => {
    assert.equal(identity.email, 'adele@corp.example');
    assert.equal(identity.email_verified, false);
    assert.equal(identity.tenant_id, TENANTS.evil.id);
  }],
  ['entra: account of another tenant, refused by the tenant itself', 'entra', 'pat@partner.example', 6, ({ stderr }) => {
    assert.match(stderr, /AADSTS50020/);
  }],
  ['entra: tenant not in allowed_tenants', 'entra-corp', 'pat@partner.example', 5, ({ stderr }) => {
    assert.match(stderr, new RegExp(`tenant ${PARTNER}\\) that this desktop does not accept`));
  }],
  ['entra: personal account without allow_personal_accounts', 'entra-common', 'max@outlook.example', 5, ({ stderr }) => {
    assert.match(stderr, /personal Microsoft account; this desktop accepts only work or school accounts/);
  }],
  ['entra: personal account allowed', 'entra-personal', 'max@outlook.example', 0, ({ identity }) => {
    assert.equal(identity.tenant_id, PERSONAL);
    assert.equal(identity.email_verified, false);
  }],
  ['entra: group overage is "incomplete", not "no groups"', 'entra', 'olga@corp.example', 0, ({ identity }) => {
    assert.deepEqual(identity.groups, { ids: [], complete: false });
  }],
  ['google: Workspace account of the hosted domain', 'google', 'ann@corp.example', 0, ({ identity }) => {
    assert.equal(identity.email, 'ann@corp.example');
    assert.equal(identity.email_verified, true);
    assert.equal(identity.hosted_domain, 'corp.example');
    assert.equal(identity.issuer, google.base);
    assert.equal(identity.account, '110169484474386276334');
  }],
  ['google: consumer account where a hosted domain is required', 'google', 'gus@gmail.example', 5, ({ stderr }) => {
    assert.match(stderr, /personal Google account; this desktop accepts only accounts of corp\.example/);
  }],
  ['google: wrong hosted domain', 'google', 'otto@other.example', 5, ({ stderr }) => {
    assert.match(stderr, /belongs to other\.example; this desktop accepts only accounts of corp\.example/);
  }],
  ['google: email_verified false', 'google', 'uma@corp.example', 5, ({ stderr }) => {
    assert.match(stderr, /Google has not verified the e-mail address/);
  }],
  ['google: legacy issuer accounts.google.com form', 'google', 'leo@corp.example', 0, ({ identity }) => {
    assert.equal(identity.email, 'leo@corp.example');
    assert.equal(identity.issuer, google.base); // recorded in its one canonical form
  }],
  ['google: email_verified as the string "true" (Google\'s own example)', 'google', 'sam@corp.example', 0, ({ identity }) => {
    assert.equal(identity.email_verified, true);
  }],
  ['google: consumer account where no hosted domain is set', 'google-any', 'gus@gmail.example', 0, ({ identity }) => {
    assert.equal(identity.email, 'gus@gmail.example');
    assert.equal(identity.hosted_domain, undefined);
  }],
  ['github: member of the allowed organisation, verified primary address', 'github', 'octocat', 0, ({ identity }) => {
    assert.equal(identity.account, '583231'); // the numeric id, not the login
    assert.equal(identity.subject, '583231');
    assert.equal(identity.username, 'octocat');
    assert.equal(identity.email, 'octocat@corp.example');
    assert.equal(identity.email_verified, true);
    assert.equal(identity.issuer, github.base);
    assert.deepEqual(identity.organizations, ['signet-corp']);
    assert.deepEqual(identity.teams, ['signet-corp/desktop']);
  }],
  ['github: unverified primary address stays unverified (no fallback to another address)', 'github', 'nova', 0, ({ identity }) => {
    assert.equal(identity.email, 'nova@corp.example');
    assert.equal(identity.email_verified, false);
    assert.equal(identity.name, 'nova'); // no display name: the login
  }],
  ['github: pending organisation invitation', 'github', 'pending', 5, ({ stderr }) => {
    assert.match(stderr, /invited to signet-corp but has not accepted yet\. Accept the invitation at .*\/orgs\/signet-corp\/invitation/);
  }],
  ['github: not a member of the allowed organisation', 'github', 'outsider', 5, ({ stderr }) => {
    assert.match(stderr, /outsider is not a member of signet-corp/);
  }],
  ['github: a token error that comes with HTTP 200 is a failure', 'github-badsecret', 'octocat', 6, ({ stderr }) => {
    assert.match(stderr, /GitHub refused to finish the sign-in \(incorrect_client_credentials: The client_id and\/or client_secret passed are incorrect\.\)/);
  }],
  ['github: a GitHub App whose user tokens expire', 'github-app', 'octocat', 0, ({ identity }) => {
    assert.equal(identity.account, '583231');
    assert.equal(identity.organizations, undefined); // no read:org asked for
  }],
];

for (const [name, provider, user, exitCode, check] of rows) {
  test(name, async () => {
    const result = await signIn(provider, user);
    assert.equal(result.code, exitCode, `exit ${result.code}:\n${result.stdout}\n${result.stderr}`);
    check(result);
  });
}

test('entra: the Graph photo becomes the avatar; no photo (404) is no avatar', async () => {
  assert.equal((await ctl(world, ['signin', 'entra'], { BROWSER: formBrowser, SIGNET_TEST_USER: 'adele@corp.example' })).code, 0);
  assert.equal(JSON.parse((await ctl(world, ['whoami', '--json'])).stdout).has_avatar, true);
  const avatar = await ipc('avatar');
  assert.equal(avatar.result.content_type, 'image/png');
  assert.deepEqual(Buffer.from(avatar.result.data, 'base64'), PHOTO);
  assert.equal((await ctl(world, ['signin', 'entra'], { BROWSER: formBrowser, SIGNET_TEST_USER: 'ben@corp.example' })).code, 0);
  assert.equal(JSON.parse((await ctl(world, ['whoami', '--json'])).stdout).has_avatar, false);
  assert.deepEqual((await ipc('avatar')).result, { content_type: null, data: null });
  assert.equal((await ctl(world, ['signout'])).code, 0);
  assert.equal((await ipc('avatar')).error.code, 'not_signed_in');
});

test('entra: the cancelled login is access_denied', async () => {
  const result = await signIn('entra', 'adele@corp.example', { SIGNET_TEST_CONSENT: 'cancel-login' });
  assert.equal(result.code, 6, result.stderr);
  assert.match(result.stderr, /declined|denied/i);
});

test('what Signet sent: Entra without a client secret, Google with access_type=offline, Graph with $select, GitHub with JSON and the API version', async () => {
  await entra.resetRequests();
  await google.resetRequests();
  assert.equal((await signIn('entra', 'adele@corp.example')).code, 0);
  assert.equal((await signIn('google', 'ann@corp.example')).code, 0);
  const msRequests = await entra.requests();
  const token = msRequests.find((r) => r.path.endsWith('/oauth2/v2.0/token'));
  assert.equal(token.form.client_secret, undefined);
  assert.ok(token.form.code_verifier, 'PKCE verifier sent');
  const authorize = msRequests.find((r) => r.path.endsWith('/oauth2/v2.0/authorize'));
  assert.deepEqual(authorize.query.scope.split(' ').sort(), ['User.Read', 'email', 'offline_access', 'openid', 'profile']);
  const me = msRequests.find((r) => r.path === '/v1.0/me');
  assert.equal(me.query.$select, 'id,displayName,mail,userPrincipalName,userType');
  assert.ok(msRequests.some((r) => r.path === '/v1.0/organization'));

  const gRequests = await google.requests();
  const gAuthorize = gRequests.find((r) => r.path === '/o/oauth2/v2/auth');
  assert.equal(gAuthorize.query.access_type, 'offline');
  assert.equal(gAuthorize.query.hd, 'corp.example');
  assert.equal(gAuthorize.query.code_challenge_method, 'S256');
  const gToken = gRequests.find((r) => r.path === '/token');
  assert.equal(gToken.form.client_secret, google.client_secret);

  await github.resetRequests();
  assert.equal((await signIn('github', 'octocat')).code, 0);
  const hRequests = await github.requests();
  const hAuthorize = hRequests.find((r) => r.path === '/login/oauth/authorize');
  assert.equal(hAuthorize.query.scope, 'read:user user:email read:org');
  assert.equal(hAuthorize.query.nonce, undefined, 'no OpenID Connect parameters for plain OAuth');
  assert.equal(hAuthorize.query.code_challenge_method, 'S256');
  const hToken = hRequests.find((r) => r.path === '/login/oauth/access_token');
  assert.match(hToken.headers.accept, /application\/json/);
  assert.ok(hToken.form.code_verifier);
  const user = hRequests.find((r) => r.path === '/api/v3/user');
  assert.equal(user.headers['x-github-api-version'], '2022-11-28');
  assert.match(user.headers.authorization, /^Bearer gho_/);
  assert.equal(hRequests.find((r) => r.path === '/api/v3/user/memberships/orgs').query.state, undefined, 'both states, to explain a pending invitation');
});

// Sign-out: local at once; the provider is told (Google RFC 7009 revocation of the refresh token, GitHub's
// DELETE /applications/{client_id}/token); Microsoft has no revocation for public clients: the end-session page.
async function signInKeepingSession(provider, user) {
  const result = await ctl(world, ['signin', provider], { BROWSER: formBrowser, SIGNET_TEST_USER: user });
  printed.push(result.stdout, result.stderr);
  assert.equal(result.code, 0, result.stderr);
}

test('sign-out revokes at Google: the refresh token, and the access token no longer works', async () => {
  await google.resetRequests();
  await signInKeepingSession('google', 'ann@corp.example');
  const signout = await ctl(world, ['--json', 'signout']);
  printed.push(signout.stdout, signout.stderr);
  assert.equal(signout.code, 0, signout.stderr);
  const result = JSON.parse(signout.stdout);
  assert.equal(result.revoked, true);
  const requests = await google.requests();
  const revoke = requests.find((r) => r.path === '/revoke');
  assert.equal(revoke.form.token_type_hint, 'refresh_token');
  const token = requests.find((r) => r.path === '/v1/userinfo').headers.authorization;
  const after = await fetch(`${google.base}/v1/userinfo`, { headers: { Authorization: token } });
  assert.equal(after.status, 401, 'the grant is gone at the provider');
});

test('sign-out revokes at GitHub with the app credentials', async () => {
  await github.resetRequests();
  await signInKeepingSession('github', 'octocat');
  const signout = await ctl(world, ['--json', 'signout']);
  printed.push(signout.stdout, signout.stderr);
  assert.equal(JSON.parse(signout.stdout).revoked, true, signout.stdout);
  const requests = await github.requests();
  const revoke = requests.find((r) => r.method === 'DELETE');
  assert.equal(revoke.path, `/api/v3/applications/${github.client_id}/token`);
  const token = requests.find((r) => r.path === '/api/v3/user').headers.authorization;
  assert.equal((await fetch(`${github.base}/api/v3/user`, { headers: { Authorization: token } })).status, 401);
});

test('sign-out at Microsoft offers the end-session page and revokes nothing', async () => {
  await signInKeepingSession('entra', 'adele@corp.example');
  const signout = await ctl(world, ['signout']);
  printed.push(signout.stdout, signout.stderr);
  assert.equal(signout.code, 0, signout.stderr);
  assert.equal(signout.stdout, 'Signed out.\n');
  const url = new URL(/open:\n {2}(\S+)/.exec(signout.stderr)[1]);
  assert.equal(`${url.origin}${url.pathname}`, `${entra.base}/corp.example/oauth2/v2.0/logout`);
  assert.equal(url.searchParams.get('client_id'), entra.client_id);
  assert.equal(url.searchParams.get('id_token_hint'), null, 'no token leaves the agent');
});

test('a provider that cannot be reached at sign-out: signed out here all the same, and told so', async () => {
  await signInKeepingSession('google', 'ann@corp.example');
  googleSecrets = await google.secrets();
  await google.stop();
  const signout = await ctl(world, ['signout']);
  printed.push(signout.stdout, signout.stderr);
  assert.equal(signout.code, 0, signout.stderr);
  assert.match(signout.stderr, /Google could not be told to revoke the tokens/);
  assert.equal((await ctl(world, ['whoami'])).code, 3);
});

test('no code, token or client secret issued by a stand-in appears in any output', async () => {
  const secrets = [...await entra.secrets(), ...googleSecrets, ...await github.secrets(), google.client_secret, github.client_secret];
  assertNoSecrets(secrets, { 'the agent output': agent.output, 'signetctl output': printed.join('\n') });
});
