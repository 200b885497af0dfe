// End-to-end tests of the demo provider (server.mjs) driven by a real browser (../e2e/browser.mjs).
// Run from the repository root:  node --test tests/idp/
//
// The test plays the part of Signet: it builds authorization URLs by hand (PKCE S256, state, nonce), hands
// them to browser.mjs the way a $BROWSER is called, receives the loopback redirect on its own little
// node:http server, then talks to the token, userinfo, introspection and revocation endpoints.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import {
  createHash, createPublicKey, randomBytes, verify as verifySignature,
} from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, existsSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const SERVER = join(here, 'server.mjs');
const BROWSER = join(here, '..', 'e2e', 'browser.mjs');
const SCOPE = 'openid email profile offline_access';

// ---------------------------------------------------------------------------------------------------------
// Fixtures: the provider, a loopback receiver, a scratch directory

let idp; // { proc, issuer, port, clientId, stdout, stderr, exited }
let receiver; // { port, server, next() }
let discovery;
let scratch;

function startIdp(extraArgs = []) {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [SERVER, '--port', '0', '--test-endpoints', ...extraArgs], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const state = { proc, stdout: '', stderr: '' };
    state.exited = new Promise((res) => { proc.on('exit', (code, signal) => res({ code, signal })); });
    proc.stderr.setEncoding('utf8').on('data', (d) => { state.stderr += d; });
    proc.stdout.setEncoding('utf8').on('data', (d) => {
      state.stdout += d;
      const nl = state.stdout.indexOf('\n');
      if (nl >= 0 && !state.issuer) {
        Object.assign(state, { readyLine: state.stdout.slice(0, nl) });
        const info = JSON.parse(state.readyLine);
        Object.assign(state, { issuer: info.issuer, port: info.port, clientId: info.client_id });
        resolve(state);
      }
    });
    proc.on('exit', (code) => reject(new Error(`server.mjs exited (${code}) before it was ready:\n${state.stderr}`)));
    setTimeout(() => reject(new Error(`server.mjs not ready after 15 s:\n${state.stderr}`)), 15000).unref();
  });
}

// Answers GET /callback/demo like a native client's loopback listener and hands over the full URL.
function startReceiver() {
  const waiting = [];
  const arrived = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url, `http://${req.headers.host}`);
    if (req.method !== 'GET' || url.pathname !== '/callback/demo') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'Content-Type': 'text/plain' }).end('Signed in. You can close this tab.');
    const w = waiting.shift();
    if (w) w(url); else arrived.push(url);
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve({
      server,
      port: server.address().port,
      next: () => (arrived.length ? Promise.resolve(arrived.shift()) : new Promise((r) => { waiting.push(r); })),
      pending: () => arrived.length,
    }));
  });
}

before(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'signet-idp-test-'));
  [idp, receiver] = await Promise.all([startIdp(), startReceiver()]);
  discovery = await (await fetch(`${idp.issuer}/.well-known/openid-configuration`)).json();
});

after(async () => {
  receiver?.server.close();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
  if (idp) {
    idp.proc.kill('SIGTERM');
    const { code, signal } = await idp.exited;
    assert.equal(signal, null, 'server.mjs should exit by itself on SIGTERM');
    assert.equal(code, 0, `server.mjs should exit 0 on SIGTERM:\n${idp.stderr}`);
    // stdout carried exactly the one ready line, nothing else (all logging is on stderr).
    assert.equal(idp.stdout, `${idp.readyLine}\n`);
  }
});

// ---------------------------------------------------------------------------------------------------------
// Helpers playing the client

const b64url = (buf) => Buffer.from(buf).toString('base64url');

function authorizationRequest({
  redirectUri = `http://127.0.0.1:${receiver.port}/callback/demo`, scope = SCOPE, extra = {},
} = {}) {
  const verifier = b64url(randomBytes(32));
  const state = b64url(randomBytes(16));
  const nonce = b64url(randomBytes(16));
  const url = new URL(discovery.authorization_endpoint);
  const params = {
    client_id: idp.clientId,
    response_type: 'code',
    redirect_uri: redirectUri,
    scope,
    state,
    nonce,
    code_challenge: b64url(createHash('sha256').update(verifier).digest()),
    code_challenge_method: 'S256',
    ...extra,
  };
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  return { url: url.href, verifier, state, nonce, redirectUri };
}

