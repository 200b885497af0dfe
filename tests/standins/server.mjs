#!/usr/bin/env node
// Local stand-ins for providers that cannot be reached from here (Microsoft Entra ID with Graph, Google, GitHub).
//
//   node tests/standins/server.mjs --provider entra|google|github [--port N]
//
// Listens on 127.0.0.1 only and prints exactly one JSON line on stdout when ready:
//   {"provider":"entra","base":"http://127.0.0.1:PORT","port":PORT,"client_id":"...","client_secret":...}
// Everything else goes to stderr. Nothing is written to disk; keys are made at start. README.md beside this
// file lists the users and the documented behaviour each stand-in reproduces.

import { parseArgs } from 'node:util';

import { startStandin } from './common.mjs';

const PROVIDERS = {
  entra: () => import('./entra.mjs'),
  google: () => import('./google.mjs'),
  github: () => import('./github.mjs'),
};

let args;
try {
  ({ values: args } = parseArgs({ options: { provider: { type: 'string' }, port: { type: 'string', default: '0' } } }));
} catch (err) {
  console.error(`server.mjs: ${err.message}`);
  process.exit(2);
}
if (!PROVIDERS[args.provider]) {
  console.error(`server.mjs: --provider must be one of ${Object.keys(PROVIDERS).join(', ')}`);
  process.exit(2);
}
const module = await PROVIDERS[args.provider]();
const { server, context } = await startStandin(module.provider, { port: Number(args.port) });
process.stdout.write(`${JSON.stringify({
  provider: args.provider, base: context.base, port: server.address().port, client_id: module.CLIENT_ID, client_secret: module.CLIENT_SECRET ?? null,
  device_client_id: module.DEVICE_CLIENT_ID ?? null, device_client_secret: module.DEVICE_CLIENT_SECRET ?? null,
})}\n`);
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => server.close(() => process.exit(0)));
