// The stand-ins refuse what the real endpoints refuse. Without these rows the provider tests would only prove
// that Signet and the stand-ins agree with each other. Each row cites the documentation it reproduces (the keys
// are defined in ../shared/notes/providers.md and at the top of entra.mjs and google.mjs).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';

import { startStandin } from '../e2e/harness.mjs';
import { CLIENT_ID as ENTRA_CLIENT, PERSONAL } from './entra.mjs';

let entra;
let google;
let github;

before(async () => {
  [entra, google, github] = await Promise.all([startStandin('entra'), startStandin('google'), startStandin('github')]);
});
after(async () => {
  await Promise.all([entra?.stop(), google?.stop(), github?.stop()]);
});

const pkce = () => {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
};

// Runs the authorization request and the login form; returns the redirect the browser would follow.
async function authorize(url, user) {
  const page = await fetch(url, { redirect: 'manual' });
  const html = await page.text();
  const interaction = /name="interaction" value="([^"]+)"/.exec(html)?.[1];
  if (!interaction) return { status: page.status, html, location: page.headers.get('location') };
  const posted = await fetch(new URL('/__standin/login', url), {
    method: 'POST', redirect: 'manual',
    body: new URLSearchParams({ interaction, login: user, password: user.split('@')[0], action: 'login' }),
  });
  return { status: posted.status, location: new URL(posted.headers.get('location')) };
}

async function entraCode({ tenant = 'corp.example', redirect = 'http://127.0.0.1:5000/callback/entra', user = 'adele@corp.example', scope = 'openid profile email offline_access User.Read' } = {}) {
  const { verifier, challenge } = pkce();
  const url = new URL(`${entra.base}/${tenant}/oauth2/v2.0/authorize`);
  url.search = new URLSearchParams({ client_id: ENTRA_CLIENT, response_type: 'code', redirect_uri: redirect, scope, state: 's1', nonce: 'n1', code_challenge: challenge, code_challenge_method: 'S256' });
  const result = await authorize(url, user);
  return { ...result, code: result.location?.searchParams?.get('code'), verifier, redirect, tenant };
}

const post = (url, form, headers = {}) => fetch(url, { method: 'POST', body: new URLSearchParams(form), headers });
const entraToken = (grant, form) => post(`${entra.base}/${grant.tenant}/oauth2/v2.0/token`, {
  client_id: ENTRA_CLIENT, grant_type: 'authorization_code', code: grant.code, redirect_uri: grant.redirect, code_verifier: grant.verifier, ...form,
});

test('entra: a token request without the PKCE verifier is invalid_grant AADSTS501481 (E1)', async () => {
  const grant = await entraCode();
  const response = await entraToken(grant, { code_verifier: '' });
  assert.equal(response.status, 400);
  const body = await response.json();
  assert.equal(body.error, 'invalid_grant');
  assert.deepEqual(body.error_codes, [501481]);
  assert.match(body.error_description, /^AADSTS501481: .*\r\nTrace ID: /);
});

test('entra: a code is redeemed once (AADSTS54005, E1)', async () => {
  const grant = await entraCode();
  assert.equal((await entraToken(grant, {})).status, 200);
  const again = await entraToken(grant, {});
  assert.equal(again.status, 400);
  assert.deepEqual((await again.json()).error_codes, [54005]);
});

test('entra: a public client presenting a secret is invalid_client AADSTS700025 (E1)', async () => {
  const grant = await entraCode();
  const response = await entraToken(grant, { client_secret: 'x' });
  assert.equal(response.status, 401);
  assert.equal((await response.json()).error, 'invalid_client');
});

test('entra: the redirect path must be registered, the loopback port is ignored (E8)', async () => {
  const otherPort = await entraCode({ redirect: 'http://127.0.0.1:61234/callback/entra' });
  assert.ok(otherPort.code, 'any port on a registered loopback path');
  const wrongPath = await entraCode({ redirect: 'http://127.0.0.1:61234/callback/elsewhere' });
  assert.equal(wrongPath.status, 400);
  assert.equal(wrongPath.location, null, 'an unregistered redirect is shown, never followed');
  assert.match(wrongPath.html, /AADSTS50011/);
});

test('entra: the token names the tenant; the token endpoint refuses users of other tenants (AADSTS50020)', async () => {
  const grant = await entraCode({ user: 'pat@partner.example' });
  const response = await entraToken(grant, {});
  assert.equal(response.status, 400);
  assert.deepEqual((await response.json()).error_codes, [50020]);
});

