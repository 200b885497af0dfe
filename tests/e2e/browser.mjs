#!/usr/bin/env node
// A $BROWSER-compatible driver: BROWSER=/path/to/tests/e2e/browser.mjs makes a program that "opens the
// system browser" start a real headless Chromium instead, which signs in at the demo provider
// (tests/idp/server.mjs) like a person would.
//
//   browser.mjs AUTHORIZATION_URL
//
// Environment:
//   SIGNET_TEST_USER              login (default alice@example.com)
//   SIGNET_TEST_PASSWORD          password (default: the demo password, i.e. the name before the @)
//   SIGNET_TEST_CONSENT           allow (default) | deny | cancel-login
//   SIGNET_TEST_CAPTURE_CALLBACK  a file: do not load the final loopback redirect, write its URL there
//                                 (mode 0600, no trailing newline, written atomically) and exit 0
//   SIGNET_TEST_TIMEOUT_MS        overall deadline (default 60000)
//   SIGNET_TEST_CHROMIUM          browser binary (default /usr/bin/chromium)
//
// Exit status: 0 when the loopback redirect was captured or answered, 1 on anything unexpected (the reason
// is on stderr), 2 on bad usage. Steps are logged on stderr. The callback URL carries the authorization
// code, a secret: it is never printed, and every message is scrubbed of query strings before printing.

import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, basename, join, resolve } from 'node:path';
import { chromium } from 'playwright-core';

const started = Date.now();
process.stderr.on('error', () => {}); // the caller may close our stderr: keep going