// Runs browser.mjs as a CLI would run $BROWSER: one argument, the URL.
function runBrowser(url, env = {}) {
  const childEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('SIGNET_TEST_')));
  return new Promise((resolve) => {
    const proc = spawn(BROWSER, [url], { env: { ...childEnv, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    proc.stdout.setEncoding('utf8').on('data', (d) => { stdout += d; });
    proc.stderr.setEncoding('utf8').on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => proc.kill('SIGKILL'), 70000);
    proc.on('exit', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
  });
}

// The browser's output must never contain the callback's secrets.
function assertNoSecrets(output, ...secrets) {
  for (const s of secrets.filter(Boolean)) assert.ok(!output.includes(s), 'browser.mjs printed a secret');
  assert.doesNotMatch(output, /[?&]code=[^…]/, 'browser.mjs printed a callback query');
}

async function postForm(endpoint, params) {
  const res = await fetch(endpoint, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(params),
  });
  return { status: res.status, body: await res.json() };
}

async function exchangeCode(callback, request) {
  assert.equal(callback.searchParams.get('state'), request.state);
  assert.equal(callback.searchParams.get('iss'), idp.issuer, 'RFC 9207 iss parameter');
  const code = callback.searchParams.get('code');
  assert.ok(code, `no code in the callback (error=${callback.searchParams.get('error')})`);
  const { status, body } = await postForm(discovery.token_endpoint, {
    grant_type: 'authorization_code',
    code,
    redirect_uri: request.redirectUri,
    client_id: idp.clientId,
    code_verifier: request.verifier,
  });
  assert.equal(status, 200, JSON.stringify(body));
  return body;
}

async function userinfo(accessToken) {
  const res = await fetch(discovery.userinfo_endpoint, { headers: { Authorization: `Bearer ${accessToken}` } });
  return { status: res.status, body: await res.json() };
}

const refresh = (refreshToken) => postForm(discovery.token_endpoint, {
  grant_type: 'refresh_token', refresh_token: refreshToken, client_id: idp.clientId,
});

// Verifies an RS256/ES256 id_token against the provider's JWKS and returns its payload.
async function verifyIdToken(idToken, nonce) {
  const [h, p, s] = idToken.split('.');
  const header = JSON.parse(Buffer.from(h, 'base64url'));
  const payload = JSON.parse(Buffer.from(p, 'base64url'));
  const { keys } = await (await fetch(discovery.jwks_uri)).json();
  const jwk = keys.find((k) => k.kid === header.kid);
  assert.ok(jwk, 'id_token kid not in the JWKS');
  const key = createPublicKey({ key: jwk, format: 'jwk' });
  const ok = verifySignature('sha256', Buffer.from(`${h}.${p}`), header.alg === 'ES256'
    ? { key, dsaEncoding: 'ieee-p1363' } : key, Buffer.from(s, 'base64url'));
  assert.ok(ok, 'id_token signature');
  assert.equal(payload.iss, idp.issuer);
  assert.equal(payload.aud, idp.clientId);
  assert.equal(payload.nonce, nonce);
  assert.ok(payload.exp > Date.now() / 1000);
  return payload;
}

async function signIn(env) {
  const request = authorizationRequest();
  const run = runBrowser(request.url, env);
  const [result, callback] = await Promise.all([run, receiver.next()]);
  assert.equal(result.code, 0, `browser.mjs failed:\n${result.stderr}`);
  assertNoSecrets(result.stdout + result.stderr, callback.searchParams.get('code'), request.state);
  return { request, callback, result };
}

// Capture mode: the browser does not load the loopback redirect but writes its URL to a file.
async function signInCaptured(env) {
  const request = authorizationRequest();
  const file = join(scratch, `callback-${b64url(randomBytes(6))}`);
  const result = await runBrowser(request.url, { ...env, SIGNET_TEST_CAPTURE_CALLBACK: file });
  return { request, file, result };
}

function readCapture(file) {
  assert.equal(statSync(file).mode & 0o777, 0o600, 'capture file mode');
  return new URL(readFileSync(file, 'utf8'));
}

// ---------------------------------------------------------------------------------------------------------
// Tests

test('server prints one JSON ready line and advertises what Signet relies on', async () => {
  assert.match(idp.readyLine, /^\{"issuer":"http:\/\/127\.0\.0\.1:(\d+)","port":\1,"client_id":"signet-demo"\}$/);
  assert.equal(discovery.issuer, idp.issuer);
  assert.equal(discovery.authorization_response_iss_parameter_supported, true);
  assert.deepEqual(discovery.code_challenge_methods_supported, ['S256']);
  for (const ep of ['end_session_endpoint', 'revocation_endpoint', 'introspection_endpoint', 'userinfo_endpoint']) {
    assert.ok(discovery[ep]?.startsWith(idp.issuer), ep);
  }
  for (const scope of SCOPE.split(' ')) assert.ok(discovery.scopes_supported.includes(scope), scope);

  const { keys } = await (await fetch(discovery.jwks_uri)).json();
  assert.deepEqual(keys.map((k) => k.alg).sort(), ['ES256', 'RS256']);
  for (const k of keys) assert.equal(k.d, undefined, 'private key material published');

  // Our own interaction pages, not the development ones: an unknown interaction is a plain error page.
  const res = await fetch(`${idp.issuer}/interaction/nonexistent`);
  assert.equal(res.status, 400);
  const html = await res.text();
  assert.match(html, /id="idp-error"/);
  assert.doesNotMatch(html, /https?:\/\/(?!127\.0\.0\.1)/, 'page refers to another site');
});

test('alice signs in with a real browser; userinfo; refresh tokens rotate', async () => {
  await fetch(`${idp.issuer}/__test/reset`, { method: 'POST' });
  // No prompt=consent in the request: offline_access must still give a refresh token.
  const { request, callback } = await signIn({});
  const tokens = await exchangeCode(callback, request);
  assert.equal(tokens.token_type, 'Bearer');
  assert.ok(tokens.refresh_token, 'refresh token for offline_access');
  assert.ok(tokens.access_token);
  const claims = await verifyIdToken(tokens.id_token, request.nonce);
  assert.equal(claims.sub, 'alice');

  const info = await userinfo(tokens.access_token);
  assert.equal(info.status, 200);
  assert.equal(info.body.sub, 'alice');
  assert.equal(info.body.email, 'alice@example.com');
  assert.equal(info.body.email_verified, true);
  assert.equal(info.body.name, 'Alice Example');
  assert.equal(info.body.picture, undefined);

  const intro = await postForm(discovery.introspection_endpoint, { token: tokens.access_token, client_id: idp.clientId });
  assert.equal(intro.status, 200);
  assert.equal(intro.body.active, true);
  assert.equal(intro.body.sub, 'alice');

  // Rotation: a new refresh token each time, and the old one is refused afterwards.
  const r1 = await refresh(tokens.refresh_token);
  assert.equal(r1.status, 200, JSON.stringify(r1.body));
  assert.ok(r1.body.refresh_token);
  assert.notEqual(r1.body.refresh_token, tokens.refresh_token);
  assert.equal((await userinfo(r1.body.access_token)).body.email, 'alice@example.com');
  const replay = await refresh(tokens.refresh_token);
  assert.equal(replay.status, 400);
  assert.equal(replay.body.error, 'invalid_grant');
  // oidc-provider treats the replay as theft and revokes the whole grant: the new token dies too.
  assert.equal((await refresh(r1.body.refresh_token)).body.error, 'invalid_grant');

  // Which endpoints were called, as --test-endpoints records them.
  const seen = await (await fetch(`${idp.issuer}/__test/requests`)).json();
  const calls = seen.map((r) => `${r.method} ${r.path.replace(/^\/(interaction|auth)\/[^/]+/, '/$1/UID')}`);
  for (const c of ['GET /auth', 'GET /interaction/UID', 'POST /interaction/UID/login', 'POST /interaction/UID/confirm',
    'GET /auth/UID', 'POST /token', 'GET /me', 'POST /token/introspection']) {
    assert.ok(calls.includes(c), `${c} not recorded in ${JSON.stringify(calls)}`);
  }

  // RP-initiated logout accepts the id_token and the registered loopback post-logout URI. (Without the
  // browser's session cookie oidc-provider skips the confirmation page and answers a self-submitting form.)
  const logout = new URL(discovery.end_session_endpoint);
  logout.searchParams.set('id_token_hint', tokens.id_token);
  logout.searchParams.set('post_logout_redirect_uri', `http://127.0.0.1:${receiver.port}/logout/demo`);
  const page = await fetch(logout);
  assert.equal(page.status, 200);
  assert.ok((await page.text()).includes(`action="${idp.issuer}/session/end/confirm"`));
});

test('carol (capture mode): email_verified is false; a revoked refresh token is refused', async () => {
  const { request, file, result } = await signInCaptured({ SIGNET_TEST_USER: 'carol@example.net' });
  assert.equal(result.code, 0, `browser.mjs failed:\n${result.stderr}`);
  const callback = readCapture(file);
  assertNoSecrets(result.stdout + result.stderr, callback.searchParams.get('code'), request.state);
  assert.equal(receiver.pending(), 0, 'the browser loaded the loopback redirect despite capture mode');

  const tokens = await exchangeCode(callback, request);
  const info = await userinfo(tokens.access_token);
  assert.equal(info.body.sub, 'carol');
  assert.equal(info.body.email, 'carol@example.net');
  assert.equal(info.body.email_verified, false);

  const revoked = await fetch(discovery.revocation_endpoint, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token: tokens.refresh_token, client_id: idp.clientId }),
  });
  assert.equal(revoked.status, 200);
  assert.equal((await refresh(tokens.refresh_token)).body.error, 'invalid_grant');
});