test('entra: discovery for common names the {tenantid} template, consumers the personal tenant (E2, E6)', async () => {
  const common = await (await fetch(`${entra.base}/common/v2.0/.well-known/openid-configuration`)).json();
  assert.equal(common.issuer, `${entra.base}/{tenantid}/v2.0`);
  const consumers = await (await fetch(`${entra.base}/consumers/v2.0/.well-known/openid-configuration`)).json();
  assert.equal(consumers.issuer, `${entra.base}/${PERSONAL}/v2.0`);
  const unknown = await fetch(`${entra.base}/nowhere.example/v2.0/.well-known/openid-configuration`);
  assert.equal(unknown.status, 400);
  assert.deepEqual((await unknown.json()).error_codes, [90002]);
});

test('graph: no token is 401 InvalidAuthenticationToken; no photo is 404 ImageNotFound; $select is honoured (G1-G3)', async () => {
  const anonymous = await fetch(`${entra.base}/v1.0/me`);
  assert.equal(anonymous.status, 401);
  assert.equal((await anonymous.json()).error.code, 'InvalidAuthenticationToken');
  const grant = await entraCode({ user: 'ben@corp.example' });
  const { access_token: token } = await (await entraToken(grant, {})).json();
  const auth = { Authorization: `Bearer ${token}` };
  const photo = await fetch(`${entra.base}/v1.0/me/photo/$value`, { headers: auth });
  assert.equal(photo.status, 404);
  assert.equal((await photo.json()).error.code, 'ImageNotFound');
  const { access_token: adeles } = await (await entraToken(await entraCode(), {})).json();
  const sized = await fetch(`${entra.base}/v1.0/me/photos/240x240/$value`, { headers: { Authorization: `Bearer ${adeles}` } });
  assert.equal(sized.status, 200);
  assert.equal(sized.headers.get('content-type'), 'image/png');
  assert.equal((await fetch(`${entra.base}/v1.0/me/photos/241x241/$value`, { headers: { Authorization: `Bearer ${adeles}` } })).status, 404, 'only the documented sizes');
  const me = await (await fetch(`${entra.base}/v1.0/me?$select=id,mail`, { headers: auth })).json();
  assert.deepEqual(Object.keys(me).sort(), ['@odata.context', 'id', 'mail']);
  const defaults = await (await fetch(`${entra.base}/v1.0/me`, { headers: auth })).json();
  assert.equal(defaults.userType, undefined, 'userType is not a default property');
});

test('graph: without User.Read the profile is refused (403)', async () => {
  const grant = await entraCode({ scope: 'openid profile' });
  const { access_token: token } = await (await entraToken(grant, {})).json();
  const me = await fetch(`${entra.base}/v1.0/me`, { headers: { Authorization: `Bearer ${token}` } });
  assert.equal(me.status, 403);
});

async function googleCode({ redirect = 'http://127.0.0.1:5001/callback/google', accessType = 'offline', user = 'ann@corp.example' } = {}) {
  const { verifier, challenge } = pkce();
  const url = new URL(`${google.base}/o/oauth2/v2/auth`);
  url.search = new URLSearchParams({ client_id: google.client_id, response_type: 'code', redirect_uri: redirect, scope: 'openid email profile', state: 's', nonce: 'n', code_challenge: challenge, code_challenge_method: 'S256', access_type: accessType });
  const result = await authorize(url, user);
  return { ...result, code: result.location?.searchParams?.get('code'), verifier, redirect };
}
const googleToken = (grant, form) => post(`${google.base}/token`, {
  client_id: google.client_id, client_secret: google.client_secret, grant_type: 'authorization_code', code: grant.code,
  redirect_uri: grant.redirect, code_verifier: grant.verifier, ...form,
});

test('google: a desktop client without its secret is invalid_request (N1, P1)', async () => {
  const grant = await googleCode();
  const body = new URLSearchParams({ client_id: google.client_id, grant_type: 'authorization_code', code: grant.code, redirect_uri: grant.redirect, code_verifier: grant.verifier });
  const response = await fetch(`${google.base}/token`, { method: 'POST', body });
  assert.equal(response.status, 400);
  assert.deepEqual(await response.json(), { error: 'invalid_request', error_description: 'client_secret is missing.' });
});

