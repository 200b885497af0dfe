// Shared machinery of the provider stand-ins: an HTTP server on 127.0.0.1, a request log, RS256 ID tokens
// signed with a key made at start, the login page (the same element ids as the demo provider's, so
// tests/e2e/browser.mjs drives both), authorization codes bound to PKCE, and the loopback redirect rules.
//
// Stand-ins reproduce documented behaviour only; each provider module cites its sources beside each rule.
// Nothing is written to disk.

import { createHash, generateKeyPairSync, randomBytes, sign as cryptoSign } from 'node:crypto';
import { createServer } from 'node:http';

export const b64url = (buffer) => Buffer.from(buffer).toString('base64url');
export const randomToken = (bytes = 24) => randomBytes(bytes).toString('base64url');
export const nowSeconds = () => Math.floor(Date.now() / 1000);

const escapeHtml = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

// One RSA key per process; JWKS and ID tokens come from it.
export function makeSigner() {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = randomToken(8);
  const jwk = { ...publicKey.export({ format: 'jwk' }), kid, use: 'sig', alg: 'RS256' };
  return {
    jwks: { keys: [jwk] },
    token(claims) {
      const header = b64url(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid }));
      const payload = b64url(JSON.stringify(claims));
      const signature = cryptoSign('sha256', Buffer.from(`${header}.${payload}`), privateKey);
      return `${header}.${payload}.${b64url(signature)}`;
    },
  };
}

// RFC 7636 §4.6: S256 verifier check.
export function verifierMatches(verifier, challenge) {
  return typeof verifier === 'string' && createHash('sha256').update(verifier).digest('base64url') === challenge;
}

// RFC 8252 §7.3 loopback redirect: http, 127.0.0.1 (or localhost/[::1] where the provider allows it), any
// port. Returns the URL or null.
export function loopbackRedirect(text, { hosts = ['127.0.0.1', 'localhost', '[::1]'] } = {}) {
  try {
    const url = new URL(text);
    if (url.protocol !== 'http:' || !hosts.includes(url.hostname) || !url.port) return null;
    return url;
  } catch {
    return null;
  }
}

