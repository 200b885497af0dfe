// Stand-in for GitHub (Enterprise Server layout: OAuth at the host, REST under /api/v3). Sources, as collected
// in ../shared/notes/providers.md (repo github/docs unless noted):
//   H1 authorizing-oauth-apps   H2 troubleshooting-oauth-app-access-token-request-errors
//   H3 troubleshooting-authorization-request-errors   H4 scopes-for-oauth-apps   V product.yml (GHES URLs)
//   R1-R3 REST descriptions users/orgs/teams (api.github.com 2022-11-28)   C1 changelog 2025-07-14 (PKCE)
//   I1 octokit/auth-oauth-app.js#13 (errors come back with HTTP 200)
// Facts marked [mem] in providers.md are marked here too.

import {
  beginInteraction, devicePage, issueAccessToken, issueDeviceCode, loopbackRedirect, pollDevice, randomToken, redirect, send, takeCode,
  verifierMatches,
} from './common.mjs';

export const CLIENT_ID = 'Ov23liSignetStandin01'; // an OAuth app's client id
export const APP_CLIENT_ID = 'Iv23liSignetStandinApp'; // a GitHub App's client id: its user tokens expire (H1)
export const CLIENT_SECRET = 'standin-github-client-secret-0123456789abcdef';
// H1: the registered callback URL. A redirect_uri must have the same host and port — except on loopback, where
// the port may differ — and a path that is the callback's or below it.
export const CALLBACK = 'http://127.0.0.1/callback';

const org = (login, id) => ({ login, id, node_id: `O_${id}`, url: `https://api.github.com/orgs/${login}`, description: null });
const membership = (o, state, role = 'member') => ({ url: `https://api.github.com/orgs/${o.login}/memberships/x`, state, role, organization_url: o.url, organization: o });
const ACME = org('signet-corp', 9919);
const OTHER = org('other-org', 4242);

// Users. Logins double as the login form's account; passwords are the login (like the demo users).
export const USERS = {
  octocat: { id: 583231, login: 'octocat', name: 'The Octocat', publicEmail: 'octocat@users.noreply.github.com',
    emails: [{ email: 'octocat@corp.example', verified: true, primary: true, visibility: 'private' }, { email: 'cat@home.example', verified: true, primary: false, visibility: null }],
    memberships: [membership(ACME, 'active')], teams: [{ org: ACME, slug: 'desktop', name: 'Desktop' }] },
  // The primary address is unverified; a secondary one is verified but is not the primary.
  nova: { id: 1000001, login: 'nova', name: null, publicEmail: 'boss@corp.example',
    emails: [{ email: 'nova@corp.example', verified: false, primary: true, visibility: 'public' }, { email: 'nova@verified.example', verified: true, primary: false, visibility: null }],
    memberships: [membership(ACME, 'active')], teams: [] },
  // Invited to the organisation, invitation not accepted yet (R2: state pending).
  pending: { id: 1000002, login: 'pending', name: 'Pat Pending',
    emails: [{ email: 'pending@corp.example', verified: true, primary: true, visibility: null }],
    memberships: [membership(ACME, 'pending')], teams: [] },
  outsider: { id: 1000003, login: 'outsider', name: 'Olli Outsider',
    emails: [{ email: 'outsider@elsewhere.example', verified: true, primary: true, visibility: null }],
    memberships: [membership(OTHER, 'active')], teams: [] },
};

// H2, I1: token errors are JSON objects with HTTP 200 (when JSON was asked for).
function tokenError(response, json, error, description) {
  const body = { error, error_description: description, error_uri: `https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors/#${error.replaceAll('_', '-')}` };
  return tokenAnswer(response, json, body);
}

// H1: form-encoded unless Accept asks for JSON.
function tokenAnswer(response, json, body) {
  if (json) return send(response, 200, body);
  response.writeHead(200, { 'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8', 'Cache-Control': 'no-store' });
  response.end(new URLSearchParams(body).toString());
}

function apiError(response, status, message) {
  send(response, status, { message, documentation_url: 'https://docs.github.com/rest', status: String(status) });
}

