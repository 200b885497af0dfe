// Stand-in for Microsoft Entra ID (identity platform v2.0) and the parts of Microsoft Graph Signet calls.
// Sources, as collected in ../shared/notes/providers.md (learn.microsoft.com/entra/identity-platform/...):
//   E1 v2-oauth2-auth-code-flow   E2 v2-protocols-oidc   E5 id-token-claims-reference   E6 access-tokens
//   E3 v2-oauth2-device-code      E7 optional-claims-reference  E8 reply-url
//   G1 Graph user-get  G2 profilephoto-get  G3 errors
// The authority host and Graph are both this server: Signet's authority_host and graph_url point here.

import { createHash, randomUUID } from 'node:crypto';

import {
  beginInteraction, bearer, devicePage, errorPage, issueAccessToken, issueDeviceCode, loopbackRedirect, nowSeconds, pollDevice,
  randomToken, redirect, send, takeCode, verifierMatches,
} from './common.mjs';

export const CLIENT_ID = '6731de76-14a6-49ae-97bc-6eba6914391e'; // an application (client) id: a GUID
// The redirect URIs registered for the application (E8: the port of a loopback URI is ignored, the path is
// matched). One per provider id the tests configure, as an administrator would register each.
export const REDIRECT_PATHS = ['/callback/entra', '/callback/entra-any', '/callback/entra-corp', '/callback/entra-common', '/callback/entra-personal'];
export const PERSONAL = '9188040d-6c67-4c5b-b112-36a304b66dad'; // E1, E2, E5: tid of personal accounts

export const TENANTS = {
  corp: { id: '3f1c2a6e-8d4b-4c1e-9a2f-5b7d9e0c1a23', domains: ['corp.example', 'corpexample.onmicrosoft.com'] },
  partner: { id: '7b6a5c4d-3e2f-4a1b-9c8d-0e1f2a3b4c5d', domains: ['partner.example'] },
  evil: { id: 'a9e8d7c6-b5a4-4321-8fed-cba987654321', domains: ['evil.example'] },
};

// A 1×1 PNG: the photo of the one user who has one.
export const PHOTO = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');

// Users. `email` is what the optional email claim carries; `xmsEdov` the optional claim E7 describes; `mail` and
// `upn` what Graph's user object has (G1).
const user = (fields) => ({ userType: 'Member', roles: [], groups: [], ...fields });
export const USERS = {
  'adele@corp.example': user({ tenant: 'corp', oid: 'b1e7a6c0-1d2e-4f3a-8b9c-0d1e2f3a4b5c', name: 'Adele Vance', upn: 'adele@corp.example',
    mail: 'adele@corp.example', email: 'adele@corp.example', xmsEdov: true, roles: ['Signet.Admin'], groups: ['0f8a2c1e-aaaa-4bbb-8ccc-111111111111'],
    photo: PHOTO }),
  'ben@corp.example': user({ tenant: 'corp', oid: 'c2f8b7d1-2e3f-4a4b-9cad-1e2f3a4b5c6d', name: 'Ben Miller', upn: 'ben@corp.example',
    mail: 'Ben@Corp.example' }),
  'nomail@corp.example': user({ tenant: 'corp', oid: 'd3a9c8e2-3f4a-4b5c-8dbe-2f3a4b5c6d7e', name: 'No Mail', upn: 'nomail@corp.example', mail: null }),
  // A guest: Entra sends the email claim by default for guests (E5), and the UPN is the mangled #EXT# form.
  'gina@home.example': user({ tenant: 'corp', oid: 'e4b0d9f3-4a5b-4c6d-9ecf-3a4b5c6d7e8f', name: 'Gina Guest', userType: 'Guest',
    upn: 'gina_home.example#EXT#@corpexample.onmicrosoft.com', mail: 'gina@home.example', email: 'gina@home.example' }),
  // nOAuth: the administrator of another tenant sets any address they like, without xms_edov.
  'mallory@evil.example': user({ tenant: 'evil', oid: 'f5c1e0a4-5b6c-4d7e-8fa0-4b5c6d7e8f90', name: 'Adele Vance', upn: 'mallory@evil.example',
    mail: 'adele@corp.example', email: 'adele@corp.example' }),
  'pat@partner.example': user({ tenant: 'partner', oid: '06d2f1b5-6c7d-4e8f-9ab1-5c6d7e8f9a01', name: 'Pat Partner', upn: 'pat@partner.example',
    mail: 'pat@partner.example', email: 'pat@partner.example', xmsEdov: true }),
  'max@outlook.example': user({ tenant: null, oid: '00000000-0000-0000-66f3-3332eca7ea81', name: 'Max Personal', upn: 'max@outlook.example',
    mail: 'max@outlook.example', email: 'max@outlook.example' }),
  // More than 200 groups: E5's overage form instead of the groups claim.
  'olga@corp.example': user({ tenant: 'corp', oid: '17e3a2c6-7d8e-4f90-8bc2-6d7e8f9a0b12', name: 'Olga Overage', upn: 'olga@corp.example',
    mail: 'olga@corp.example', overage: true }),
};

