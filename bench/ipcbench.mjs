#!/usr/bin/env node
// The IPC benchmark (issue 6, "Benchmark"; bench/README.md says how to read it). Everything in one run, on one
// machine, so the ratios compare like with like:
//   1. round trips with one client: p50/p99 of `whoami` and of a cached `token` against the real signet-agent
//      (signed in at the demo provider), next to a plain C echo server and a bare QLocalServer echo answering
//      messages of the same sizes as the agent's answers — all through the same C client (signet-bench-client);
//   2. throughput with 50 and 200 concurrent clients, each with one request in flight, for the three servers;
//   3. the ratios against the targets, PASS/MISS (a MISS is reported, never a failure);
//   4. whole processes with hyperfine: `signetctl token`/`whoami` against `oidc-token` (oidc-agent, set up at the
//      same demo provider) and `gh auth token` (a stored token), with a bare C client and a bare Qt CLI as floors;
//   5. the agent's memory (RSS) when idle, and the time from its start to the first accepted connection.
//
//   scripts/with-keyring.sh node bench/ipcbench.mjs            the full run (a few minutes)
//   scripts/with-keyring.sh node bench/ipcbench.mjs --smoke    CI: small counts, no hyperfine (< 30 s)
//   options: --json FILE (all numbers as JSON), --no-hyperfine, --no-oidc-agent
//
// The run fails (exit 1) only when something is broken — an error reply, a server that does not start, a
// sign-in that fails — never because a number misses its target. No token is ever printed: the clients print
// reply sizes, hyperfine discards the programs' output.

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';

import { makeWorld, startIdp, demoConfig, ctl, browserDriver, buildDir, ctlBin, agentBin, sleep } from '../tests/e2e/harness.mjs';
import { setupOidcAgent } from './oidcagent.mjs';

const { values: options } = parseArgs({
  options: {
    smoke: { type: 'boolean', default: false },
    json: { type: 'string' },
    'no-hyperfine': { type: 'boolean', default: false },
    'no-oidc-agent': { type: 'boolean', default: false },
  },
});
const smoke = options.smoke;
const plan = smoke
  ? { rounds: 1, latencyCount: 2000, durationMs: 200, starts: 1, idleMs: 300, hyperfine: false }
  : { rounds: 3, latencyCount: 10000, durationMs: 2000, starts: 7, idleMs: 2000, hyperfine: !options['no-hyperfine'] };
// The servers take turns, round after round, and each figure is the median over the rounds: a burst of load from
// elsewhere on the machine then hurts one round of every server rather than all of one server's samples.

const benchBin = (name) => path.join(buildDir, 'bench', name);
const clientBin = benchBin('signet-bench-client');
const rawEchoBin = benchBin('signet-bench-rawecho');
const qtEchoBin = benchBin('signet-bench-qtecho');
const qtCliBin = benchBin('signet-bench-qtcli');
for (const bin of [agentBin, ctlBin, clientBin, rawEchoBin, qtEchoBin, qtCliBin]) {
  if (!existsSync(bin)) {
    console.error(`ipcbench.mjs: ${bin} is missing: build it first (ninja -C ${buildDir})`);
    process.exit(2);
  }
}
if (!process.env.DBUS_SESSION_BUS_ADDRESS) {
  console.error('ipcbench.mjs: run under scripts/with-keyring.sh (the agent keeps its session in a Secret Service)');
  process.exit(2);
}

const fail = (message) => {
  throw new Error(message);
};

// Runs one of our helpers to completion; its stdout is small (sizes, JSON numbers), never a token.
function run(command, args, env = process.env) {
  const result = spawnSync(command, args, { env, encoding: 'utf8', timeout: 300000 });
  if (result.status !== 0) {
    fail(`${path.basename(command)} ${args[0] ?? ''} failed (exit ${result.status ?? result.signal}): ${(result.stderr ?? '').trim()}`);
  }
  return result.stdout.trim();
}