export async function readBody(request, limit = 64 * 1024) {
  const chunks = [];
  let size = 0;
  for await (const chunk of request) {
    size += chunk.length;
    if (size > limit) throw new Error('body too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export function send(response, status, body, headers = {}) {
  const isJson = typeof body === 'object' && !Buffer.isBuffer(body);
  const payload = isJson ? JSON.stringify(body) : body;
  response.writeHead(status, {
    'Content-Type': isJson ? 'application/json; charset=utf-8' : 'text/html; charset=utf-8',
    'Cache-Control': 'no-store',
    ...headers,
  });
  response.end(payload);
}

export function redirect(response, location) {
  response.writeHead(302, { Location: location, 'Cache-Control': 'no-store' });
  response.end();
}

export function bearer(request) {
  const match = /^Bearer (\S+)$/i.exec(request.headers.authorization ?? '');
  return match ? match[1] : null;
}

// The login page: #login, #password, #submit, #cancel, #error, #idp-error as the demo provider's pages have.
export function loginPage(response, { title, interaction, error }) {
  send(response, 200, `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head><body>
<h1>${escapeHtml(title)}</h1>${error ? `<p id="error">${escapeHtml(error)}</p>` : ''}
<form method="post" action="/__standin/login">
<input type="hidden" name="interaction" value="${escapeHtml(interaction)}">
<label>Account <input id="login" name="login" autofocus></label>
<label>Password <input id="password" name="password" type="password"></label>
<button id="submit" type="submit" name="action" value="login">Sign in</button>
<button id="cancel" type="submit" name="action" value="cancel">Cancel</button>
</form></body></html>`);
}

export function errorPage(response, status, text) {
  send(response, status, `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Error</title></head><body>
<p id="idp-error">${escapeHtml(text)}</p></body></html>`);
}

// The stand-in server: `provider` supplies `routes(context)` -> async (request, response, url) => handled?
// and `users` (login -> user fixture). Common routes: the login form post, /__test/requests,
// /__test/secrets, /__test/reset.
export async function startStandin(provider, { port = 0 } = {}) {
  const context = {
    base: null,
    signer: makeSigner(),
    interactions: new Map(), // id -> authorization request parameters (+ anything the provider adds)
    codes: new Map(),        // code -> { request, user, issuedAt, used }
    tokens: new Map(),       // access token -> { user, scopes, request }
    secrets: [],             // every code and token issued, for leak checks
    requests: [],            // method, path, headers and form of each request, for assertions
    devices: new Map(),      // device code -> { request, userCode, expiresAt, interval, user, denied, polls }
    deviceSettings: {},      // test control: interval, expires_in, slow_down_polls for the next device codes
    remember(secret) { this.secrets.push(secret); return secret; },
  };
  const handle = await provider.routes(context);

  const server = createServer(async (request, response) => {
    const url = new URL(request.url, context.base);
    let form = {};
    try {
      if (request.method === 'POST' || request.method === 'DELETE') {
        const body = await readBody(request);
        const type = request.headers['content-type'] ?? '';
        form = type.includes('application/json') ? JSON.parse(body || '{}') : Object.fromEntries(new URLSearchParams(body));
      }
    } catch {
      send(response, 400, { error: 'invalid_request', error_description: 'unreadable body' });
      return;
    }
    const entry = { method: request.method, path: url.pathname, query: Object.fromEntries(url.searchParams), headers: request.headers, form };
    if (!url.pathname.startsWith('/__test/')) context.requests.push(entry);
    try {
      if (url.pathname === '/__test/requests') return send(response, 200, context.requests);
      if (url.pathname === '/__test/secrets') return send(response, 200, context.secrets);
      if (url.pathname === '/__test/reset') {
        context.requests.length = 0;
        context.deviceSettings = {};
        return send(response, 200, {});
      }
      if (url.pathname === '/__test/device-settings' && request.method === 'POST') {
        context.deviceSettings = Object.fromEntries(Object.entries(form).map(([k, v]) => [k, Number(v)]));
        return send(response, 200, context.deviceSettings);
      }
      // The page behind the verification URI: enter the user code, sign in, approve or deny.
      if (url.pathname === '/__standin/device' && request.method === 'POST') return approveDevice(context, provider, form, response);
      if (url.pathname === '/__standin/login' && request.method === 'POST') return login(context, provider, form, response);
      if (await handle(request, response, url, form)) return;
      send(response, 404, { error: 'not_found' });
    } catch (err) {
      console.error('[standin]', err);
      send(response, 500, { error: 'server_error' });
    }
  });
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  context.base = `http://127.0.0.1:${server.address().port}`;
  return { server, context };
}

// The login form posts here; success issues a code bound to the authorization request.
function login(context, provider, form, response) {
  const interaction = context.interactions.get(form.interaction);
  if (!interaction) return errorPage(response, 400, 'This sign-in page has expired. Start again from the application.');
  const back = new URL(interaction.redirect_uri);
  if (form.action === 'cancel') {
    context.interactions.delete(form.interaction);
    back.search = new URLSearchParams(provider.deniedParameters(interaction)).toString();
    return redirect(response, back.href);
  }
  const user = provider.users[String(form.login ?? '').toLowerCase()];
  // Every fixture's password is its login's part before the @, like the demo provider's users.
  if (!user || form.password !== String(form.login).split('@')[0].toLowerCase()) {
    return loginPage(response, { title: provider.title, interaction: form.interaction, error: 'Wrong account or password.' });
  }
  context.interactions.delete(form.interaction);
  const code = context.remember(randomToken(32));
  context.codes.set(code, { request: interaction, user, issuedAt: Date.now(), used: false });
  const parameters = { code };
  if (interaction.state !== undefined) parameters.state = interaction.state;
  back.search = new URLSearchParams({ ...Object.fromEntries(back.searchParams), ...parameters }).toString();
  return redirect(response, back.href);
}

// Starts an interaction for a validated authorization request and shows the login page.
export function beginInteraction(context, provider, response, parameters) {
  const id = randomToken(16);
  context.interactions.set(id, parameters);
  loginPage(response, { title: provider.title, interaction: id });
}

// Takes a code for the token endpoint: single use, `lifetimeMs` (10 minutes for all three providers).
export function takeCode(context, code, lifetimeMs = 10 * 60 * 1000) {
  const entry = context.codes.get(code);
  if (!entry) return { problem: 'unknown' };
  if (entry.used) return { problem: 'used', entry };
  entry.used = true;
  if (Date.now() - entry.issuedAt > lifetimeMs) return { problem: 'expired', entry };
  return { entry };
}

export function issueAccessToken(context, grant) {
  const token = context.remember(grant.prefix ? `${grant.prefix}${randomToken(27)}` : randomToken(32));
  context.tokens.set(token, grant);
  return token;
}

// ---- Device authorization grant (RFC 8628) ---------------------------------------------------------------

const USER_CODE_ALPHABET = 'BCDFGHJKLMNPQRSTVWXZ'; // RFC 8628 §6.1: no vowels, no look-alikes

export function issueDeviceCode(context, request, { expiresIn, interval }) {
  const settings = context.deviceSettings;
  const deviceCode = context.remember(randomToken(30));
  const pick = () => USER_CODE_ALPHABET[randomBytes(1)[0] % USER_CODE_ALPHABET.length];
  const userCode = `${Array.from({ length: 4 }, pick).join('')}-${Array.from({ length: 4 }, pick).join('')}`;
  const entry = {
    request, userCode, interval: settings.interval ?? interval,
    expiresIn: settings.expires_in ?? expiresIn, slowDownLeft: settings.slow_down_polls ?? 0,
    issuedAt: Date.now(), user: null, denied: false, polls: 0, used: false,
  };
  context.devices.set(deviceCode, entry);
  return { deviceCode, entry };
}

// One poll: 'pending', 'slow_down', 'denied', 'expired', 'used', 'unknown' or { user, entry }.
export function pollDevice(context, deviceCode) {
  const entry = context.devices.get(deviceCode);
  if (!entry) return 'unknown';
  entry.polls += 1;
  if (entry.used) return 'used';
  if (Date.now() - entry.issuedAt > entry.expiresIn * 1000) return 'expired';
  if (entry.slowDownLeft > 0) {
    entry.slowDownLeft -= 1;
    entry.interval += 5;
    return 'slow_down';
  }
  if (entry.denied) return 'denied';
  if (!entry.user) return 'pending';
  entry.used = true;
  return { user: entry.user, entry };
}

export function devicePage(response, { title, error }) {
  send(response, 200, `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head><body>
<h1>${escapeHtml(title)}</h1>${error ? `<p id="error">${escapeHtml(error)}</p>` : ''}
<form method="post" action="/__standin/device">
<label>Code <input id="user_code" name="user_code"></label>
<label>Account <input id="login" name="login"></label>
<label>Password <input id="password" name="password" type="password"></label>
<button id="allow" type="submit" name="action" value="allow">Continue</button>
<button id="deny" type="submit" name="action" value="deny">Cancel</button>
</form></body></html>`);
}

function approveDevice(context, provider, form, response) {
  const code = String(form.user_code ?? '').toUpperCase().replace(/[^A-Z]/g, '');
  const entry = [...context.devices.values()].find((e) => e.userCode.replace('-', '') === code && !e.used);
  if (!entry) return devicePage(response, { title: provider.title, error: 'That code is not valid. Check it and try again.' });
  const user = provider.users[String(form.login ?? '').toLowerCase()];
  if (form.action === 'deny') {
    entry.denied = true;
    return send(response, 200, '<!DOCTYPE html><title>Cancelled</title><p id="done">You cancelled the sign-in.</p>');
  }
  if (!user || form.password !== String(form.login).split('@')[0].toLowerCase()) {
    return devicePage(response, { title: provider.title, error: 'Wrong account or password.' });
  }
  entry.user = user;
  return send(response, 200, '<!DOCTYPE html><title>Done</title><p id="done">You have signed in. You can close this window.</p>');
}
