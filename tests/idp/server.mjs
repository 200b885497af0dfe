#!/usr/bin/env node
// A local OpenID provider for Signet's demos and tests, built on oidc-provider 9.
//
//   node tests/idp/server.mjs [--port N] [--redirect-path /callback/demo ...] [--client-id signet-demo]
//                             [--test-endpoints] [--access-token-ttl S] [--id-token-alg RS256|ES256]
//                             [--post-logout-path /logout/demo ...] [--strict-offline-access]
//                             [--oidc-agent-client]
//
// It listens on 127.0.0.1 only. When ready it prints exactly one JSON line on stdout,
//   {"issuer":"http://127.0.0.1:PORT","port":PORT,"client_id":"signet-demo"}
// and everything else goes to stderr. Nothing is written to disk: signing keys and cookie keys are made
// at start and die with the process, and all state (sessions, grants, tokens) lives in memory.
// See README.md beside this file for the users and options.

import { createHash, generateKeyPairSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';

// oidc-provider prints its "you SHOULD change this" notices with console.info, i.e. on stdout. Our stdout
// carries exactly one machine-readable line, so route every console output to stderr *before* the library
// is loaded (hence the dynamic import below rather than a static one).
console.log = console.info = console.debug = (...args) => console.error(...args);
const { default: Provider, errors: oidcErrors } = await import('oidc-provider');

const log = (...args) => console.error('[idp]', ...args);

// ---------------------------------------------------------------------------------------------------------
// Command line

function usage(message) {
  if (message) console.error(`server.mjs: ${message}`);
  console.error('usage: node tests/idp/server.mjs [--port N] [--redirect-path PATH ...] [--client-id ID]\n'
    + '         [--test-endpoints] [--access-token-ttl SECONDS] [--id-token-alg RS256|ES256]\n'
    + '         [--post-logout-path PATH ...] [--strict-offline-access] [--oidc-agent-client]');
  process.exit(2);
}

let args;
try {
  ({ values: args } = parseArgs({
    options: {
      port: { type: 'string', default: '0' },
      'redirect-path': { type: 'string', multiple: true },
      'post-logout-path': { type: 'string', multiple: true },
      'client-id': { type: 'string', default: 'signet-demo' },
      'test-endpoints': { type: 'boolean', default: false },
      'access-token-ttl': { type: 'string', default: '3600' },
      'id-token-alg': { type: 'string', default: 'RS256' },
      'strict-offline-access': { type: 'boolean', default: false },
      'oidc-agent-client': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: false,
  }));
} catch (err) {
  usage(err.message);
}
if (args.help) usage();

const port = Number(args.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) usage(`invalid --port '${args.port}'`);
const accessTokenTtl = Number(args['access-token-ttl']);
if (!Number.isInteger(accessTokenTtl) || accessTokenTtl < 1) usage('--access-token-ttl must be a positive integer');
const idTokenAlg = args['id-token-alg'];
if (!['RS256', 'ES256'].includes(idTokenAlg)) usage('--id-token-alg must be RS256 or ES256');
const clientId = args['client-id'];
if (!/^[\x21-\x7e]+$/.test(clientId)) usage('--client-id must be printable ASCII without spaces');

function checkPaths(option, fallback) {
  const paths = args[option] ?? [fallback];
  for (const p of paths) {
    if (!/^\/[\x21-\x7e]*$/.test(p) || /[?#]/.test(p)) usage(`--${option} '${p}' must be a path starting with '/'`);
  }
  return paths;
}
const redirectPaths = checkPaths('redirect-path', '/callback/demo');
const postLogoutPaths = checkPaths('post-logout-path', '/logout/demo');

// ---------------------------------------------------------------------------------------------------------
// Demo accounts. The subject is the short name; the password equals the short name (documented demo data).

const ACCOUNTS = [
  {
    sub: 'alice', email: 'alice@example.com', email_verified: true,
    given_name: 'Alice', family_name: 'Example', password: 'alice',
  },
  {
    // Bob is the one user with a picture, so clients can exercise both "picture" and "no picture".
    sub: 'bob', email: 'bob@example.org', email_verified: true,
    given_name: 'Bob', family_name: 'Example', password: 'bob', picture: true,
  },
  {
    sub: 'carol', email: 'carol@example.net', email_verified: false,
    given_name: 'Carol', family_name: 'Example', password: 'carol',
  },
];

function accountByLogin(login) {
  const key = String(login ?? '').trim().toLowerCase();
  return ACCOUNTS.find((a) => a.email === key || a.sub === key);
}

// Compare fixed-length digests so the comparison time does not depend on where the strings differ.
function passwordMatches(account, password) {
  const digest = (s) => createHash('sha256').update(String(s)).digest();
  return timingSafeEqual(digest(account.password), digest(password ?? ''));
}

// ---------------------------------------------------------------------------------------------------------
// Small HTML helpers: our pages are plain, self-contained and load nothing from anywhere.

const escapeHtml = (s) => String(s).replace(/[&<>"']/g, (c) => ({
  '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;',
}[c]));

const STYLE = 'body{font-family:sans-serif;max-width:26em;margin:2em auto;padding:0 1em}'
  + 'label,input,button{display:block;width:100%;box-sizing:border-box;margin:.3em 0}'
  + 'input,button{padding:.5em;font-size:1em}#error,.error{color:#a00}';

// No scripts, no external anything. No form-action: Chromium applies it to the redirects that follow a form
// POST, and ours end at the client's loopback redirect URI on another port.
const PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; frame-ancestors 'none'; base-uri 'none'";

function page(title, body) {
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body>
${body}
</body></html>
`;
}

function sendHtml(res, status, html) {
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Content-Security-Policy', PAGE_CSP);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.end(html);
}

function sendJson(res, status, value) {
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json');
  res.setHeader('Cache-Control', 'no-store');
  res.end(JSON.stringify(value));
}

function errorPage(title, message) {
  // id="idp-error" lets a browser driver recognise "the provider refused" instead of waiting for a form.
  return page(title, `<h1>${escapeHtml(title)}</h1>\n<div id="idp-error"><p>${escapeHtml(message)}</p></div>`);
}

const SCOPE_TEXT = {
  openid: 'Know who you are (your account identifier)',
  email: 'See your e-mail address and whether it is verified',
  profile: 'See your name and profile picture',
  offline_access: 'Stay signed in: keep access when you are not here (refresh tokens)',
};

function loginForm(uid, { loginValue = '', error = null, clientName }) {
  const action = `/interaction/${encodeURIComponent(uid)}`;
  return page('Sign in', `<h1>Sign in</h1>
<p>to continue to <strong>${escapeHtml(clientName)}</strong></p>
${error ? `<p id="error" role="alert">${escapeHtml(error)}</p>` : ''}
<form id="login-form" method="post" action="${action}/login" autocomplete="off">
<label for="login">E-mail address</label>
<input id="login" name="login" type="text" autocomplete="username" autofocus required value="${escapeHtml(loginValue)}">
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button id="submit" type="submit">Sign in</button>
<button id="cancel" type="submit" formaction="${action}/abort" formnovalidate name="reason" value="cancel">Cancel</button>
</form>
<p><small>Demo provider: alice@example.com, bob@example.org, carol@example.net; the password is the name before the @.</small></p>`);
}

function consentForm(uid, { clientName, account, scopes }) {
  const action = `/interaction/${encodeURIComponent(uid)}`;
  const items = scopes.map((s) => `<li>${escapeHtml(SCOPE_TEXT[s] ?? s)}</li>`).join('\n');
  return page('Allow access', `<h1>Allow access?</h1>
<p><strong>${escapeHtml(clientName)}</strong> asks to:</p>
<ul id="scopes">
${items}
</ul>
<p>Signed in as <span id="account">${escapeHtml(account?.email ?? '')}</span></p>
<form method="post" action="${action}/confirm"><button id="allow" type="submit" autofocus>Allow</button></form>
<form method="post" action="${action}/abort"><input type="hidden" name="reason" value="deny">
<button id="deny" type="submit">Deny</button></form>`);
}

// ---------------------------------------------------------------------------------------------------------
// Listen first: the issuer must name the real port, which we only know after binding port 0.

const server = createServer();
server.on('clientError', (err, socket) => socket.destroy());
await new Promise((resolve, reject) => {
  server.once('error', reject);
  server.listen(port, '127.0.0.1', resolve);
}).catch((err) => {
  log(`cannot listen on 127.0.0.1:${port}: ${err.message}`);
  process.exit(1);
});
const realPort = server.address().port;
const issuer = `http://127.0.0.1:${realPort}`;

// Signing keys: fresh per start, never written anywhere. RS256 is the default id_token algorithm;
// the ES256 key is published too, so clients see a JWKS with more than one key type.
function signingKey(type, options, alg) {
  const jwk = generateKeyPairSync(type, options).privateKey.export({ format: 'jwk' });
  return { ...jwk, kid: `${alg.toLowerCase()}-${randomBytes(6).toString('hex')}`, alg, use: 'sig' };
}
const jwks = {
  keys: [
    signingKey('rsa', { modulusLength: 2048 }, 'RS256'),
    signingKey('ec', { namedCurve: 'P-256' }, 'ES256'),
  ],
};

// Test only (bench/ipcbench.mjs): a second, confidential client in the shape oidc-agent's oidc-gen expects
// (a client secret, a 'http://localhost:<port>/' redirect), so `oidc-token` can be measured against the same
// provider as Signet. Off unless asked for; its secret is documented in README.md and protects nothing.
const OIDC_AGENT_CLIENT = {
  client_id: 'oidc-agent-bench',
  client_secret: 'oidc-agent-bench-secret',
  client_name: 'oidc-agent (benchmark)',
  application_type: 'web',
  token_endpoint_auth_method: 'client_secret_basic',
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
  redirect_uris: ['http://localhost:4242/'],
};

const provider = new Provider(issuer, {
  clients: [...(args['oidc-agent-client'] ? [OIDC_AGENT_CLIENT] : []), {
    client_id: clientId,
    client_name: 'Signet',
    application_type: 'native',
    // A public client: no secret, so oidc-provider requires PKCE (S256 only).
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    // Registered without a port. For native clients oidc-provider ignores the port of a loopback
    // redirect (RFC 8252 §7.3) but still compares the host literally: 'localhost' does not match.
    redirect_uris: redirectPaths.map((p) => `http://127.0.0.1${p}`),
    post_logout_redirect_uris: postLogoutPaths.map((p) => `http://127.0.0.1${p}`),
    id_token_signed_response_alg: idTokenAlg,
  }],
  jwks,
  cookies: { keys: [randomBytes(32).toString('base64url'), randomBytes(32).toString('base64url')] },
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'given_name', 'family_name', 'preferred_username', 'picture'],
  },
  scopes: ['openid', 'email', 'profile', 'offline_access'],
  async findAccount(ctx, sub) {
    const account = ACCOUNTS.find((a) => a.sub === sub);
    if (!account) return undefined;
    return {
      accountId: account.sub,
      // oidc-provider filters this down to what the granted scopes and claims allow.
      async claims() {
        return {
          sub: account.sub,
          email: account.email,
          email_verified: account.email_verified,
          name: `${account.given_name} ${account.family_name}`,
          given_name: account.given_name,
          family_name: account.family_name,
          preferred_username: account.sub,
          ...(account.picture ? { picture: `${issuer}/avatar/${account.sub}.svg` } : {}),
        };
      },
    };
  },
  // A client that forgets redirect_uri is buggy; do not silently pick the (portless) registered one.
  allowOmittingSingleRegisteredRedirectUri: false,
  features: {
    devInteractions: { enabled: false },
    revocation: {
      enabled: true,
      // A client may revoke only its own tokens (the library default, stated here to silence its notice).
      async allowedPolicy(ctx, client, token) { return token.clientId === client.clientId; },
    },
    introspection: {
      enabled: true,
      async allowedPolicy(ctx, client, token) { return token.clientId === client.clientId; },
    },
    rpInitiatedLogout: {
      enabled: true,
      async logoutSource(ctx, form) {
        ctx.type = 'html';
        ctx.body = page('Sign out', `<h1>Sign out?</h1>
<p>Do you want to sign out from the demo provider?</p>
${form}
<button id="logout" type="submit" form="op.logoutForm" name="logout" value="yes" autofocus>Sign out</button>
<button id="stay" type="submit" form="op.logoutForm">Stay signed in</button>`);
      },
      async postLogoutSuccessSource(ctx) {
        ctx.type = 'html';
        ctx.body = page('Signed out', '<h1 id="signed-out">You are signed out</h1>');
      },
    },
  },
  interactions: {
    url(ctx, interaction) { return `/interaction/${interaction.uid}`; },
  },
  // Public native client without sender-constrained tokens: rotate on every use (also the library default).
  // Presenting an already rotated refresh token again is treated as theft: the whole grant is revoked.
  rotateRefreshToken: true,
  ttl: {
    AccessToken: accessTokenTtl,
    AuthorizationCode: 60,
    IdToken: 3600,
    Interaction: 600,
    Session: 24 * 3600,
    Grant: 14 * 24 * 3600,
    RefreshToken: 14 * 24 * 3600,
  },
  async renderError(ctx, out) {
    ctx.type = 'html';
    const text = `${out.error}${out.error_description ? `: ${out.error_description}` : ''}`;
    ctx.body = errorPage('Sign-in error', text);
  },
});

provider.on('server_error', (ctx, err) => log('server_error:', err));

// With --test-endpoints, every secret this provider hands out (authorization codes, access,
// refresh and ID tokens) is kept so a test can search everything Signet printed for them.
const issuedSecrets = [];
if (args['test-endpoints']) {
  provider.on('authorization_code.saved', (code) => issuedSecrets.push(code.jti));
  provider.use(async (ctx, next) => {
    await next();
    if (ctx.path === '/token' && ctx.body && typeof ctx.body === 'object') {
      for (const name of ['access_token', 'refresh_token', 'id_token']) {
        if (typeof ctx.body[name] === 'string') issuedSecrets.push(ctx.body[name]);
      }
    }
  });
}
const oidcCallback = provider.callback();

// ---------------------------------------------------------------------------------------------------------
// Our own routes in front of oidc-provider.

async function readForm(req, limit = 16 * 1024) {
  const type = String(req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  let size = 0;
  const chunks = [];
  for await (const chunk of req) {
    size += chunk.length;
    if (size > limit) throw Object.assign(new Error('request body too large'), { status: 413 });
    chunks.push(chunk);
  }
  if (type !== 'application/x-www-form-urlencoded') return new URLSearchParams();
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

// The interaction for this browser (found through its _interaction cookie), checked against the uid in the
// URL so that a stale tab cannot finish a newer interaction.
async function interactionFor(req, res, uid) {
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) {
    throw new oidcErrors.SessionNotFound('interaction does not match this page; start the sign-in again');
  }
  return details;
}

async function clientName(clientIdParam) {
  const client = await provider.Client.find(String(clientIdParam));
  return client?.clientName ?? String(clientIdParam);
}

async function showInteraction(req, res, uid) {
  const details = await interactionFor(req, res, uid);
  const { prompt, params, session } = details;
  const name = await clientName(params.client_id);
  switch (prompt.name) {
    case 'login':
      return sendHtml(res, 200, loginForm(uid, { clientName: name, loginValue: params.login_hint ?? '' }));
    case 'consent': {
      const scopes = String(params.scope ?? '').split(' ').filter(Boolean);
      const account = ACCOUNTS.find((a) => a.sub === session?.accountId);
      return sendHtml(res, 200, consentForm(uid, { clientName: name, account, scopes }));
    }
    default:
      return sendHtml(res, 500, errorPage('Sign-in error', `unsupported prompt '${prompt.name}'`));
  }
}

async function submitLogin(req, res, uid) {
  const details = await interactionFor(req, res, uid);
  if (details.prompt.name !== 'login') {
    return sendHtml(res, 400, errorPage('Sign-in error', 'this sign-in is not waiting for a login'));
  }
  const form = await readForm(req);
  const login = form.get('login') ?? '';
  const account = accountByLogin(login);
  if (!account || !passwordMatches(account, form.get('password'))) {
    log(`login failed for '${login.slice(0, 64)}'`);
    const name = await clientName(details.params.client_id);
    return sendHtml(res, 200, loginForm(uid, {
      clientName: name, loginValue: login, error: 'Wrong e-mail address or password.',
    }));
  }
  log(`login ok: ${account.sub}`);
  return provider.interactionFinished(req, res, { login: { accountId: account.sub } }, {
    mergeWithLastSubmission: false,
  });
}

async function submitConsent(req, res, uid) {
  const details = await interactionFor(req, res, uid);
  const { prompt: { name, details: missing = {} }, params, session } = details;
  if (name !== 'consent') {
    return sendHtml(res, 400, errorPage('Sign-in error', 'this sign-in is not waiting for consent'));
  }
  await readForm(req); // drain the (empty) body

  // Grant everything that was asked for, following oidc-provider's example routes: extend the grant this
  // session already has for the client, or start a new one.
  const grant = details.grantId
    ? await provider.Grant.find(details.grantId)
    : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
  if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
  if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
  if (missing.missingResourceScopes) {
    for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes)) {
      grant.addResourceScope(indicator, scopes.join(' '));
    }
  }
  const grantId = await grant.save();
  log(`consent given by ${session.accountId}: ${params.scope}`);
  return provider.interactionFinished(req, res, {
    consent: details.grantId ? {} : { grantId },
  }, { mergeWithLastSubmission: true });
}

async function abortInteraction(req, res, uid) {
  await interactionFor(req, res, uid);
  const form = await readForm(req);
  const declined = form.get('reason') === 'deny';
  log(declined ? 'consent denied' : 'login cancelled');
  return provider.interactionFinished(req, res, {
    error: 'access_denied',
    error_description: declined ? 'The user declined' : 'The user cancelled the sign-in',
  }, { mergeWithLastSubmission: false });
}

function avatar(res, sub) {
  const account = ACCOUNTS.find((a) => a.sub === sub && a.picture);
  if (!account) return sendHtml(res, 404, errorPage('Not found', 'no such picture'));
  res.statusCode = 200;
  res.setHeader('Content-Type', 'image/svg+xml');
  res.setHeader('Cache-Control', 'max-age=3600');
  res.setHeader('Content-Security-Policy', "default-src 'none'");
  return res.end('<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" viewBox="0 0 64 64">'
    + '<circle cx="32" cy="32" r="32" fill="#3a6ea5"/>'
    + `<text x="32" y="42" font-family="sans-serif" font-size="28" text-anchor="middle" fill="#fff">${
      escapeHtml(account.given_name[0])}</text></svg>`);
}

// Which requests reached us, for tests that assert which endpoints were (not) called. Only method and path:
// the query string is never stored, because it carries authorization codes, states and the like.
const recorded = [];

async function handle(req, res) {
  const url = new URL(req.url, issuer);
  const path = url.pathname;

  if (args['test-endpoints'] && path.startsWith('/__test/')) {
    if (path === '/__test/requests' && req.method === 'GET') return sendJson(res, 200, recorded);
    if (path === '/__test/secrets' && req.method === 'GET') return sendJson(res, 200, issuedSecrets);
    if (path === '/__test/reset' && req.method === 'POST') {
      recorded.length = 0;
      return sendJson(res, 200, { reset: true });
    }
    return sendJson(res, 404, { error: 'not_found' });
  }
  recorded.push({ method: req.method, path });

  const m = /^\/interaction\/([^/]+)(?:\/(login|confirm|abort))?$/.exec(path);
  if (m) {
    const uid = decodeURIComponent(m[1]);
    if (!m[2] && req.method === 'GET') return showInteraction(req, res, uid);
    if (m[2] === 'login' && req.method === 'POST') return submitLogin(req, res, uid);
    if (m[2] === 'confirm' && req.method === 'POST') return submitConsent(req, res, uid);
    if (m[2] === 'abort' && req.method === 'POST') return abortInteraction(req, res, uid);
    return sendHtml(res, 405, errorPage('Not allowed', `${req.method} is not allowed here`));
  }
  const a = /^\/avatar\/([a-z]+)\.svg$/.exec(path);
  if (a && req.method === 'GET') return avatar(res, a[1]);
  if (path === '/favicon.ico') {
    res.statusCode = 204;
    return res.end();
  }

  // OpenID Connect Core §11: offline_access needs prompt=consent "unless other conditions ... are in
  // place", and oidc-provider drops the scope from any request without it. Here the other condition
  // holds: this provider always shows its consent page to native clients. So a GET authorization request
  // that asks for offline_access and sets no prompt at all gets prompt=consent added, and refresh tokens
  // work without the client having to send it. --strict-offline-access turns this off.
  if (!args['strict-offline-access'] && req.method === 'GET' && path === '/auth') {
    const scopes = (url.searchParams.get('scope') ?? '').split(' ');
    if (scopes.includes('offline_access') && !url.searchParams.has('prompt')) {
      url.searchParams.set('prompt', 'consent');
      req.url = url.pathname + url.search;
    }
  }
  return oidcCallback(req, res);
}

server.on('request', (req, res) => {
  const path = (req.url ?? '').split('?')[0];
  res.on('finish', () => log(`${req.method} ${path} ${res.statusCode}`));
  handle(req, res).catch((err) => {
    if (err instanceof oidcErrors.SessionNotFound) {
      // The interaction cookie is missing or expired: tell the person, do not crash.
      return sendHtml(res, 400, errorPage('Sign-in expired', `${err.error_description ?? err.message}. Start the sign-in again.`));
    }
    log('error handling request:', err);
    if (!res.headersSent) return sendHtml(res, err.status ?? 500, errorPage('Error', err.expose ? err.message : 'internal error'));
    return res.destroy();
  });
});

// ---------------------------------------------------------------------------------------------------------
// Ready: exactly one line on stdout. On a pipe, Node writes stdout synchronously on Linux; the callback
// just confirms it was handed over.

const ready = JSON.stringify({ issuer, port: realPort, client_id: clientId });
process.stdout.write(`${ready}\n`);
log(`listening on ${issuer}, client ${clientId}, redirect URIs ${redirectPaths.map((p) => `http://127.0.0.1:<any port>${p}`).join(' ')}`);

let stopping = false;
function stop(signal) {
  if (stopping) return;
  stopping = true;
  log(`${signal}: shutting down`);
  server.close(() => process.exit(0));
  server.closeAllConnections(); // browsers keep idle keep-alive connections open
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGINT', () => stop('SIGINT'));