// Starts a long-running helper and waits for its "ready" line.
async function startServer(command, args) {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { err += d; });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  for (let i = 0; i < 200 && !out.includes('ready\n') && child.exitCode === null; i += 1) await sleep(25);
  if (!out.includes('ready\n')) fail(`${path.basename(command)} did not start: ${err.trim()}`);
  return { child, pid: child.pid, async stop() { if (child.exitCode === null) { child.kill('SIGTERM'); await exited; } } };
}

// Nanoseconds the process's main thread has run on a CPU (/proc/<pid>/schedstat): what a request costs the server
// whatever else the machine is doing, unlike the wall-clock figures.
function cpuNs(pid) {
  return Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]);
}

function rssKiB(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1]);
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)];
};

// ---------------------------------------------------------------------------------------------------------
// The world: the demo provider, a private runtime directory and keychain, an agent that grants our clients.

const idp = await startIdp(options['no-oidc-agent'] || !plan.hyperfine ? [] : ['--oidc-agent-client']);
const world = makeWorld();
const agentSocket = path.join(world.runtime, 'signet', 'agent.sock');
// Grants (docs/ipc.md, "Who is calling"): signetctl and the two benchmark clients may ask for tokens. Agents
// from before per-app grants ignore these groups.
const grants = [['signetctl', ctlBin], ['benchclient', clientBin], ['benchqtcli', qtCliBin]]
  .map(([id, exe]) => `\n[app.${id}]\nexe = ${exe}\nscopes = *\n`).join('');
const config = demoConfig(idp.issuer) + grants;
writeFileSync(world.configFile, config);

let agent = null;
const servers = [];
async function cleanup() {
  for (const server of servers) await server.stop();
  if (agent && agent.child.exitCode === null) {
    agent.child.kill('SIGTERM');
    await agent.exited;
  }
  await idp.stop();
  world.cleanup();
}