const tenantIdOf = (u) => (u.tenant ? TENANTS[u.tenant].id : PERSONAL);

// E1 error response shape: error, AADSTS description, error_codes, timestamp, trace and correlation ids.
function aadError(response, status, error, code, text) {
  const timestamp = new Date().toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
  const trace = randomUUID();
  const correlation = randomUUID();
  send(response, status, {
    error,
    error_description: `AADSTS${code}: ${text}\r\nTrace ID: ${trace}\r\nCorrelation ID: ${correlation}\r\nTimestamp: ${timestamp}`,
    error_codes: [code], timestamp, trace_id: trace, correlation_id: correlation,
    error_uri: `https://login.microsoftonline.com/error?code=${code}`,
  });
}

// G3 error shape.
function graphError(response, status, code, message) {
  send(response, status, { error: { code, message, innerError: { 'request-id': randomUUID(), date: new Date().toISOString() } } });
}

// {tenant} path segment (E1, E2): common, organizations, consumers, a tenant GUID or one of its domains.
function resolveTenant(segment) {
  const s = segment.toLowerCase();
  if (['common', 'organizations', 'consumers'].includes(s)) return { kind: s };
  if (s === PERSONAL) return { kind: 'consumers' };
  for (const tenant of Object.values(TENANTS)) {
    if (tenant.id === s || tenant.domains.includes(s)) return { kind: 'tenant', id: tenant.id };
  }
  return null;
}

function issuerFor(base, tenant) {
  // E6: the tenant-independent documents name the literal template {tenantid}.
  if (tenant.kind === 'common' || tenant.kind === 'organizations') return `${base}/{tenantid}/v2.0`;
  if (tenant.kind === 'consumers') return `${base}/${PERSONAL}/v2.0`;
  return `${base}/${tenant.id}/v2.0`;
}

// Which accounts a {tenant} segment admits: AADSTS50020 (user from another tenant), and organizations/consumers.
function tenantAdmits(tenant, u) {
  if (tenant.kind === 'common') return true;
  if (tenant.kind === 'organizations') return u.tenant !== null;
  if (tenant.kind === 'consumers') return u.tenant === null;
  return tenantIdOf(u) === tenant.id;
}

