// Stand-in for Google's OpenID Connect endpoints (accounts.google.com, oauth2.googleapis.com,
// openidconnect.googleapis.com). Sources, as collected in ../shared/notes/providers.md
// (developers.google.com/identity/...):
//   O1 openid-connect/reference   O2 openid-connect/openid-connect   O3 gsi/web/guides/verify-google-id-token
//   N1 protocols/oauth2/native-app   W1 protocols/oauth2/web-server   P1 google-api-python-client oauth-installed
//   D1 protocols/oauth2/limited-input-device
// One server plays all three hosts; Signet's `issuer` for the provider points here.

import {
  beginInteraction, bearer, devicePage, errorPage, issueAccessToken, issueDeviceCode, loopbackRedirect, nowSeconds, pollDevice,
  randomToken, redirect, send, takeCode, verifierMatches,
} from './common.mjs';

export const CLIENT_ID = '284813307311-s1gn3tdemo0000000000000000000.apps.googleusercontent.com';
// P1: a desktop client's secret "is obviously not treated as a secret"; still never printed by Signet.
export const CLIENT_SECRET = 'GOCSPX-standin-desktop-secret-0001';
// D1: the device flow needs a client of the type "TVs and Limited Input devices", with its own secret.
export const DEVICE_CLIENT_ID = '284813307311-s1gn3ttv00000000000000000000.apps.googleusercontent.com';
export const DEVICE_CLIENT_SECRET = 'GOCSPX-standin-device-secret-0002';
// D1: the only scopes a device client may ask for (besides Drive and YouTube ones).
const DEVICE_SCOPES = ['openid', 'email', 'profile'];

// Users: `hd` only for Workspace accounts (O2: absence means a consumer account).
export const USERS = {
  'ann@corp.example': { sub: '110169484474386276334', name: 'Ann Example', hd: 'corp.example', email: 'ann@corp.example', emailVerified: true },
  'gus@gmail.example': { sub: '110248495921238986420', name: 'Gus Consumer', email: 'gus@gmail.example', emailVerified: true },
  'otto@other.example': { sub: '109876543210987654321', name: 'Otto Other', hd: 'other.example', email: 'otto@other.example', emailVerified: true },
  'uma@corp.example': { sub: '108765432109876543210', name: 'Uma Unverified', hd: 'corp.example', email: 'uma@corp.example', emailVerified: false },
  // O3: iss may also be "accounts.google.com" (legacy, without the scheme).
  'leo@corp.example': { sub: '107654321098765432109', name: 'Leo Legacy', hd: 'corp.example', email: 'leo@corp.example', emailVerified: true, legacyIssuer: true },
  // O2's payload example writes email_verified as the string "true".
  'sam@corp.example': { sub: '106543210987654321098', name: 'Sam String', hd: 'corp.example', email: 'sam@corp.example', emailVerified: 'true' },
};

const SCOPE_URLS = { email: 'https://www.googleapis.com/auth/userinfo.email', profile: 'https://www.googleapis.com/auth/userinfo.profile' };

const googleError = (response, status, error, description) => send(response, status, { error, error_description: description });