export const provider = {
  title: 'Sign in to GitHub',
  users: USERS,
  // H3: access_denied redirects to the callback with error, error_description, error_uri and state.
  deniedParameters: (request) => ({
    error: 'access_denied', error_description: 'The user has denied your application access.',
    error_uri: 'https://docs.github.com/apps/managing-oauth-apps/troubleshooting-authorization-request-errors/#access-denied', state: request.state,
  }),

  async routes(context) {
    return async (request, response, url, form) => {
      if (url.pathname === '/login/oauth/authorize' && request.method === 'GET') {
        const q = Object.fromEntries(url.searchParams);
        if (q.client_id !== CLIENT_ID && q.client_id !== APP_CLIENT_ID) {
          send(response, 404, '<!DOCTYPE html><title>Not Found</title><p id="idp-error">Not Found</p>');
          return true;
        }
        const registered = new URL(CALLBACK);
        const back = q.redirect_uri ? loopbackRedirect(q.redirect_uri, { hosts: ['127.0.0.1', '[::1]'] }) : registered;
        const pathOk = back && (back.pathname === registered.pathname || back.pathname.startsWith(`${registered.pathname}/`));
        if (!back || back.hostname !== registered.hostname || !pathOk) {
          // H3: redirect_uri_mismatch goes to the registered callback, not to the URI that was asked for.
          registered.search = new URLSearchParams({ error: 'redirect_uri_mismatch', error_description: 'The redirect_uri MUST match the registered callback URL for this application.', error_uri: 'https://docs.github.com/apps/managing-oauth-apps/troubleshooting-authorization-request-errors/#redirect-uri-mismatch', state: q.state ?? '' }).toString();
          redirect(response, registered.href);
          return true;
        }
        // H1: "Must be S256 - the plain ... is not supported".
        if (q.code_challenge && q.code_challenge_method !== 'S256') {
          back.search = new URLSearchParams({ error: 'invalid_request', error_description: 'code_challenge_method must be S256', state: q.state ?? '' }).toString();
          redirect(response, back.href);
          return true;
        }
        beginInteraction(context, provider, response, { ...q, redirect_uri: back.href });
        return true;
      }
      // H1, device flow: no client secret, no PKCE (C1); errors with HTTP 200.
      if (url.pathname === '/login/device/code' && request.method === 'POST') {
        const json = (request.headers.accept ?? '').includes('application/json');
        if (form.client_id !== CLIENT_ID && form.client_id !== APP_CLIENT_ID) return tokenError(response, json, 'incorrect_client_credentials', 'The client_id is not valid.'), true;
        const { deviceCode, entry } = issueDeviceCode(context, form, { expiresIn: 900, interval: 5 });
        tokenAnswer(response, json, { device_code: deviceCode, user_code: entry.userCode, verification_uri: `${context.base}/login/device`, expires_in: entry.expiresIn, interval: entry.interval });
        return true;
      }
      if (url.pathname === '/login/device') {
        devicePage(response, { title: 'Device activation' });
        return true;
      }
      if (url.pathname === '/login/oauth/access_token' && request.method === 'POST' && form.grant_type === 'urn:ietf:params:oauth:grant-type:device_code') {
        const json = (request.headers.accept ?? '').includes('application/json');
        const result = pollDevice(context, form.device_code);
        if (result === 'pending') return tokenError(response, json, 'authorization_pending', 'The authorization request is still pending.'), true;
        if (result === 'slow_down') {
          // H1: "The error response includes the new interval".
          const entry = context.devices.get(form.device_code);
          return tokenAnswer(response, json, { error: 'slow_down', error_description: 'Too many requests have been made in the same timeframe.', interval: entry.interval }), true;
        }
        if (result === 'denied') return tokenError(response, json, 'access_denied', 'The authorization request was denied.'), true;
        if (result === 'expired') return tokenError(response, json, 'expired_token', 'The device_code has expired.'), true;
        if (typeof result === 'string') return tokenError(response, json, 'incorrect_device_code', 'The device_code provided is not valid.'), true;
        const scopes = (result.entry.request.scope ?? '').split(/[ ,]+/).filter(Boolean);
        const token = issueAccessToken(context, { user: result.user, scopes, prefix: 'gho_' });
        tokenAnswer(response, json, { access_token: token, scope: scopes.join(','), token_type: 'bearer' });
        return true;
      }
      if (url.pathname === '/login/oauth/access_token' && request.method === 'POST') {
        const json = (request.headers.accept ?? '').includes('application/json');
        const clientId = form.client_id;
        if ((clientId !== CLIENT_ID && clientId !== APP_CLIENT_ID) || form.client_secret !== CLIENT_SECRET) {
          return tokenError(response, json, 'incorrect_client_credentials', 'The client_id and/or client_secret passed are incorrect.'), true;
        }
        const { entry, problem } = takeCode(context, form.code);
        if (problem) return tokenError(response, json, 'bad_verification_code', 'The code passed is incorrect or expired.'), true;
        const req = entry.request;
        if (form.redirect_uri !== undefined && form.redirect_uri !== req.redirect_uri) {
          return tokenError(response, json, 'redirect_uri_mismatch', 'The redirect_uri MUST match the registered callback URL for this application.'), true;
        }
        // C1: PKCE is optional, but a challenge that was sent must be answered. (The error code GitHub
        // uses here is not documented; bad_verification_code is the closest documented one.)
        if (req.code_challenge && !verifierMatches(form.code_verifier, req.code_challenge)) {
          return tokenError(response, json, 'bad_verification_code', 'The code_verifier does not match the code_challenge.'), true;
        }
        const scopes = (req.scope ?? '').split(/[ ,]+/).filter(Boolean);
        const token = issueAccessToken(context, { user: entry.user, scopes, prefix: clientId === APP_CLIENT_ID ? 'ghu_' : 'gho_' });
        // H1: scope comma-separated, token_type lowercase "bearer".
        const body = { access_token: token, scope: scopes.join(','), token_type: 'bearer' };
        if (clientId === APP_CLIENT_ID) {
          Object.assign(body, { expires_in: 28800, refresh_token: context.remember(`ghr_${randomToken(56)}`), refresh_token_expires_in: 15897600 });
        }
        tokenAnswer(response, json, body);
        return true;
      }

      // ---- REST API, GHES layout (V): /api/v3 -----------------------------------------------------------
      if (!url.pathname.startsWith('/api/v3/')) return false;
      // R4: DELETE /applications/{client_id}/token, Basic auth with the app's client id and secret, JSON body.
      const revoke = /^\/api\/v3\/applications\/([^/]+)\/token$/.exec(url.pathname);
      if (revoke && request.method === 'DELETE') {
        const basic = /^Basic (\S+)$/i.exec(request.headers.authorization ?? '');
        const [id, secret] = basic ? Buffer.from(basic[1], 'base64').toString('utf8').split(':') : [];
        if (!basic || decodeURIComponent(revoke[1]) !== id || ![CLIENT_ID, APP_CLIENT_ID].includes(id) || secret !== CLIENT_SECRET) {
          return apiError(response, 404, 'Not Found'), true;
        }
        if (!form.access_token || !context.tokens.delete(form.access_token)) return apiError(response, 422, 'Validation Failed'), true;
        response.writeHead(204);
        response.end();
        return true;
      }
      const auth = /^(?:Bearer|token) (\S+)$/i.exec(request.headers.authorization ?? '');
      const grant = auth && context.tokens.get(auth[1]);
      if (!grant) return apiError(response, 401, auth ? 'Bad credentials' : 'Requires authentication'), true;
      const has = (...needed) => needed.some((s) => grant.scopes.includes(s));
      const headers = { 'X-OAuth-Scopes': grant.scopes.join(', '), 'X-GitHub-Media-Type': 'github.v3; format=json' };
      const u = grant.user;
      const path = url.pathname.slice('/api/v3'.length);
      if (path === '/user') {
        send(response, 200, {
          login: u.login, id: u.id, node_id: `U_${u.id}`, avatar_url: `https://avatars.githubusercontent.com/u/${u.id}?v=4`, gravatar_id: '',
          url: `https://api.github.com/users/${u.login}`, html_url: `https://github.com/${u.login}`, type: 'User', site_admin: false,
          name: u.name, company: null, blog: '', location: null, email: u.publicEmail ?? null, hireable: null, bio: null,
          public_repos: 8, public_gists: 8, followers: 20, following: 0, created_at: '2011-01-25T18:44:36Z', updated_at: '2025-11-01T12:00:00Z',
        }, headers);
        return true;
      }
      if (path === '/user/emails') {
        // R1, H4: needs user:email (or user). [mem] GitHub answers 404 without it.
        if (!has('user:email', 'user')) return apiError(response, 404, 'Not Found'), true;
        send(response, 200, u.emails, headers);
        return true;
      }
      if (path === '/user/memberships/orgs') {
        if (!has('read:org', 'user', 'repo')) return apiError(response, 403, 'You need at least read:org scope or user scope to list your organization memberships.'), true;
        const state = url.searchParams.get('state'); // R2: active|pending; both when absent
        send(response, 200, u.memberships.filter((m) => !state || m.state === state).map((m) => ({ ...m, user: { login: u.login, id: u.id } })), headers);
        return true;
      }
      if (path === '/user/teams') {
        if (!has('read:org', 'user', 'repo')) return apiError(response, 403, 'Resource not accessible by integration'), true;
        send(response, 200, u.teams.map((t, i) => ({
          id: 100 + i, node_id: `T_${100 + i}`, url: `https://api.github.com/teams/${100 + i}`, name: t.name, slug: t.slug, description: null,
          privacy: 'closed', permission: 'pull', parent: null, members_count: 3, repos_count: 1, organization: t.org,
        })), headers);
        return true;
      }
      return apiError(response, 404, 'Not Found'), true;
    };
  },
};