test('consent denied: the client receives access_denied with its state', async () => {
  const { request, file, result } = await signInCaptured({ SIGNET_TEST_CONSENT: 'deny' });
  assert.equal(result.code, 0, `browser.mjs failed:\n${result.stderr}`);
  const callback = readCapture(file);
  assert.equal(callback.searchParams.get('error'), 'access_denied');
  assert.equal(callback.searchParams.get('error_description'), 'The user declined');
  assert.equal(callback.searchParams.get('state'), request.state);
  assert.equal(callback.searchParams.get('iss'), idp.issuer);
  assert.equal(callback.searchParams.get('code'), null);
});

test('login cancelled: the client receives access_denied with its state', async () => {
  const { request, file, result } = await signInCaptured({ SIGNET_TEST_CONSENT: 'cancel-login' });
  assert.equal(result.code, 0, `browser.mjs failed:\n${result.stderr}`);
  const callback = readCapture(file);
  assert.equal(callback.searchParams.get('error'), 'access_denied');
  assert.equal(callback.searchParams.get('state'), request.state);
  assert.equal(callback.searchParams.get('code'), null);
});

test('wrong password: the login does not complete and the driver fails clearly', async () => {
  const { file, result } = await signInCaptured({ SIGNET_TEST_USER: 'bob@example.org', SIGNET_TEST_PASSWORD: 'wrong' });
  assert.notEqual(result.code, 0);
  assert.match(result.stderr, /refused the login of bob@example\.org: Wrong e-mail address or password/);
  assert.equal(existsSync(file), false, 'a callback was captured');
});

