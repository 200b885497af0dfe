// The README's first command: scripts/demo.sh starts the demo provider and the agent, and a
// newcomer can sign in with what it prints. Run headless against the already-built tree.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';

import { sourceDir, buildDir, browserDriver, waitFor, makeWorld, ctl } from './harness.mjs';

test('scripts/demo.sh --headless brings up a working demo', async () => {
  const demo = spawn('bash', [path.join(sourceDir, 'scripts/demo.sh'), '--headless'], {
    env: { ...process.env, SIGNET_BUILD_DIR: path.relative(sourceDir, buildDir) || '.' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  demo.stdout.on('data', (d) => { output += d; });
  demo.stderr.on('data', (d) => { output += d; });
  try {
    await waitFor(() => output.includes('demo: ready') || demo.exitCode !== null, 'the demo to be ready', 240000);
    assert.ok(output.includes('demo: ready'), output);
    const runtime = output.match(/export XDG_RUNTIME_DIR=(\S+)/)[1];
    const world = { ...makeWorld(), };
    world.env.XDG_RUNTIME_DIR = runtime;

    const providers = await ctl(world, ['--json', 'providers']);
    assert.equal(providers.code, 0, providers.stderr);
    const demoProvider = JSON.parse(providers.stdout).providers.find((p) => p.id === 'demo');
    assert.ok(demoProvider?.available, providers.stdout);

    const signin = await ctl(world, ['signin', 'demo'], { BROWSER: browserDriver });
    assert.equal(signin.code, 0, signin.stderr);
    assert.match(signin.stdout, /alice@example\.com/);
    world.cleanup();
  } finally {
    process.kill(-demo.pid, 'SIGTERM'); // the whole process group: the script, the provider, the agent
    await new Promise((resolve) => (demo.exitCode !== null ? resolve() : demo.on('exit', resolve)));
  }
});
