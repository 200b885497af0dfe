#!/usr/bin/env node
// Start-up cost of the windows (issue 8): from process start to the first frame on screen, and the
// memory (RSS, with child processes) at that moment, for `signet` and, when built, `signet-webview`. Each program is started
// N times offscreen (or on $DISPLAY with --display); the medians are printed.
//   node bench/startup.mjs [--rounds N] [--smoke] [--build DIR] [--display]
// --smoke: one round each, and fail (exit 1) only when a program does not show a frame within 30 s —
// what CI runs (ctest bench_startup). Times on a loaded 2-core machine vary by a factor of two or more.
// The programs report their first frame on stdout when SIGNET_REPORT_FIRST_FRAME is set.

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const index = args.indexOf(name);
  return index >= 0 ? args[index + 1] : fallback;
};
const smoke = args.includes('--smoke');
const rounds = smoke ? 1 : Number(option('--rounds', '10'));
const here = path.dirname(fileURLToPath(import.meta.url));
const buildDir = option('--build', process.env.SIGNET_BUILD_DIR ?? path.join(here, '..', 'build'));
const bin = path.join(buildDir, 'bin');

// The RSS of the process and of its descendants (Qt WebEngine runs Chromium's zygote and renderer
// as child processes: they are part of what the webview costs).
function rssKiB(pid) {
  let total = 0;
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    total += Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0);
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      const children = readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim();
      for (const child of children ? children.split(/\s+/) : []) total += rssKiB(Number(child));
    }
  } catch {
    // the process ended meanwhile
  }
  return total;
}

function startOnce(program, programArgs, env) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(program, programArgs, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let done = false;
    const timer = setTimeout(() => finish(new Error(`${path.basename(program)} showed no frame within 30 s:\n${stderr}`)), 30_000);
    function finish(error, result) {
      if (done) return;
      done = true;
      clearTimeout(timer);
      child.kill('SIGTERM');
      if (error) reject(error);
      else resolve(result);
    }
    child.stderr.on('data', (chunk) => { stderr += chunk; });
    child.stdout.on('data', (chunk) => {
      if (!String(chunk).includes('first frame')) return;
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      finish(null, { ms, rss: rssKiB(child.pid) });
    });
    child.on('exit', (code) => finish(new Error(`${path.basename(program)} exited (${code}) before its first frame:\n${stderr}`)));
  });
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};

const home = mkdtempSync(path.join(tmpdir(), 'signet-bench-'));
const env = {
  ...process.env,
  HOME: home,
  XDG_RUNTIME_DIR: home,
  XDG_CACHE_HOME: path.join(home, 'cache'),
  XDG_CONFIG_HOME: path.join(home, 'config'),
  SIGNET_REPORT_FIRST_FRAME: '1',
  SIGNET_NO_TRAY: '1',
  QTWEBENGINE_DISABLE_SANDBOX: '1',
};
if (!args.includes('--display')) env.QT_QPA_PLATFORM = 'offscreen';

const programs = [
  // No agent: the window's first frame is its "connecting" page; nothing is started behind it.
  ['signet', ['--new-instance', '--no-start-agent', '--socket', path.join(home, 'none.sock')]],
  // A page of its own (no network): the webview's cost is Chromium's start.
  ['signet-webview', ['--bench', 'data:text/html,%3Ch1%3ESignet%3C%2Fh1%3E']],
];
let failed = false;
try {
  for (const [name, programArgs] of programs) {
    const program = path.join(bin, name);
    if (!existsSync(program)) {
      console.log(`${name.padEnd(15)} not built; skipped`);
      continue;
    }
    const times = [];
    const rss = [];
    try {
      for (let round = 0; round < rounds; round += 1) {
        const result = await startOnce(program, programArgs, env);
        times.push(result.ms);
        rss.push(result.rss);
      }
      console.log(`${name.padEnd(15)} first frame ${median(times).toFixed(0).padStart(5)} ms   RSS ${(median(rss) / 1024).toFixed(1).padStart(6)} MiB   (median of ${rounds}; min ${Math.min(...times).toFixed(0)} ms, max ${Math.max(...times).toFixed(0)} ms)`);
    } catch (error) {
      console.error(String(error.message ?? error));
      failed = true;
    }
  }
} finally {
  rmSync(home, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
