#!/usr/bin/env node
// A $BROWSER for fast data-driven tests against the stand-ins: no Chromium, just HTTP. It opens the
// authorization URL, fills the stand-in's login form (the same fields tests/e2e/browser.mjs fills) and follows
// the redirects until the loopback callback, which it requests like a browser would.
//
//   formbrowser.mjs AUTHORIZATION_URL
//
// Environment: SIGNET_TEST_USER (required), SIGNET_TEST_PASSWORD (default: the part before the @),
// SIGNET_TEST_CONSENT=cancel-login to press Cancel. Exit 0 once the loopback receiver answered, 1 otherwise.
// Never prints a URL's query (it carries the code).

const [authorizationUrl] = process.argv.slice(2);
const user = process.env.SIGNET_TEST_USER;
if (!authorizationUrl || !user) {
  console.error('usage: SIGNET_TEST_USER=login formbrowser.mjs AUTHORIZATION_URL');
  process.exit(2);
}
const password = process.env.SIGNET_TEST_PASSWORD ?? user.split('@')[0];
const cancel = process.env.SIGNET_TEST_CONSENT === 'cancel-login';
const strip = (u) => String(u).replace(/[?#].*$/, '');

async function main() {
  const page = await fetch(authorizationUrl, { redirect: 'manual' });
  let location = page.headers.get('location');
  if (!location) {
    const html = await page.text();
    const interaction = /name="interaction" value="([^"]+)"/.exec(html)?.[1];
    if (!interaction) throw new Error(`no login form at ${strip(authorizationUrl)}: ${html.replace(/<[^>]+>/g, ' ').trim().slice(0, 300)}`);
    const action = new URL('/__standin/login', authorizationUrl);
    const body = new URLSearchParams({ interaction, login: user, password, action: cancel ? 'cancel' : 'login' });
    const posted = await fetch(action, { method: 'POST', body, redirect: 'manual' });
    location = posted.headers.get('location');
    if (!location) throw new Error(`the login was not accepted: ${(await posted.text()).replace(/<[^>]+>/g, ' ').trim().slice(0, 300)}`);
  }
  const callback = await fetch(location, { redirect: 'manual' });
  await callback.text();
  // Silent on success: this runs detached beside signetctl and shares its stderr, which tests read.
  if (callback.status !== 200) throw new Error(`the loopback receiver at ${strip(location)} answered ${callback.status}`);
}

main().then(() => process.exit(0), (err) => {
  console.error(`formbrowser.mjs: ${strip(err.message)}`);
  process.exit(1);
});