test('redirect URIs: any loopback port on 127.0.0.1 is accepted, localhost and other paths are not', async () => {
  const status = async (redirectUri) => {
    const res = await fetch(authorizationRequest({ redirectUri }).url, { redirect: 'manual' });
    return { status: res.status, location: res.headers.get('location') };
  };
  const ok = await status('http://127.0.0.1:1/callback/demo');
  assert.equal(ok.status, 303);
  assert.match(ok.location, /^\/interaction\//);
  for (const bad of [
    `http://localhost:${receiver.port}/callback/demo`,
    `http://[::1]:${receiver.port}/callback/demo`,
    `http://127.0.0.1:${receiver.port}/callback/other`,
    'http://example.com/callback/demo',
  ]) {
    const res = await status(bad);
    assert.equal(res.status, 400, bad);
    assert.equal(res.location, null, `${bad} was redirected to`);
  }
});

test('--test-endpoints records method and path only, and reset clears the record', async () => {
  await fetch(`${idp.issuer}/__test/reset`, { method: 'POST' });
  const request = authorizationRequest();
  await fetch(request.url, { redirect: 'manual' });
  await postForm(discovery.token_endpoint, {
    grant_type: 'authorization_code', code: 'not-a-real-code', client_id: idp.clientId,
    redirect_uri: request.redirectUri, code_verifier: request.verifier,
  });
  const text = await (await fetch(`${idp.issuer}/__test/requests`)).text();
  assert.deepEqual(JSON.parse(text), [{ method: 'GET', path: '/auth' }, { method: 'POST', path: '/token' }]);
  for (const secret of [request.state, request.nonce, 'not-a-real-code', '?']) assert.ok(!text.includes(secret), secret);

  assert.equal((await fetch(`${idp.issuer}/__test/reset`, { method: 'POST' })).status, 200);
  assert.deepEqual(await (await fetch(`${idp.issuer}/__test/requests`)).json(), []);
});
