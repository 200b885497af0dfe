// oidc-agent (Debian `oidc-agent-cli`) at the demo provider, for the whole-process comparison in
// bench/ipcbench.mjs: `oidc-token bench` returns oidc-agent's cached access token, as `signetctl token` returns
// Signet's. The provider must run with --oidc-agent-client (a test-only confidential client, see
// tests/idp/README.md).
//
// oidc-gen can sign in only through a browser (code flow), a device code, or a refresh token it is handed
// (--rt). We hand it one: a scripted authorization-code flow over HTTP (log in, consent, the code, the token
// request) gets a refresh token for the oidc-agent client, and oidc-gen then refreshes with it like any
// account. Everything lives in the world's private directory; the refresh token travels in the environment of
// oidc-gen only (--rt-env), never on a command line.

import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';

const CLIENT_ID = 'oidc-agent-bench';
const CLIENT_SECRET = 'oidc-agent-bench-secret';
const REDIRECT = 'http://localhost:4242/';
const SCOPE = 'openid email profile offline_access';

// A minimal browser: a cookie jar and manual redirects, filling the demo provider's login and consent forms.
async function refreshTokenByCodeFlow(issuer) {
  const jar = new Map();
  const cookieHeader = () => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
  const request = async (url, init = {}) => {
    const response = await fetch(url, { ...init, redirect: 'manual', headers: { ...(init.headers ?? {}), cookie: cookieHeader() } });
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const at = pair.indexOf('=');
      jar.set(pair.slice(0, at).trim(), pair.slice(at + 1).trim());
    }
    return response;
  };
  const verifier = randomBytes(32).toString('base64url');
  const auth = new URL(`${issuer}/auth`);
  auth.search = new URLSearchParams({
    client_id: CLIENT_ID, response_type: 'code', redirect_uri: REDIRECT, scope: SCOPE, prompt: 'consent',
    state: randomBytes(16).toString('base64url'),
    code_challenge: createHash('sha256').update(verifier).digest('base64url'), code_challenge_method: 'S256',
  }).toString();
  let location = auth.toString();
  for (let step = 0; step < 12; step += 1) {
    if (location.startsWith(REDIRECT)) {
      const callback = new URL(location);
      const code = callback.searchParams.get('code');
      if (!code) throw new Error(`the provider refused: ${callback.searchParams.get('error') ?? 'no code'}`);
      const token = await fetch(`${issuer}/token`, {
        method: 'POST',
        headers: { authorization: `Basic ${Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64')}` },
        body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier }),
      });
      const body = await token.json();
      if (!body.refresh_token) throw new Error(`no refresh token from the token endpoint (${token.status} ${body.error ?? ''})`);
      return body.refresh_token;
    }
    const url = new URL(location, issuer);
    const interaction = /^\/interaction\/([^/]+)$/.exec(url.pathname);
    let response;
    if (interaction) {
      const html = await (await request(url)).text();
      const form = html.includes('id="login-form"')
        ? { path: 'login', body: new URLSearchParams({ login: 'alice@example.com', password: 'alice' }) }
        : { path: 'confirm', body: new URLSearchParams() };
      if (!html.includes('id="login-form"') && !html.includes('id="allow"')) {
        throw new Error('the demo provider showed neither its login nor its consent page');
      }
      response = await request(`${url}/${form.path}`, { method: 'POST', body: form.body });
    } else {
      response = await request(url);
    }
    location = response.headers.get('location');
    if (!location) throw new Error(`the provider answered ${response.status} at ${url.pathname} without a redirect`);
  }
  throw new Error('too many redirects in the scripted sign-in');
}

// Returns { env, command, stop() } for hyperfine, or { error } saying why oidc-agent cannot be measured.
export async function setupOidcAgent(idp, world) {
  for (const tool of ['oidc-agent', 'oidc-gen', 'oidc-token']) {
    if (spawnSync(tool, ['--version']).error) return { error: `${tool} is not installed (apt install oidc-agent-cli)` };
  }
  let refreshToken;
  try {
    refreshToken = await refreshTokenByCodeFlow(idp.issuer);
  } catch (err) {
    return { error: `no refresh token for oidc-agent from the demo provider (is it running with --oidc-agent-client?): ${err.message}` };
  }
  const home = path.join(world.root, 'oidc');
  mkdirSync(home, { mode: 0o700, recursive: true });
  const socket = path.join(home, 'oidc-agent.sock');
  const env = { ...world.env, OIDC_CONFIG_DIR: path.join(home, 'config'), OIDC_SOCK: socket, TMPDIR: home };
  const agent = spawn('oidc-agent', ['--console', '--socket-path', socket, '--quiet'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  agent.stdout.on('data', (d) => { log += d; });
  agent.stderr.on('data', (d) => { log += d; });
  const exited = new Promise((resolve) => agent.on('exit', resolve));
  const stop = async () => { if (agent.exitCode === null) { agent.kill('SIGTERM'); await exited; } };
  for (let i = 0; i < 100 && spawnSync('test', ['-S', socket]).status !== 0 && agent.exitCode === null; i += 1) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  if (agent.exitCode !== null) return { error: `oidc-agent did not start: ${log.trim()}` };

  const gen = spawnSync('oidc-gen', ['bench', `--issuer=${idp.issuer}`, `--client-id=${CLIENT_ID}`,
    `--client-secret=${CLIENT_SECRET}`, `--redirect-uri=${REDIRECT}`, `--scope=${SCOPE}`, '--rt-env',
    '--pw-env', '--confirm-default', '--prompt=none'],
  { env: { ...env, OIDC_REFRESH_TOKEN: refreshToken, OIDC_ENCRYPTION_PW: 'benchmark-only' }, encoding: 'utf8', timeout: 60000 });
  if (gen.status !== 0) {
    await stop();
    return { error: `oidc-gen could not create the account (exit ${gen.status}): ${`${gen.stdout}\n${gen.stderr}`.trim().slice(0, 400)}` };
  }
  // The first oidc-token fetches and caches a token; the measured ones return the cached one.
  const first = spawnSync('oidc-token', ['bench'], { env, encoding: 'utf8', timeout: 30000 });
  if (first.status !== 0 || first.stdout.trim().length < 10) {
    await stop();
    return { error: `oidc-token failed after setup (exit ${first.status}): ${first.stderr.trim().slice(0, 400)}` };
  }
  return { env: { OIDC_SOCK: socket }, command: 'oidc-token bench', stop };
}
