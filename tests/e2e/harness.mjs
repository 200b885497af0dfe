// Shared pieces for end-to-end tests: start the demo identity provider and a real signet-agent
// in a private temporary world (runtime dir, config dirs, HOME), and run signetctl against them.
// Nothing is written outside the temporary directory; every port is chosen by the kernel.

import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const sourceDir = process.env.SIGNET_SOURCE_DIR ?? path.resolve(here, '../..');
export const buildDir = process.env.SIGNET_BUILD_DIR ?? path.join(sourceDir, 'build');
export const agentBin = path.join(buildDir, 'bin/signet-agent');
export const ctlBin = path.join(buildDir, 'bin/signetctl');
export const browserDriver = path.join(sourceDir, 'tests/e2e/browser.mjs');

// Starts a process and collects its output; `lines` resolves each stdout line as it comes.
function launch(command, args, env) {
  const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const result = { child, stdout: '', stderr: '', exited: null };
  child.stdout.on('data', (d) => { result.stdout += d; });
  child.stderr.on('data', (d) => { result.stderr += d; });
  // 'exit' can come before the last of stdout has been read: wait for stdout to close too. (Not for stderr,
  // which a browser started by signetctl may hold open after signetctl has exited.)
  const stdoutClosed = new Promise((resolve) => child.stdout.on('close', resolve));
  result.exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })))
    .then(async (status) => { await stdoutClosed; return status; });
  return result;
}

async function waitFor(predicate, what, timeoutMs = 15000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await predicate()) return;
    await sleep(50);
  }
  throw new Error(`timed out waiting for ${what}`);
}

export async function startIdp(extraArgs = []) {
  const idp = launch(process.execPath, [path.join(sourceDir, 'tests/idp/server.mjs'), '--port', '0', '--test-endpoints', ...extraArgs], process.env);
  await waitFor(() => idp.stdout.includes('\n') || idp.child.exitCode !== null, 'the identity provider to start');
  if (!idp.stdout.includes('\n')) throw new Error(`identity provider did not start:\n${idp.stderr}`);
  const info = JSON.parse(idp.stdout.split('\n')[0]);
  return {
    ...info,
    process: idp,
    async requests() {
      const response = await fetch(`${info.issuer}/__test/requests`);
      return response.json();
    },
    // Every code and token the provider issued (test endpoint), to search output for leaks.
    async secrets() {
      const response = await fetch(`${info.issuer}/__test/secrets`);
      return response.json();
    },
    async stop() {
      if (idp.child.exitCode === null) {
        idp.child.kill('SIGTERM');
        await idp.exited;
      }
    },
  };
}

// Starts a provider stand-in (tests/standins/server.mjs): entra or google.
export async function startStandin(provider) {
  const proc = launch(process.execPath, [path.join(sourceDir, 'tests/standins/server.mjs'), '--provider', provider], process.env);
  await waitFor(() => proc.stdout.includes('\n') || proc.child.exitCode !== null, `the ${provider} stand-in to start`);
  if (!proc.stdout.includes('\n')) throw new Error(`the ${provider} stand-in did not start:\n${proc.stderr}`);
  const info = JSON.parse(proc.stdout.split('\n')[0]);
  return {
    ...info,
    process: proc,
    async requests() { return (await fetch(`${info.base}/__test/requests`)).json(); },
    async resetRequests() { await fetch(`${info.base}/__test/reset`); },
    async secrets() { return (await fetch(`${info.base}/__test/secrets`)).json(); },
    async stop() {
      if (proc.child.exitCode === null) {
        proc.child.kill('SIGTERM');
        await proc.exited;
      }
    },
  };
}

export const formBrowser = path.join(sourceDir, 'tests/standins/formbrowser.mjs');

// Fails the test when any secret appears in any of the named texts.
export function assertNoSecrets(secrets, texts) {
  if (secrets.length === 0) throw new Error('no secrets were recorded: the check would prove nothing');
  for (const [name, text] of Object.entries(texts)) {
    for (const secret of secrets) {
      if (text.includes(secret)) throw new Error(`a secret issued by the provider appears in ${name}`);
      // Secrets also travel percent-encoded in URLs and forms.
      if (text.includes(encodeURIComponent(secret))) throw new Error(`a percent-encoded secret appears in ${name}`);
    }
  }
}