// Remove query strings, fragments and anything that looks like a code or token from text we print.
function scrub(text) {
  return String(text)
    .replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^\s?#"'<>]*)[?#][^\s"'<>]*/gi, '$1?…')
    .replace(/\b(code|state|access_token|refresh_token|id_token|code_verifier)=[^&\s"'<>]*/gi, '$1=…');
}
const log = (msg) => process.stderr.write(`browser.mjs: [${((Date.now() - started) / 1000).toFixed(1)}s] ${scrub(msg)}\n`);

class Failure extends Error {}

// ---------------------------------------------------------------------------------------------------------
// Arguments and settings

const [authUrlText, ...extra] = process.argv.slice(2);
if (!authUrlText || extra.length) {
  process.stderr.write('usage: browser.mjs AUTHORIZATION_URL (see the comment at the top of this file)\n');
  process.exit(2);
}
let authUrl;
try {
  authUrl = new URL(authUrlText);
  if (!['http:', 'https:'].includes(authUrl.protocol)) throw new Error('not http(s)');
} catch {
  process.stderr.write('browser.mjs: the argument is not an http(s) URL\n');
  process.exit(2);
}

const env = process.env;
const user = env.SIGNET_TEST_USER || 'alice@example.com';
// The demo users' passwords equal their short names (alice, bob, carol).
const password = env.SIGNET_TEST_PASSWORD ?? user.split('@')[0];
const consent = env.SIGNET_TEST_CONSENT || 'allow';
if (!['allow', 'deny', 'cancel-login'].includes(consent)) {
  process.stderr.write(`browser.mjs: SIGNET_TEST_CONSENT must be allow, deny or cancel-login, not '${consent}'\n`);
  process.exit(2);
}
const captureFile = env.SIGNET_TEST_CAPTURE_CALLBACK ? resolve(env.SIGNET_TEST_CAPTURE_CALLBACK) : null;
const timeoutMs = Number(env.SIGNET_TEST_TIMEOUT_MS || 60000);
const executablePath = env.SIGNET_TEST_CHROMIUM || '/usr/bin/chromium';

// The client's loopback redirect (RFC 8252): http on a loopback host, any port, path /callback/...
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);
function isCallback(urlText) {
  try {
    const u = new URL(urlText);
    return u.protocol === 'http:' && LOOPBACK_HOSTS.has(u.hostname) && u.pathname.startsWith('/callback/');
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Browser lifetime: a fresh profile in a temporary directory, which also serves as HOME and XDG dirs for
// Chromium so nothing lands in the real home; removed at exit whatever happens.

const profileDir = mkdtempSync(join(tmpdir(), 'signet-browser-'));
let context = null;

async function cleanup() {
  const ctx = context;
  context = null;
  if (ctx) await ctx.close().catch(() => {});
  rmSync(profileDir, { recursive: true, force: true });
}

let finishing = false;
async function finish(code, message) {
  if (finishing) return; // the deadline and the main flow can both get here
  finishing = true;
  if (message) log(message);
  clearTimeout(deadline);
  await cleanup();
  process.exit(code);
}

let stepNote = 'starting'; // what we were doing, for the timeout message
const deadline = setTimeout(() => {
  finish(1, `error: gave up after ${timeoutMs / 1000} s (${stepNote})`);
}, timeoutMs);
for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(sig, () => finish(1, `error: stopped by ${sig}`));

// Settles when the loopback redirect has been captured (capture mode) or answered (otherwise).
let settle;
let fail;
const outcome = new Promise((res, rej) => { settle = res; fail = rej; });
outcome.catch(() => {});
let done = false;

async function main() {
  log(`launching ${executablePath} (profile ${profileDir})`);
  context = await chromium.launchPersistentContext(profileDir, {
    executablePath,
    headless: true,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      // Never ask a desktop keyring (gnome-keyring under dbus-run-session in tests) for a password store.
      '--password-store=basic',
    ],
    env: {
      ...env,
      HOME: profileDir,
      XDG_CONFIG_HOME: join(profileDir, 'config'),
      XDG_CACHE_HOME: join(profileDir, 'cache'),
      XDG_DATA_HOME: join(profileDir, 'data'),
    },
    timeout: 30000,
  });
  const page = context.pages()[0] ?? await context.newPage();
  page.setDefaultTimeout(timeoutMs);

  if (captureFile) {
    // Playwright's page.route() is never called for requests that follow a redirect (it continues them
    // itself), and the loopback redirect always is one (the provider answers 303). So intercept it one level
    // down, with the DevTools Fetch domain on our own CDP session, which does pause redirect hops.
    const cdp = await context.newCDPSession(page);
    cdp.on('Fetch.requestPaused', async (event) => {
      const { requestId, request } = event;
      try {
        if (!isCallback(request.url) || done) {
          await cdp.send('Fetch.continueRequest', { requestId });
          return;
        }
        done = true;
        writeCapture(request.url);
        log(`captured the loopback redirect to ${request.url} into ${captureFile}`);
        await cdp.send('Fetch.fulfillRequest', {
          requestId,
          responseCode: 200,
          responseHeaders: [{ name: 'Content-Type', value: 'text/html; charset=utf-8' }],
          body: Buffer.from('<!DOCTYPE html><title>Captured</title><p>The test driver captured this redirect.</p>')
            .toString('base64'),
        }).catch(() => {});
        settle();
      } catch (err) {
        fail(err);
      }
    });
    await cdp.send('Fetch.enable', {
      patterns: ['http://127.0.0.1*/callback/*', 'http://localhost*/callback/*', 'http://[::1]*/callback/*']
        .map((urlPattern) => ({ urlPattern, requestStage: 'Request' })),
    });
  } else {
    // Let the redirect load and wait for the loopback receiver's answer. Redirect hops show up as their
    // own requests in these events.
    page.on('requestfinished', async (request) => {
      if (done || !isCallback(request.url())) return;
      done = true;
      const response = await request.response().catch(() => null);
      log(`the loopback receiver at ${request.url()} answered ${response?.status() ?? '(no status)'}`);
      settle();
    });
    page.on('requestfailed', (request) => {
      if (done || !isCallback(request.url())) return;
      done = true;
      fail(new Failure(`the loopback receiver at ${request.url()} did not answer: ${request.failure()?.errorText}`));
    });
  }

  let navigations = 0;
  page.on('framenavigated', (frame) => { if (frame === page.mainFrame()) navigations += 1; });

  // Click, then wait until the page has navigated (or the redirect was handled).
  async function clickAndWait(selector) {
    const before = navigations;
    await page.click(selector);
    const t0 = Date.now();
    while (navigations === before && !done) {
      if (Date.now() - t0 > 30000) throw new Failure(`clicking ${selector} did not lead anywhere`);
      await new Promise((r) => { setTimeout(r, 50); });
    }
  }

  stepNote = 'opening the authorization URL';
  log(`opening ${authUrl.href}`);
  await page.goto(authUrl.href, { waitUntil: 'domcontentloaded' }).catch((err) => {
    if (!done) throw err; // an abort after a capture is expected
  });

  let loginAttempts = 0;
  for (let step = 0; step < 8 && !done; step += 1) {
    stepNote = `waiting for a page at ${page.url()}`;
    const found = await Promise.race([
      outcome.then(() => null),
      page.waitForSelector('#login, #allow, #idp-error', { state: 'attached', timeout: 30000 })
        .then((el) => el.getAttribute('id'), () => 'nothing'),
    ]);
    if (done || !found) break;
    if (found === 'nothing') {
      const title = await page.title().catch(() => '');
      throw new Failure(`no login form, consent form or provider error on '${title}' at ${page.url()}`);
    }

    if (found === 'idp-error') {
      const text = (await page.textContent('#idp-error').catch(() => '')).trim();
      throw new Failure(`the provider shows an error: ${text}`);
    }

    if (found === 'login') {
      const error = await page.$('#error');
      if (error) throw new Failure(`the provider refused the login of ${user}: ${(await error.textContent()).trim()}`);
      if (consent === 'cancel-login') {
        stepNote = 'cancelling the login';
        log('login form: pressing Cancel');
        await clickAndWait('#cancel');
        continue;
      }
      if (loginAttempts++ > 0) throw new Failure('the login form came back a second time');
      stepNote = 'signing in';
      log(`login form: signing in as ${user}`);
      await page.fill('#login', user);
      await page.fill('#password', password);
      await clickAndWait('#submit');
      continue;
    }

    // found === 'allow': the consent form
    if (consent === 'cancel-login') throw new Failure('expected a login form to cancel, got the consent form');
    stepNote = `consent: ${consent}`;
    log(`consent form: ${consent === 'allow' ? 'Allow' : 'Deny'}`);
    await clickAndWait(consent === 'allow' ? '#allow' : '#deny');
  }

  stepNote = 'waiting for the loopback redirect';
  await outcome;
}

function writeCapture(url) {
  // Write next to the target and rename, so a reader polling for the file never sees half of it.
  const tmp = join(dirname(captureFile), `.${basename(captureFile)}.${process.pid}.tmp`);
  writeFileSync(tmp, url, { mode: 0o600, flag: 'wx' });
  renameSync(tmp, captureFile);
}

main().then(
  () => finish(0, captureFile ? 'done: callback captured' : 'done: the loopback receiver answered'),
  (err) => finish(1, `error: ${err instanceof Failure ? err.message : (err?.stack ?? err)}`),
);