export const provider = {
  title: 'Sign in to your account',
  users: USERS,
  deniedParameters: (request) => ({
    error: 'access_denied', error_description: 'AADSTS65004: User declined to consent to access the app.', state: request.state,
  }),

  async routes(context) {
    return async (request, response, url, form) => {
      const base = context.base;
      const parts = url.pathname.split('/').filter(Boolean);

      // ---- Microsoft Graph (G1, G2) ----------------------------------------------------------------------
      if (parts[0] === 'v1.0' || parts[0] === 'oidc') {
        const token = bearer(request);
        const grant = token && context.tokens.get(token);
        if (!token) { graphError(response, 401, 'InvalidAuthenticationToken', 'Access token is empty.'); return true; }
        if (!grant) { graphError(response, 401, 'InvalidAuthenticationToken', 'Access token validation failure. Invalid audience.'); return true; }
        const u = grant.user;
        if (url.pathname === '/oidc/userinfo') {
          send(response, 200, { sub: grant.sub, name: u.name, email: u.email ?? undefined });
          return true;
        }
        if (!grant.scopes.some((s) => s.toLowerCase() === 'user.read')) {
          graphError(response, 403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.');
          return true;
        }
        if (url.pathname === '/v1.0/me') {
          const all = {
            '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#users/$entity',
            businessPhones: [], displayName: u.name, givenName: u.name.split(' ')[0], jobTitle: null, mail: u.mail, mobilePhone: null,
            officeLocation: null, preferredLanguage: 'en-US', surname: u.name.split(' ').slice(1).join(' ') || null,
            userPrincipalName: u.upn, id: u.oid, userType: u.userType,
          };
          // $select: only the named properties (plus the OData context), as Graph does.
          const select = url.searchParams.get('$select');
          const body = select ? Object.fromEntries(Object.entries(all).filter(([k]) => k.startsWith('@') || select.split(',').includes(k))) : all;
          if (!select) delete body.userType; // not a default property (G1)
          send(response, 200, body);
          return true;
        }
        if (url.pathname === '/v1.0/organization') {
          if (u.tenant === null) { graphError(response, 403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.'); return true; }
          const t = TENANTS[u.tenant];
          send(response, 200, {
            '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#organization(id,verifiedDomains)',
            value: [{ id: t.id, verifiedDomains: t.domains.map((name, i) => ({ capabilities: 'Email, OfficeCommunicationsOnline', isDefault: i === 0, isInitial: name.endsWith('.onmicrosoft.com'), name, type: 'Managed' })) }],
          });
          return true;
        }
        // G2: the bytes, or 404 ImageNotFound when the user has no photo; /photos/{size}/$value for a size.
        if (url.pathname === '/v1.0/me/photo/$value' || /^\/v1\.0\/me\/photos\/(48|64|96|120|240|360|432|504|648)x\1\/\$value$/.test(url.pathname)) {
          if (!u.photo) {
            graphError(response, 404, 'ImageNotFound', 'Exception of type \'Microsoft.Fast.Profile.Core.Exception.ImageNotFoundException\' was thrown.');
            return true;
          }
          response.writeHead(200, { 'Content-Type': 'image/png', 'Content-Length': u.photo.length });
          response.end(u.photo);
          return true;
        }
        return false;
      }

      if (url.pathname === '/devicelogin') {
        devicePage(response, { title: 'Enter code' });
        return true;
      }

      // ---- login.microsoftonline.com/{tenant}/... (E1, E2) -----------------------------------------------
      const tenant = parts[0] && resolveTenant(parts[0]);
      if (!tenant) {
        aadError(response, 400, 'invalid_tenant', 90002, `Tenant '${parts[0]}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`);
        return true;
      }
      const rest = `/${parts.slice(1).join('/')}`;
      const prefix = `${base}/${parts[0]}`;

      if (rest === '/v2.0/.well-known/openid-configuration') {
        send(response, 200, {
          token_endpoint: `${prefix}/oauth2/v2.0/token`,
          token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
          jwks_uri: `${prefix}/discovery/v2.0/keys`,
          response_modes_supported: ['query', 'fragment', 'form_post'],
          subject_types_supported: ['pairwise'],
          id_token_signing_alg_values_supported: ['RS256'],
          response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
          scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
          issuer: issuerFor(base, tenant),
          request_uri_parameter_supported: false,
          userinfo_endpoint: `${base}/oidc/userinfo`,
          authorization_endpoint: `${prefix}/oauth2/v2.0/authorize`,
          device_authorization_endpoint: `${prefix}/oauth2/v2.0/devicecode`,
          http_logout_supported: true,
          frontchannel_logout_supported: true,
          end_session_endpoint: `${prefix}/oauth2/v2.0/logout`,
          claims_supported: ['sub', 'iss', 'cloud_instance_name', 'aud', 'exp', 'iat', 'auth_time', 'acr', 'nonce', 'preferred_username', 'name', 'tid', 'ver', 'at_hash', 'c_hash', 'email'],
          tenant_region_scope: null,
          cloud_instance_name: 'microsoftonline.com',
        });
        return true;
      }
      if (rest === '/discovery/v2.0/keys') {
        send(response, 200, { keys: context.signer.jwks.keys.map((k) => ({ ...k, issuer: issuerFor(base, tenant) })) });
        return true;
      }
      if (rest === '/oauth2/v2.0/authorize' && request.method === 'GET') {
        const q = Object.fromEntries(url.searchParams);
        if (q.client_id !== CLIENT_ID) {
          errorPage(response, 400, `AADSTS700016: Application with identifier '${q.client_id}' was not found in the directory.`);
          return true;
        }
        // E8: for loopback redirect URIs the port is ignored when matching; the path must match.
        const back = loopbackRedirect(q.redirect_uri, { hosts: ['127.0.0.1', 'localhost'] });
        if (!back || !REDIRECT_PATHS.includes(back.pathname)) {
          errorPage(response, 400, `AADSTS50011: The redirect URI '${q.redirect_uri}' specified in the request does not match the redirect URIs configured for the application '${CLIENT_ID}'.`);
          return true;
        }
        const fail = (error, text) => {
          back.search = new URLSearchParams({ error, error_description: text, state: q.state ?? '' }).toString();
          redirect(response, back.href);
          return true;
        };
        if (q.response_type !== 'code') return fail('unsupported_response_type', 'AADSTS700054: response_type is not supported.');
        if (q.code_challenge && !['S256', 'plain'].includes(q.code_challenge_method ?? 'plain')) {
          return fail('invalid_request', 'AADSTS501491: Invalid size of Code_Challenge parameter.');
        }
        beginInteraction(context, provider, response, { ...q, tenant });
        return true;
      }
      if (rest === '/oauth2/v2.0/token' && request.method === 'POST') {
        if (form.client_id !== CLIENT_ID) return aadError(response, 400, 'unauthorized_client', 700016, `Application with identifier '${form.client_id}' was not found in the directory.`), true;
        // E1: public clients must not use secrets.
        if (form.client_secret !== undefined) return aadError(response, 401, 'invalid_client', 700025, 'Client is public so neither \'client_assertion\' nor \'client_secret\' should be presented.'), true;
        if (form.grant_type === 'authorization_code') {
          const { entry, problem } = takeCode(context, form.code);
          if (problem === 'unknown') return aadError(response, 400, 'invalid_grant', 9002313, 'Invalid request. Request is malformed or invalid.'), true;
          if (problem === 'used') return aadError(response, 400, 'invalid_grant', 54005, 'OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.'), true;
          if (problem === 'expired') return aadError(response, 400, 'invalid_grant', 70008, 'The provided authorization code or refresh token has expired due to inactivity.'), true;
          const req = entry.request;
          if (form.redirect_uri !== req.redirect_uri) return aadError(response, 400, 'invalid_grant', 50011, 'The redirect URI specified in the request does not match the redirect URI used to obtain the authorization code.'), true;
          if (req.code_challenge && !verifierMatches(form.code_verifier, req.code_challenge)) {
            return aadError(response, 400, 'invalid_grant', 501481, 'The Code_Verifier does not match the code_challenge supplied in the authorization request.'), true;
          }
          return tokenResponse(context, response, req, entry.user), true;
        }
        if (form.grant_type === 'refresh_token') {
          // E1: refresh_token, client_id, optional scope ("equivalent to or a subset of" the original for the same
          // resource; another resource's scopes give a token for that resource). No PKCE, no redirect_uri.
          const grant = context.entraRefresh?.get(form.refresh_token);
          if (!grant) return aadError(response, 400, 'invalid_grant', 9002313, 'Invalid request. Request is malformed or invalid.'), true;
          return tokenResponse(context, response, { ...grant.req, scope: form.scope ?? grant.req.scope, nonce: undefined, refreshing: true }, grant.user), true;
        }
        if (form.grant_type === 'urn:ietf:params:oauth:grant-type:device_code') {
          // E3: authorization_pending, authorization_declined (not access_denied), expired_token, bad_verification_code.
          const result = pollDevice(context, form.device_code);
          if (result === 'pending') return aadError(response, 400, 'authorization_pending', 70016, 'OAuth 2.0 device flow error. Authorization is pending. Continue polling.'), true;
          if (result === 'slow_down') return aadError(response, 400, 'slow_down', 70016, 'Polling too frequently.'), true;
          if (result === 'denied') return aadError(response, 400, 'authorization_declined', 70000, 'The user declined the sign-in.'), true;
          if (result === 'expired') return aadError(response, 400, 'expired_token', 70020, 'The provided value for the input parameter \'device_code\' is not valid. Device codes expire after 15 minutes.'), true;
          if (typeof result === 'string') return aadError(response, 400, 'bad_verification_code', 70019, 'Verification code expired or not recognized.'), true;
          return tokenResponse(context, response, { ...result.entry.request, nonce: undefined }, result.user), true;
        }
        return aadError(response, 400, 'unsupported_grant_type', 70003, 'The app requested an unsupported grant type.'), true;
      }
      // E3: the device code flow.
      if (rest === '/oauth2/v2.0/devicecode' && request.method === 'POST') {
        if (form.client_id !== CLIENT_ID) return aadError(response, 400, 'unauthorized_client', 700016, `Application with identifier '${form.client_id}' was not found in the directory.`), true;
        const { deviceCode, entry } = issueDeviceCode(context, { ...form, tenant }, { expiresIn: 900, interval: 5 });
        const verification = `${base}/devicelogin`;
        send(response, 200, {
          user_code: entry.userCode, device_code: deviceCode, verification_uri: verification, expires_in: entry.expiresIn, interval: entry.interval,
          message: `To sign in, use a web browser to open the page ${verification} and enter the code ${entry.userCode} to authenticate.`,
        });
        return true;
      }
      if (rest === '/oauth2/v2.0/logout') {
        send(response, 200, '<!DOCTYPE html><title>Signed out</title><p>You signed out of your account.</p>');
        return true;
      }
      return false;
    };

    function tokenResponse(ctx, response, req, u) {
      if (!tenantAdmits(req.tenant, u)) {
        return aadError(response, 400, 'invalid_grant', 50020, `User account '${u.upn}' from identity provider does not exist in tenant and cannot access the application '${CLIENT_ID}'.`);
      }
      const scopes = (req.scope ?? '').split(' ').filter(Boolean);
      const tid = tenantIdOf(u);
      const now = nowSeconds();
      // E5: sub is pairwise, per application.
      const sub = createHash('sha256').update(`${u.oid}:${CLIENT_ID}`).digest('base64url').slice(0, 43);
      const claims = {
        aud: CLIENT_ID, iss: `${ctx.base}/${tid}/v2.0`, iat: now, nbf: now, exp: now + 3600, sub, tid, ver: '2.0',
        nonce: req.nonce, aio: 'stand-in',
      };
      if (scopes.includes('profile')) Object.assign(claims, { name: u.name, oid: u.oid, preferred_username: u.upn });
      if (u.email && (scopes.includes('email') || u.userType === 'Guest')) {
        claims.email = u.email;
        if (u.xmsEdov !== undefined) claims.xms_edov = u.xmsEdov; // E7: only when email is present
      }
      if (u.roles.length) claims.roles = u.roles;
      if (u.overage) {
        claims._claim_names = { groups: 'src1' };
        claims._claim_sources = { src1: { endpoint: `https://graph.microsoft.com/v1.0/users/${u.oid}/getMemberObjects` } };
      } else if (u.groups.length) {
        claims.groups = u.groups;
      }
      const granted = scopes.filter((s) => s !== 'offline_access');
      const accessToken = issueAccessToken(ctx, { user: u, scopes: granted, sub });
      const body = { token_type: 'Bearer', scope: granted.join(' '), expires_in: 3599, ext_expires_in: 3599, access_token: accessToken };
      if (scopes.includes('offline_access') || req.refreshing) {
        // E1 "Refresh the access token": every refresh answers with a new refresh token; the one used stays valid
        // (Entra does not revoke it on use). Refresh tokens are not bound to a resource: the same one gets tokens
        // for other APIs ("multi-resource refresh token").
        body.refresh_token = ctx.remember(`0.A${randomToken(40)}`);
        (ctx.entraRefresh ??= new Map()).set(body.refresh_token, { req: { ...req, refreshing: undefined }, user: u });
      }
      if (scopes.includes('openid')) body.id_token = ctx.remember(ctx.signer.token(claims));
      return send(response, 200, body);
    }
  },
};