// A private world: runtime dir, empty system config dir, HOME, and a config file.
export function makeWorld() {
  const root = mkdtempSync(path.join(tmpdir(), 'signet-e2e-'));
  const world = {
    root,
    runtime: path.join(root, 'run'),
    configFile: path.join(root, 'signet.conf'),
    env: null,
    cleanup() { rmSync(root, { recursive: true, force: true }); },
  };
  mkdirSync(world.runtime, { mode: 0o700 });
  mkdirSync(path.join(root, 'xdg'));
  mkdirSync(path.join(root, 'home'));
  mkdirSync(path.join(root, 'config'));
  world.env = {
    PATH: process.env.PATH,
    LANG: 'C.UTF-8',
    HOME: path.join(root, 'home'),
    XDG_RUNTIME_DIR: world.runtime,
    XDG_CONFIG_DIRS: path.join(root, 'xdg'),
    XDG_CONFIG_HOME: path.join(root, 'config'),
    XDG_CACHE_HOME: path.join(root, 'cache'),
  };
  // The session bus of scripts/with-keyring.sh: its throwaway gnome-keyring is the agents' keychain.
  if (process.env.DBUS_SESSION_BUS_ADDRESS) world.env.DBUS_SESSION_BUS_ADDRESS = process.env.DBUS_SESSION_BUS_ADDRESS;
  return world;
}

// The demo provider's configuration. `allowed_domains = *` unless `general` says otherwise: these tests are
// about signing in; tests/e2e/policy.test.mjs is about who may.
export function demoConfig(issuer, general = {}) {
  const generalLines = Object.entries({ allowed_domains: '*', ...general }).map(([k, v]) => `${k} = ${v}`).join('\n');
  return `[general]\n${generalLines}\nproviders = demo\n\n[provider.demo]\ntype = oidc\ndisplay_name = "Demo identity provider"\n` +
    `issuer = ${issuer}\nclient_id = signet-demo\nscopes = openid email profile\n`;
}

// signetctl needs a grant like any app (docs/ipc.md, "Who is calling"): every test agent grants the
// build's signetctl unless the configuration decides about it itself.
export function grantCtl(config) {
  return config.includes('[app.signetctl]') ? config : `${config}\n[app.signetctl]\nexe = ${ctlBin}\nscopes = *\n`;
}

export async function startAgent(world, config, extraEnv = {}, binary = agentBin) {
  writeFileSync(world.configFile, grantCtl(config));
  const agent = launch(binary, ['--config', world.configFile], { ...world.env, ...extraEnv });
  const socket = path.join(world.runtime, 'signet', 'agent.sock');
  await waitFor(() => existsSync(socket) || agent.child.exitCode !== null, 'the agent socket');
  if (agent.child.exitCode !== null) throw new Error(`signet-agent exited:\n${agent.stderr}`);
  return {
    process: agent,
    get output() { return agent.stderr + agent.stdout; },
    isRunning() { return agent.child.exitCode === null; },
    async stop() {
      if (agent.child.exitCode === null) {
        agent.child.kill('SIGTERM');
        return agent.exited;
      }
      return { code: agent.child.exitCode, signal: null };
    },
  };
}

// Runs signetctl to completion (or kills it after timeoutMs).
export async function ctl(world, args, extraEnv = {}, timeoutMs = 60000) {
  const run = launch(ctlBin, args, { ...world.env, ...extraEnv });
  const timer = setTimeout(() => run.child.kill('SIGKILL'), timeoutMs);
  const { code, signal } = await run.exited;
  clearTimeout(timer);
  return { code, signal, stdout: run.stdout, stderr: run.stderr };
}

// Starts signetctl and returns it running (for flows that need to act while it waits).
export function ctlStart(world, args, extraEnv = {}) {
  return launch(ctlBin, args, { ...world.env, ...extraEnv });
}

export { sleep, waitFor };