// Starts the agent and measures the time from just before the spawn to the first accepted connection (the
// poller tries every 0.2 ms and reports the moment on the same monotonic clock as process.hrtime).
async function startAgentTimed() {
  const waiter = spawn(clientBin, ['wait', agentSocket, '20000'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let waiterOut = '';
  let waiterErr = '';
  waiter.stdout.on('data', (d) => { waiterOut += d; });
  waiter.stderr.on('data', (d) => { waiterErr += d; });
  const waited = new Promise((resolve) => waiter.on('exit', resolve));
  await sleep(20); // let the poller run before the clock starts
  const started = process.hrtime.bigint();
  const child = spawn(agentBin, ['--config', world.configFile], { env: world.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout.on('data', (d) => { log += d; });
  child.stderr.on('data', (d) => { log += d; });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  const code = await waited;
  if (code !== 0) {
    child.kill('SIGKILL');
    fail(`the agent did not accept connections: ${waiterErr.trim()}\n${log}`);
  }
  const ms = Number(BigInt(waiterOut.trim()) - started) / 1e6;
  return { agent: { child, exited, get log() { return log; } }, ms };
}

async function stopAgent() {
  agent.child.kill('SIGTERM');
  const code = await agent.exited;
  if (code !== 0) fail(`the agent exited with ${code ?? 'a signal'} on SIGTERM:\n${agent.log}`);
}

async function waitState(state) {
  for (let i = 0; i < 200; i += 1) {
    const status = await ctl(world, ['status', '--json']);
    if (status.code === 0 && JSON.parse(status.stdout).state === state) return;
    await sleep(25);
  }
  fail(state === 'signed_in' ? 'the restarted agent did not restore the stored session' : `the agent did not reach the state ${state}`);
}

const results = { mode: smoke ? 'smoke' : 'full', date: new Date().toISOString(), machine: machineInfo() };

function machineInfo() {
  const cpu = /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? 'unknown CPU';
  const cores = (readFileSync('/proc/cpuinfo', 'utf8').match(/^processor/gm) ?? []).length;
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  return { cpu, cores, load_at_start: load, kernel: readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim() };
}

try {
  // --- 5a. Start to accepting connections, signed out (nothing in the keychain) -------------------------------
  const startsOut = [];
  for (let i = 0; i < plan.starts; i += 1) {
    if (agent) await stopAgent();
    const r = await startAgentTimed();
    agent = r.agent;
    startsOut.push(r.ms);
    await waitState('signed_out');
  }
  results.start_signed_out_ms = { median: median(startsOut), all: startsOut };
  await sleep(plan.idleMs);
  results.rss_idle_signed_out_kib = rssKiB(agent.child.pid);

  const signin = await ctl(world, ['signin', 'demo'], { BROWSER: browserDriver });
  if (signin.code !== 0) fail(`the sign-in at the demo provider failed (exit ${signin.code}):\n${signin.stderr}`);

  // --- 5b. Start with a stored session (restored from the keychain), several times --------------------------
  const starts = [];
  for (let i = 0; i < plan.starts; i += 1) {
    await stopAgent();
    const r = await startAgentTimed();
    agent = r.agent;
    starts.push(r.ms);
    // Also lets the agent finish starting: it listens before it installs its SIGTERM handler, so a SIGTERM
    // right after the first accepted connection would kill it outright.
    await waitState('signed_in');
  }
  results.start_signed_in_ms = { median: median(starts), all: starts };
  await sleep(plan.idleMs);
  results.rss_idle_signed_in_kib = rssKiB(agent.child.pid);

  // --- 1. Round trips -----------------------------------------------------------------------------------------
  const requests = {
    whoami: '{"id":1,"method":"whoami"}',
    token: '{"id":1,"method":"token","params":{}}',
  };
  const replyBytes = {};
  for (const [method, request] of Object.entries(requests)) {
    replyBytes[method] = Number(run(clientBin, ['once', agentSocket, request]));
  }
  // An echo request as long as the agent's answer, so the echo servers move the same bytes back (and a few
  // more forth: the agent's requests are shorter than its answers).
  const echoRequest = (bytes) => {
    const base = '{"id":1,"method":"echo","pad":""}';
    const pad = bytes - 1 - base.length;
    if (pad < 0) fail(`an agent answer of ${bytes} bytes is shorter than an echo request`);
    return `{"id":1,"method":"echo","pad":"${'x'.repeat(pad)}"}`;
  };
  const rawSocket = path.join(world.root, 'rawecho.sock');
  const qtSocket = path.join(world.root, 'qtecho.sock');
  servers.push(await startServer(rawEchoBin, [rawSocket]));
  servers.push(await startServer(qtEchoBin, [qtSocket]));
  const targets = {
    agent: (method) => [agentSocket, requests[method], 'result'],
    qt: (method) => [qtSocket, echoRequest(replyBytes[method]), 'echo'],
    raw: (method) => [rawSocket, echoRequest(replyBytes[method]), 'echo'],
  };
  const pids = { agent: agent.child.pid, raw: servers[0].pid, qt: servers[1].pid };
  results.reply_bytes = replyBytes;
  results.rounds = plan.rounds;
  results.latency = {};
  for (const method of Object.keys(requests)) {
    const samples = {};
    for (let round = 0; round < plan.rounds; round += 1) {
      for (const [server, target] of Object.entries(targets)) {
        const [socket, request, expect] = target(method);
        (samples[server] ??= []).push(JSON.parse(run(clientBin, ['latency', socket, request, String(plan.latencyCount), '--expect', expect])));
      }
    }
    results.latency[method] = {};
    for (const [server, runs] of Object.entries(samples)) {
      const m = {};
      for (const key of Object.keys(runs[0])) m[key] = median(runs.map((one) => one[key]));
      m.p50_us_rounds = runs.map((one) => one.p50_us);
      results.latency[method][server] = m;
    }
  }

  // --- 2. Throughput --------------------------------------------------------------------------------------------
  results.throughput = {};
  for (const clients of [50, 200]) {
    results.throughput[clients] = {};
    for (const method of Object.keys(requests)) {
      const samples = {};
      const cpu = {};
      for (let round = 0; round < plan.rounds; round += 1) {
        for (const [server, target] of Object.entries(targets)) {
          const [socket, request, expect] = target(method);
          const before = cpuNs(pids[server]);
          const one = JSON.parse(run(clientBin,
            ['throughput', socket, request, String(clients), String(plan.durationMs), '--expect', expect]));
          (cpu[server] ??= []).push((cpuNs(pids[server]) - before) / 1000 / one.replies);
          (samples[server] ??= []).push(one.rps);
        }
      }
      results.throughput[clients][method] = {};
      for (const [server, rps] of Object.entries(samples)) results.throughput[clients][method][server] = median(rps);
      results.throughput[clients][method].rounds = samples;
      results.server_cpu_us_per_request ??= {};
      results.server_cpu_us_per_request[clients] ??= {};
      results.server_cpu_us_per_request[clients][method] = Object.fromEntries(Object.entries(cpu).map(([k, v]) => [k, median(v)]));
      // After every configuration: a leak would show as growth from one to the next.
      (results.rss_during_load_kib ??= []).push(rssKiB(agent.child.pid));
    }
  }
  results.rss_after_load_kib = rssKiB(agent.child.pid);

  // --- 3. Targets -------------------------------------------------------------------------------------------------
  results.targets = [];
  for (const method of Object.keys(requests)) {
    const l = results.latency[method];
    const t = results.throughput[50][method];
    results.targets.push(
      { what: `${method} p50 vs raw socket`, ratio: l.agent.p50_us / l.raw.p50_us, limit: 2, better: 'lower' },
      { what: `${method} p50 vs QLocalServer`, ratio: l.agent.p50_us / l.qt.p50_us, limit: 1.3, better: 'lower' },
      { what: `${method} throughput@50 vs raw socket`, ratio: t.agent / t.raw, limit: 0.5, better: 'higher' },
    );
  }
  for (const target of results.targets) {
    target.pass = target.better === 'lower' ? target.ratio <= target.limit : target.ratio >= target.limit;
  }

  // --- 4. Whole processes -----------------------------------------------------------------------------------------
  if (plan.hyperfine) results.processes = await wholeProcesses(requests);
  else results.processes = { skipped: smoke ? 'smoke mode' : '--no-hyperfine' };
} catch (err) {
  console.error(`ipcbench.mjs: ${err.message}`);
  await cleanup();
  process.exit(1);
}
await cleanup();
report(results);
if (options.json) writeFileSync(options.json, `${JSON.stringify(results, null, 2)}\n`);
process.exit(0);

// ---------------------------------------------------------------------------------------------------------
// 4. hyperfine: each program started and finished for every sample, all in this run.

async function wholeProcesses(requests) {
  const out = { commands: [], unavailable: [] };
  if (spawnSync('hyperfine', ['--version']).status !== 0) {
    out.unavailable.push({ name: 'all whole-process numbers', why: 'hyperfine is not installed (apt install hyperfine)' });
    return out;
  }
  const quote = (s) => `'${s.replace(/'/g, "'\\''")}'`;
  const commands = [
    { name: 'signetctl token', command: `${ctlBin} token` },
    { name: 'signetctl whoami', command: `${ctlBin} whoami` },
    { name: 'bare C socket client (token)', command: `${clientBin} once ${agentSocket} ${quote(requests.token)}` },
    { name: 'bare Qt CLI (token)', command: `${qtCliBin} ${agentSocket} ${quote(requests.token)}` },
  ];
  const env = { ...world.env };

  // oidc-agent at the same demo provider: its cached access token, as `signetctl token` returns ours.
  if (options['no-oidc-agent']) {
    out.unavailable.push({ name: 'oidc-token', why: '--no-oidc-agent' });
  } else {
    const oidc = await setupOidcAgent(idp, world);
    if (oidc.error) {
      out.unavailable.push({ name: 'oidc-token', why: oidc.error });
    } else {
      servers.push(oidc);
      Object.assign(env, oidc.env);
      commands.push({ name: 'oidc-token', command: oidc.command });
    }
  }

  // gh with a stored token: `gh auth token` reads hosts.yml and prints it. The token is made up; nothing goes
  // to the network.
  if (spawnSync('gh', ['--version']).status === 0) {
    const ghConfig = path.join(world.root, 'gh');
    mkdirSync(ghConfig, { recursive: true });
    writeFileSync(path.join(ghConfig, 'hosts.yml'),
      // A made-up token, built here so that it is plainly not a real one: gh only prints it back.
      `github.com:\n    oauth_token: gho_${'fake'.repeat(9)}\n    user: bench\n    git_protocol: https\n`, { mode: 0o600 });
    env.GH_CONFIG_DIR = ghConfig;
    env.GH_NO_UPDATE_NOTIFIER = '1';
    const probe = spawnSync('gh', ['auth', 'token'], { env, encoding: 'utf8' });
    if (probe.status === 0 && probe.stdout.startsWith('gho_')) commands.push({ name: 'gh auth token', command: 'gh auth token' });
    else out.unavailable.push({ name: 'gh auth token', why: `gh auth token failed: ${probe.stderr.trim()}` });
  } else {
    out.unavailable.push({ name: 'gh auth token', why: 'gh is not installed (apt install gh)' });
  }

  // Rounds again, the order rotating each round: hyperfine runs one command's samples back to back, so without
  // this a burst of load from elsewhere lands on whichever command happened to run then. Each figure is over
  // all samples of all rounds.
  const rounds = 5;
  const times = Object.fromEntries(commands.map((c) => [c.name, []]));
  for (let round = 0; round < rounds; round += 1) {
    const exportFile = path.join(world.root, `hyperfine-${round}.json`);
    const args = ['-N', '--warmup', '10', '--runs', '100', '--style', 'none', '--export-json', exportFile];
    const order = commands.map((_, i) => commands[(i + round) % commands.length]);
    for (const c of order) args.push('-n', c.name, c.command);
    const result = spawnSync('hyperfine', args, { env, encoding: 'utf8', timeout: 900000 });
    if (result.status !== 0) fail(`hyperfine failed: ${result.stderr.trim()}`);
    for (const r of JSON.parse(readFileSync(exportFile, 'utf8')).results) times[r.command].push(...r.times);
  }
  for (const [name, samples] of Object.entries(times)) {
    const ms = samples.map((t) => t * 1000);
    const mean = ms.reduce((a, b) => a + b, 0) / ms.length;
    const stddev = Math.sqrt(ms.reduce((a, b) => a + (b - mean) ** 2, 0) / ms.length);
    out.commands.push({ name, median_ms: median(ms), mean_ms: mean, stddev_ms: stddev, min_ms: Math.min(...ms), runs: ms.length });
  }
  const byName = Object.fromEntries(out.commands.map((c) => [c.name, c]));
  if (byName['oidc-token']) {
    out.target = { what: 'signetctl token faster than oidc-token (median)',
      ratio: byName['signetctl token'].median_ms / byName['oidc-token'].median_ms, limit: 1, better: 'lower' };
    out.target.pass = out.target.ratio < 1;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------

function report(r) {
  const f = (n, d = 1) => n.toFixed(d);
  const lines = [];
  lines.push(`Signet IPC benchmark (${r.mode}), ${r.date}`);
  lines.push(`machine: ${r.machine.cpu}, ${r.machine.cores} cores, load ${r.machine.load_at_start}, Linux ${r.machine.kernel}`);
  lines.push('');
  lines.push(`agent start to first accepted connection (median of ${r.start_signed_in_ms.all.length}): ` +
    `${f(r.start_signed_out_ms.median)} ms signed out, ${f(r.start_signed_in_ms.median)} ms with a stored session`);
  lines.push(`agent RSS: ${r.rss_idle_signed_out_kib} KiB idle signed out, ${r.rss_idle_signed_in_kib} KiB idle signed in, ` +
    `${r.rss_after_load_kib} KiB after the throughput runs (after each of them: ${r.rss_during_load_kib.join(', ')})`);
  lines.push('');
  lines.push(`round trips, 1 client (µs, median of ${r.rounds} round(s) of ${plan.latencyCount}; answers: whoami ${r.reply_bytes.whoami} B, token ${r.reply_bytes.token} B)`);
  lines.push('  method  server        p50      p99     mean');
  const names = { agent: 'signet-agent', qt: 'QLocalServer', raw: 'raw socket' };
  for (const [method, servers] of Object.entries(r.latency)) {
    for (const [server, l] of Object.entries(servers)) {
      lines.push(`  ${method.padEnd(7)} ${names[server].padEnd(12)} ${f(l.p50_us).padStart(7)} ${f(l.p99_us).padStart(8)} ${f(l.mean_us).padStart(8)}`);
    }
  }
  for (const [method, l] of Object.entries(r.latency)) {
    lines.push(`  ${method}: the agent's work and event loop per request ≈ ${f(l.agent.p50_us - l.raw.p50_us)} µs (its p50 minus the raw socket echo's)`);
  }
  lines.push('');
  lines.push(`throughput (requests/s, one request in flight per client, median of ${r.rounds} round(s) of ${plan.durationMs / 1000} s)`);
  lines.push('  clients method  signet-agent  QLocalServer  raw socket');
  for (const [clients, methods] of Object.entries(r.throughput)) {
    for (const [method, t] of Object.entries(methods)) {
      lines.push(`  ${clients.padStart(7)} ${method.padEnd(7)} ${String(t.agent).padStart(12)} ${String(t.qt).padStart(13)} ${String(t.raw).padStart(11)}`);
    }
  }
  lines.push('');
  lines.push('server CPU time per request under that load (µs, main thread, /proc/<pid>/schedstat; independent of other load)');
  lines.push('  clients method  signet-agent  QLocalServer  raw socket');
  for (const [clients, methods] of Object.entries(r.server_cpu_us_per_request)) {
    for (const [method, t] of Object.entries(methods)) {
      lines.push(`  ${clients.padStart(7)} ${method.padEnd(7)} ${f(t.agent).padStart(12)} ${f(t.qt).padStart(13)} ${f(t.raw).padStart(11)}`);
    }
  }
  lines.push('');
  lines.push('targets (a MISS is reported, not a failure)');
  for (const t of r.targets) {
    lines.push(`  ${t.pass ? 'PASS' : 'MISS'}  ${t.what}: ${f(t.ratio, 2)}× (${t.better === 'lower' ? '≤' : '≥'} ${t.limit}×)`);
  }
  lines.push('');
  if (r.processes.skipped) {
    lines.push(`whole processes: skipped (${r.processes.skipped})`);
  } else {
    lines.push('whole processes (hyperfine, ms)');
    lines.push('  command                           median     mean   stddev   runs');
    for (const c of r.processes.commands) {
      lines.push(`  ${c.name.padEnd(32)} ${f(c.median_ms, 2).padStart(7)} ${f(c.mean_ms, 2).padStart(8)} ${f(c.stddev_ms, 2).padStart(8)} ${String(c.runs).padStart(6)}`);
    }
    for (const u of r.processes.unavailable) lines.push(`  not measured: ${u.name}: ${u.why}`);
    const t = r.processes.target;
    if (t) lines.push(`  ${t.pass ? 'PASS' : 'MISS'}  ${t.what}: ${f(t.ratio, 2)}× (< 1×)`);
    else lines.push('  target "signetctl token faster than oidc-token" not measured (no oidc-token)');
  }
  console.log(lines.join('\n'));
}