test('google: a wrong PKCE verifier is invalid_grant (N1)', async () => {
  const grant = await googleCode();
  const response = await googleToken(grant, { code_verifier: pkce().verifier });
  assert.equal(response.status, 400);
  assert.equal((await response.json()).error, 'invalid_grant');
});

test('google: refresh token only with access_type=offline; scopes come back as URLs (N1, W1)', async () => {
  const offline = await (await googleToken(await googleCode(), {})).json();
  assert.ok(offline.refresh_token);
  assert.match(offline.scope, /https:\/\/www\.googleapis\.com\/auth\/userinfo\.email/);
  const online = await (await googleToken(await googleCode({ accessType: 'online' }), {})).json();
  assert.equal(online.refresh_token, undefined);
  const bogus = await googleCode({ accessType: 'forever' });
  assert.equal(bogus.status, 400);
});

test('google: a non-loopback redirect is redirect_uri_mismatch, shown and not followed (N1)', async () => {
  const result = await googleCode({ redirect: 'https://attacker.example/callback' });
  assert.equal(result.status, 400);
  assert.equal(result.location, null);
  assert.match(result.html, /redirect_uri_mismatch/);
});

test('google: revoking an unknown token is 400 invalid_token; a known one 200 (N1)', async () => {
  const unknown = await post(`${google.base}/revoke`, { token: 'nope' });
  assert.equal(unknown.status, 400);
  assert.equal((await unknown.json()).error, 'invalid_token');
  const { access_token: token } = await (await googleToken(await googleCode(), {})).json();
  assert.equal((await post(`${google.base}/revoke`, { token })).status, 200);
  const userinfo = await fetch(`${google.base}/v1/userinfo`, { headers: { Authorization: `Bearer ${token}` } });
  assert.equal(userinfo.status, 401, 'a revoked token no longer works');
});

async function githubCode({ redirect = 'http://127.0.0.1:5002/callback/github', scope = 'read:user user:email', method = 'S256', user = 'octocat' } = {}) {
  const { verifier, challenge } = pkce();
  const url = new URL(`${github.base}/login/oauth/authorize`);
  url.search = new URLSearchParams({ client_id: github.client_id, redirect_uri: redirect, scope, state: 's', code_challenge: challenge, code_challenge_method: method });
  const result = await authorize(url, user);
  return { ...result, code: result.location?.searchParams?.get('code'), verifier, redirect };
}
const githubToken = (grant, form = {}, accept = 'application/json') => post(`${github.base}/login/oauth/access_token`, {
  client_id: github.client_id, client_secret: github.client_secret, code: grant.code, redirect_uri: grant.redirect, code_verifier: grant.verifier, ...form,
}, accept ? { Accept: accept } : {});

test('github: without Accept: application/json the token comes form-encoded (H1)', async () => {
  const response = await githubToken(await githubCode(), {}, null);
  assert.match(response.headers.get('content-type'), /application\/x-www-form-urlencoded/);
  const form = new URLSearchParams(await response.text());
  assert.match(form.get('access_token'), /^gho_/);
  assert.equal(form.get('token_type'), 'bearer');
});

test('github: token errors come with HTTP 200 (H2, I1)', async () => {
  const response = await githubToken(await githubCode(), { client_secret: 'wrong' });
  assert.equal(response.status, 200);
  assert.equal((await response.json()).error, 'incorrect_client_credentials');
  const verifier = await githubToken(await githubCode(), { code_verifier: pkce().verifier });
  assert.equal(verifier.status, 200);
  assert.equal((await verifier.json()).error, 'bad_verification_code');
});

test('github: scopes come back comma-separated with a lowercase bearer (H1)', async () => {
  const body = await (await githubToken(await githubCode({ scope: 'read:user user:email read:org' }))).json();
  assert.equal(body.scope, 'read:user,user:email,read:org');
  assert.equal(body.token_type, 'bearer');
});

test('github: a redirect outside the callback path goes to the registered callback with redirect_uri_mismatch (H1, H3)', async () => {
  const result = await githubCode({ redirect: 'http://127.0.0.1:5002/elsewhere' });
  assert.equal(result.status, 302);
  assert.equal(result.html, '', 'no login page');
  const location = new URL(result.location);
  assert.equal(`${location.origin}${location.pathname}`, 'http://127.0.0.1/callback');
  assert.equal(location.searchParams.get('error'), 'redirect_uri_mismatch');
  const otherPort = await githubCode({ redirect: 'http://127.0.0.1:61000/callback/github' });
  assert.ok(otherPort.code, 'loopback: the port may differ, the path may be below the callback');
});