// N1: the token response; an ID token when openid was asked for, a refresh token with access_type=offline
// (always for the device flow, D1).
function tokenAnswer(context, response, req, u, audience) {
  const base = context.base;
  const scopes = (req.scope ?? '').split(' ').filter(Boolean);
  const now = nowSeconds();
  const claims = {
    iss: u.legacyIssuer ? base.replace(/^https?:\/\//, '') : base, azp: audience, aud: audience, sub: u.sub,
    iat: now, exp: now + 3599,
  };
  if (req.nonce !== undefined) claims.nonce = req.nonce;
  if (u.hd) claims.hd = u.hd;
  if (scopes.includes('email')) Object.assign(claims, { email: u.email, email_verified: u.emailVerified });
  if (scopes.includes('profile')) Object.assign(claims, { name: u.name, given_name: u.name.split(' ')[0], family_name: u.name.split(' ')[1], picture: `${base}/photo/${u.sub}.png` });
  const granted = scopes.map((s) => SCOPE_URLS[s] ?? s);
  const body = {
    access_token: issueAccessToken(context, { user: u, scopes: granted, prefix: 'ya29.' }),
    expires_in: 3599, scope: granted.join(' '), token_type: 'Bearer',
  };
  if (scopes.includes('openid')) body.id_token = context.remember(context.signer.token(claims));
  if (req.access_type === 'offline') {
    body.refresh_token = context.remember(`1//0${randomToken(40)}`);
    context.refreshTokens ??= new Map();
    context.refreshTokens.set(body.refresh_token, body.access_token);
    context.refreshGrants ??= new Map();
    context.refreshGrants.set(body.refresh_token, { user: u, scopes: granted });
  }
  send(response, 200, body);
}

export const provider = {
  title: 'Sign in - Google Accounts',
  users: USERS,
  deniedParameters: (request) => ({ error: 'access_denied', state: request.state }),

  async routes(context) {
    return async (request, response, url, form) => {
      const base = context.base;
      if (url.pathname === '/.well-known/openid-configuration') {
        // O1 (values as the live document; the endpoints here are this server's).
        send(response, 200, {
          issuer: base,
          authorization_endpoint: `${base}/o/oauth2/v2/auth`,
          device_authorization_endpoint: `${base}/device/code`,
          token_endpoint: `${base}/token`,
          userinfo_endpoint: `${base}/v1/userinfo`,
          revocation_endpoint: `${base}/revoke`,
          jwks_uri: `${base}/oauth2/v3/certs`,
          response_types_supported: ['code', 'token', 'id_token', 'code token', 'code id_token', 'token id_token', 'code token id_token', 'none'],
          subject_types_supported: ['public'],
          id_token_signing_alg_values_supported: ['RS256'],
          scopes_supported: ['openid', 'email', 'profile'],
          token_endpoint_auth_methods_supported: ['client_secret_post', 'client_secret_basic'],
          claims_supported: ['aud', 'email', 'email_verified', 'exp', 'family_name', 'given_name', 'iat', 'iss', 'name', 'picture', 'sub'],
          code_challenge_methods_supported: ['plain', 'S256'],
          grant_types_supported: ['authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code', 'urn:ietf:params:oauth:grant-type:jwt-bearer'],
        });
        return true;
      }
      if (url.pathname === '/oauth2/v3/certs') {
        send(response, 200, context.signer.jwks);
        return true;
      }
      if (url.pathname === '/o/oauth2/v2/auth' && request.method === 'GET') {
        const q = Object.fromEntries(url.searchParams);
        if (q.client_id !== CLIENT_ID) {
          errorPage(response, 401, 'Error 401: invalid_client. The OAuth client was not found.');
          return true;
        }
        // N1: loopback IP (or localhost) with any port chosen at run time.
        const back = loopbackRedirect(q.redirect_uri);
        if (!back) {
          errorPage(response, 400, 'Error 400: redirect_uri_mismatch. You can\'t sign in to this app because it doesn\'t comply with Google\'s OAuth 2.0 policy.');
          return true;
        }
        const fail = (error) => {
          back.search = new URLSearchParams({ error, state: q.state ?? '' }).toString();
          redirect(response, back.href);
          return true;
        };
        if (q.response_type !== 'code') return fail('unsupported_response_type');
        // W1: access_type is online (default) or offline.
        if (q.access_type && !['online', 'offline'].includes(q.access_type)) {
          errorPage(response, 400, `Error 400: invalid_request. Invalid access_type: ${q.access_type}`);
          return true;
        }
        // N1: code_challenge_method defaults to plain.
        if (q.code_challenge && !['S256', 'plain'].includes(q.code_challenge_method ?? 'plain')) {
          errorPage(response, 400, 'Error 400: invalid_request. Invalid code_challenge_method.');
          return true;
        }
        beginInteraction(context, provider, response, q);
        return true;
      }
      if (url.pathname === '/device/code' && request.method === 'POST') {
        if (form.client_id === CLIENT_ID) return googleError(response, 401, 'invalid_client', 'Invalid client type.'), true;
        if (form.client_id !== DEVICE_CLIENT_ID) return googleError(response, 401, 'invalid_client', 'The OAuth client was not found.'), true;
        const scopes = (form.scope ?? '').split(' ').filter(Boolean);
        if (scopes.some((s) => !DEVICE_SCOPES.includes(s))) return googleError(response, 400, 'invalid_scope', 'Invalid device flow scope.'), true;
        const { deviceCode, entry } = issueDeviceCode(context, { ...form, access_type: 'offline' }, { expiresIn: 1800, interval: 5 });
        // D1: verification_url, not RFC 8628's verification_uri.
        send(response, 200, { device_code: deviceCode, user_code: entry.userCode, verification_url: `${base}/device`, expires_in: entry.expiresIn, interval: entry.interval });
        return true;
      }
      if (url.pathname === '/device') {
        devicePage(response, { title: 'Connect a device' });
        return true;
      }
      if (url.pathname === '/token' && request.method === 'POST' && form.grant_type === 'urn:ietf:params:oauth:grant-type:device_code') {
        // D1: client_secret is required when polling; the status codes of the table in D1.
        if (form.client_id !== DEVICE_CLIENT_ID || form.client_secret !== DEVICE_CLIENT_SECRET) return googleError(response, 401, 'invalid_client', 'Unauthorized'), true;
        const result = pollDevice(context, form.device_code);
        if (result === 'pending') return googleError(response, 428, 'authorization_pending', 'Precondition Required'), true;
        if (result === 'slow_down') return googleError(response, 403, 'slow_down', 'Forbidden'), true;
        if (result === 'denied') return googleError(response, 403, 'access_denied', 'Forbidden'), true;
        if (result === 'expired') return googleError(response, 400, 'expired_token', 'Bad Request'), true;
        if (typeof result === 'string') return googleError(response, 400, 'invalid_grant', 'Bad Request'), true;
        return tokenAnswer(context, response, { ...result.entry.request, nonce: undefined }, result.user, DEVICE_CLIENT_ID), true;
      }
      if (url.pathname === '/token' && request.method === 'POST') {
        if (form.client_id !== CLIENT_ID) return googleError(response, 401, 'invalid_client', 'The OAuth client was not found.'), true;
        // Desktop clients are issued a secret and exchanges without it were refused (P1; see providers.md).
        if (form.client_secret === undefined) return googleError(response, 400, 'invalid_request', 'client_secret is missing.'), true;
        if (form.client_secret !== CLIENT_SECRET) return googleError(response, 401, 'invalid_client', 'Unauthorized'), true;
        if (form.grant_type === 'refresh_token') {
          // N1 "Refreshing an access token": a new access token (and ID token), no new refresh token.
          const access = context.refreshTokens?.get(form.refresh_token);
          const grant = access !== undefined ? context.refreshGrants?.get(form.refresh_token) : undefined;
          if (!grant) return googleError(response, 400, 'invalid_grant', 'Token has been expired or revoked.'), true;
          context.tokens.delete(access);
          const token = issueAccessToken(context, { user: grant.user, scopes: grant.scopes, prefix: 'ya29.' });
          context.refreshTokens.set(form.refresh_token, token);
          send(response, 200, { access_token: token, expires_in: 3599, scope: grant.scopes.join(' '), token_type: 'Bearer' });
          return true;
        }
        if (form.grant_type !== 'authorization_code') return googleError(response, 400, 'unsupported_grant_type', 'Invalid grant_type: ' + form.grant_type), true;
        const { entry, problem } = takeCode(context, form.code);
        if (problem) return googleError(response, 400, 'invalid_grant', 'Bad Request'), true;
        const req = entry.request;
        if (form.redirect_uri !== req.redirect_uri) return googleError(response, 400, 'redirect_uri_mismatch', 'Bad Request'), true;
        if (req.code_challenge) {
          const ok = (req.code_challenge_method ?? 'plain') === 'S256' ? verifierMatches(form.code_verifier, req.code_challenge) : form.code_verifier === req.code_challenge;
          if (!ok) return googleError(response, 400, 'invalid_grant', 'Invalid code verifier.'), true;
        }
        tokenAnswer(context, response, req, entry.user, CLIENT_ID);
        return true;
      }
      if (url.pathname === '/v1/userinfo') {
        const grant = context.tokens.get(bearer(request) ?? '');
        if (!grant) {
          send(response, 401, { error: 'invalid_request', error_description: 'Invalid Credentials' }, { 'WWW-Authenticate': 'Bearer realm="https://accounts.google.com/", error="invalid_token"' });
          return true;
        }
        const u = grant.user;
        const body = { sub: u.sub, name: u.name, given_name: u.name.split(' ')[0], family_name: u.name.split(' ')[1], picture: `${base}/photo/${u.sub}.png`, email: u.email, email_verified: u.emailVerified === true };
        if (u.hd) body.hd = u.hd;
        send(response, 200, body);
        return true;
      }
      if (url.pathname === '/revoke' && request.method === 'POST') {
        // N1: token in a form body (or the query); 200 on success, 400 invalid_token otherwise.
        // Revoking a refresh token ends the grant, its access tokens included.
        const token = form.token ?? url.searchParams.get('token');
        const accessOfRefresh = context.refreshTokens?.get(token);
        if (accessOfRefresh !== undefined) {
          context.refreshTokens.delete(token);
          context.tokens.delete(accessOfRefresh);
        } else if (!token || !context.tokens.delete(token)) {
          return googleError(response, 400, 'invalid_token', 'Token expired or revoked'), true;
        }
        send(response, 200, {});
        return true;
      }
      return false;
    };
  },
};