test('github: PKCE plain is refused (H1)', async () => {
  const result = await githubCode({ method: 'plain' });
  assert.equal(result.code, undefined);
  assert.equal(new URL(result.location).searchParams.get('error'), 'invalid_request');
});

test('github: /user/emails needs user:email; memberships list both states unless asked (R1, R2, H4)', async () => {
  const { access_token: narrow } = await (await githubToken(await githubCode({ scope: 'read:user' }))).json();
  const emails = await fetch(`${github.base}/api/v3/user/emails`, { headers: { Authorization: `Bearer ${narrow}` } });
  assert.equal(emails.status, 404);
  const { access_token: token } = await (await githubToken(await githubCode({ scope: 'read:user user:email read:org', user: 'pending' }))).json();
  const auth = { Authorization: `Bearer ${token}` };
  const all = await (await fetch(`${github.base}/api/v3/user/memberships/orgs`, { headers: auth })).json();
  assert.deepEqual(all.map((m) => m.state), ['pending']);
  const active = await (await fetch(`${github.base}/api/v3/user/memberships/orgs?state=active`, { headers: auth })).json();
  assert.deepEqual(active, []);
  const anonymous = await fetch(`${github.base}/api/v3/user`);
  assert.equal(anonymous.status, 401);
  assert.equal((await anonymous.json()).message, 'Requires authentication');
});

test('google: the device flow refuses a desktop client and scopes outside its short list (D1)', async () => {
  const desktop = await post(`${google.base}/device/code`, { client_id: google.client_id, scope: 'openid email' });
  assert.equal(desktop.status, 401);
  assert.deepEqual(await desktop.json(), { error: 'invalid_client', error_description: 'Invalid client type.' });
  const wideScope = await post(`${google.base}/device/code`, { client_id: google.device_client_id, scope: 'openid https://www.googleapis.com/auth/gmail.readonly' });
  assert.equal(wideScope.status, 400);
  assert.equal((await wideScope.json()).error, 'invalid_scope');
  const ok = await (await post(`${google.base}/device/code`, { client_id: google.device_client_id, scope: 'openid email' })).json();
  assert.ok(ok.verification_url, 'Google says verification_url');
  assert.equal(ok.verification_uri, undefined);
  const pending = await post(`${google.base}/token`, { client_id: google.device_client_id, client_secret: google.device_client_secret, device_code: ok.device_code, grant_type: 'urn:ietf:params:oauth:grant-type:device_code' });
  assert.equal(pending.status, 428);
  const noSecret = await post(`${google.base}/token`, { client_id: google.device_client_id, device_code: ok.device_code, grant_type: 'urn:ietf:params:oauth:grant-type:device_code' });
  assert.equal(noSecret.status, 401);
});

test('entra: device polling says authorization_pending with 400, and a made-up code is bad_verification_code (E3)', async () => {
  const code = await (await post(`${entra.base}/corp.example/oauth2/v2.0/devicecode`, { client_id: ENTRA_CLIENT, scope: 'openid profile' })).json();
  assert.match(code.message, /enter the code/);
  const poll = (deviceCode) => post(`${entra.base}/corp.example/oauth2/v2.0/token`, { client_id: ENTRA_CLIENT, device_code: deviceCode, grant_type: 'urn:ietf:params:oauth:grant-type:device_code' });
  const pending = await poll(code.device_code);
  assert.equal(pending.status, 400);
  assert.equal((await pending.json()).error, 'authorization_pending');
  assert.equal((await (await poll('made-up')).json()).error, 'bad_verification_code');
});

test('github: device polling errors come with HTTP 200; the device flow needs no secret (H1)', async () => {
  const headers = { Accept: 'application/json' };
  const code = await (await post(`${github.base}/login/device/code`, { client_id: github.client_id, scope: 'read:user' }, headers)).json();
  assert.match(code.user_code, /^[A-Z]{4}-[A-Z]{4}$/);
  const pending = await post(`${github.base}/login/oauth/access_token`, { client_id: github.client_id, device_code: code.device_code, grant_type: 'urn:ietf:params:oauth:grant-type:device_code' }, headers);
  assert.equal(pending.status, 200);
  assert.equal((await pending.json()).error, 'authorization_pending');
});
