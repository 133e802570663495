// A private DNS tree on loopback for tests: NSD serves a root, the test. TLD, a provider hosting
// most child zones and a lame server that serves none; unbound resolves from that root, once
// plainly and once validating DNSSEC. Each lab picks its own 127.x.y.0/24, so test files running
// side by side never meet. Layout and zones: test/dns/lab/.
//
// The authoritative servers listen on port 53: a delegation carries addresses, never ports, so
// resolvers (ours included) can only reach them there. That takes root, or
// net.ipv4.ip_unprivileged_port_start <= 53. The resolvers listen on a high port.

import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';

import type { SkipFn, TestFn } from 'ava';
import dnsPacket from 'dns-packet';

import type { ServerAddress } from '../../src/dns/types.js';
import { findProgram, LAB_PROGRAMS, type LabProgram } from '../dns/lab/binaries.js';
import { formatNsdConfig, formatRootHints, formatUnboundConfig } from '../dns/lab/configs.js';
import {
  LAB_DOMAINS,
  NAME_SERVERS,
  RESOLVER_OCTETS,
  STALE_STUB,
  type LabDomainRole,
  type LabNameServer,
} from '../dns/lab/layout.js';
import { writeLabZones } from '../dns/lab/zones.js';
import { requirePrerequisite } from './programs.js';

export type { ServerAddress } from '../../src/dns/types.js';
export type { LabDomainRole } from '../dns/lab/layout.js';

export interface DnsLab {
  /** The lab's root server (NSD, port 53). */
  readonly root: ServerAddress;
  /** A root hints file naming only the lab's root. */
  readonly rootHintsFile: string;
  /** unbound, not validating, resolving from the lab's root; has the stale stub zone. */
  readonly resolver: ServerAddress;
  /** unbound with the validator and the lab root's key as trust anchor. */
  readonly validatingResolver: ServerAddress;
  /** An address and port where nothing listens: a stopped resolver. */
  readonly deadResolver: ServerAddress;
  /** Role → domain name; see test/dns/lab/layout.ts. */
  readonly domains: Readonly<Record<LabDomainRole, string>>;
  /** The authoritative servers by role (`root`, `tld`, `provider`, `lame`). */
  readonly nameServers: Readonly<Record<LabNameServer['role'], ServerAddress>>;
  /** Stops the plain resolver, which then plays a broken local resolver (connection refused). */
  stopResolver(): Promise<void>;
  /** Stops every server and deletes the lab's folder. Safe to call twice. */
  stop(): Promise<void>;
}

export interface DnsLabOptions {
  /** Port of the resolvers (default: a random high port). */
  readonly basePort?: number;
}

interface LabProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly exited: Promise<void>;
  readonly logFiles: readonly string[];
}

const STARTUP_LIMIT_MS = 20_000;
const STOP_GRACE_MS = 3_000;
const POLL_REPLY_MS = 200;

/** Children still running, killed if the test process exits without stopping its lab. */
const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGTERM');
});

/** Whether the lab can run here: its programs are installed and port 53 can be bound. */
function dnsLabAvailable(): { ok: boolean; reason?: string } {
  const missing = (Object.keys(LAB_PROGRAMS) as LabProgram[]).filter(
    (name) => findProgram(name) === undefined,
  );
  if (missing.length > 0) {
    const packages = [...new Set(missing.map((name) => LAB_PROGRAMS[name]))].join(' ');
    return {
      ok: false,
      reason: `not installed: ${missing.join(', ')} (apt-get install ${packages})`,
    };
  }

  if (!canBindPort53()) {
    return {
      ok: false,
      reason: 'binding port 53 on loopback needs root or net.ipv4.ip_unprivileged_port_start=53',
    };
  }

  return { ok: true };
}

/**
 * Checks the lab can run before a test file declares its lab tests. When it cannot, it declares
 * one failing test under CI (the servers must be there) and elsewhere prints why the lab tests
 * are skipped. Returns whether the lab tests should run.
 */
export function checkDnsLab(test: TestFn): boolean {
  const { ok, reason } = dnsLabAvailable();
  if (!ok) requirePrerequisite(test, 'the DNS lab', reason ?? 'it cannot start here');
  return ok;
}

/**
 * One lab shared by the tests of a file: started before them and stopped after. `labTest` is
 * `test` where the lab can run (else `test.skip`, with `checkDnsLab`'s message); `started()`
 * is the running lab.
 */
export function labPerFile(test: TestFn): {
  labTest: TestFn | SkipFn;
  started: () => DnsLab;
} {
  const hasLab = checkDnsLab(test);
  let lab: DnsLab | undefined;

  test.before(async () => {
    if (hasLab) lab = await startDnsLab();
  });

  test.after.always(async () => {
    await lab?.stop();
  });

  function started(): DnsLab {
    if (lab === undefined) throw new Error('The DNS lab did not start');
    return lab;
  }

  return { labTest: hasLab ? test : test.skip, started };
}

/** Starts the lab: zones written and signed, four NSD instances and two unbound resolvers. */
export async function startDnsLab(options: DnsLabOptions = {}): Promise<DnsLab> {
  const { basePort } = options;
  if (
    basePort !== undefined &&
    !(Number.isInteger(basePort) && basePort > 0 && basePort < 65_536)
  ) {
    throw new Error(`DNS lab: basePort must be a port number from 1 to 65535, not ${basePort}`);
  }

  const dir = await mkdtemp(path.join(tmpdir(), 'mxtriage-dns-lab-'));
  const processes: LabProcess[] = [];

  try {
    const net = await pickNet();
    const port = basePort ?? 20_000 + Math.floor(Math.random() * 40_000);
    const zones = await writeLabZones(dir, net);

    processes.push(...(await startNameServers(dir, net, zones.files)));

    const rootHintsFile = path.join(dir, 'root.hints');
    await writeFile(rootHintsFile, formatRootHints(`${net}.1`));
    const [plainResolver, ...others] = await startResolvers(
      { dir, net, port, rootHintsFile },
      zones.trustAnchor,
    );
    if (plainResolver === undefined) throw new Error('DNS lab: the resolvers did not start');
    processes.push(plainResolver, ...others);

    return makeLab({ dir, net, port, rootHintsFile, processes, plainResolver });
  } catch (error) {
    await stopProcesses(processes);
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

function canBindPort53(): boolean {
  if (process.getuid?.() === 0) return true;

  try {
    const start = readFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8');
    return Number(start.trim()) <= 53;
  } catch {
    return false;
  }
}

/** A random 127.x.y prefix whose root address is free on port 53. */
async function pickNet(): Promise<string> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const net = `127.${100 + Math.floor(Math.random() * 150)}.${Math.floor(Math.random() * 256)}`;
    if (await isPortFree(`${net}.1`, 53)) return net;
  }

  throw new Error(
    'DNS lab: port 53 is taken on every 127.x.y.1 tried; is a DNS server bound to 0.0.0.0:53?',
  );
}

function isPortFree(address: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = dgram.createSocket('udp4');
    socket.once('error', () => {
      socket.close();
      resolve(false);
    });
    socket.bind(port, address, () => socket.close(() => resolve(true)));
  });
}

function startNameServers(
  dir: string,
  net: string,
  zoneFiles: ReadonlyMap<string, string>,
): Promise<LabProcess[]> {
  return startAll(
    NAME_SERVERS.map((server) => startNsd(dir, `${net}.${server.octet}`, server, zoneFiles)),
  );
}

/** The plain resolver first (with the stale stub zone), then the validating one. */
function startResolvers(
  where: { dir: string; net: string; port: number; rootHintsFile: string },
  trustAnchor: string,
): Promise<LabProcess[]> {
  const { dir, net, port, rootHintsFile } = where;
  const settings = { dir, port, rootHintsFile };

  return startAll([
    startUnbound({
      ...settings,
      name: 'plain',
      address: `${net}.${RESOLVER_OCTETS.resolver}`,
      stubZones: [{ zone: STALE_STUB.zone, address: `${net}.${STALE_STUB.octet}` }],
    }),
    startUnbound({
      ...settings,
      name: 'validating',
      address: `${net}.${RESOLVER_OCTETS.validatingResolver}`,
      trustAnchor,
    }),
  ]);
}

/** Waits for every start; if any failed, stops the ones that started and rethrows. */
async function startAll(starting: readonly Promise<LabProcess>[]): Promise<LabProcess[]> {
  const settled = await Promise.allSettled(starting);
  const started = settled.flatMap((result) =>
    result.status === 'fulfilled' ? [result.value] : [],
  );
  const failure = settled.find((result) => result.status === 'rejected');
  if (failure !== undefined) {
    await stopProcesses(started);
    throw failure.reason;
  }

  return started;
}

async function startNsd(
  dir: string,
  address: string,
  server: LabNameServer,
  zoneFiles: ReadonlyMap<string, string>,
): Promise<LabProcess> {
  const config = path.join(dir, `nsd-${server.role}.conf`);
  await writeFile(config, formatNsdConfig({ dir, address, server, zoneFiles }));

  const probeName = server.zones[0]?.name ?? 'test';
  return startServer({
    name: `nsd-${server.role}`,
    program: 'nsd',
    args: ['-d', '-c', config],
    dir,
    logFile: path.join(dir, `nsd-${server.role}.log`),
    probe: { server: { address, port: 53 }, name: probeName, type: 'SOA' },
  });
}

async function startUnbound(
  settings: Parameters<typeof formatUnboundConfig>[0],
): Promise<LabProcess> {
  const { dir, name } = settings;
  const config = path.join(dir, `unbound-${name}.conf`);
  await writeFile(config, formatUnboundConfig(settings));

  return startServer({
    name: `unbound-${name}`,
    program: 'unbound',
    args: ['-d', '-c', config],
    dir,
    logFile: path.join(dir, `unbound-${name}.log`),
    // Answered from unbound's built-in localhost zone: proves it listens, asks nobody else.
    probe: {
      server: { address: settings.address, port: settings.port },
      name: 'localhost',
      type: 'A',
    },
  });
}

interface ServerStart {
  readonly name: string;
  readonly program: LabProgram;
  readonly args: readonly string[];
  readonly dir: string;
  readonly logFile: string;
  readonly probe: {
    readonly server: ServerAddress;
    readonly name: string;
    readonly type: 'SOA' | 'A';
  };
}

/** Spawns a server in the foreground and waits until it answers a real query. */
async function startServer(start: ServerStart): Promise<LabProcess> {
  const program = findProgram(start.program);
  if (program === undefined) throw new Error(`DNS lab: ${start.program} is not installed`);

  const stderrFile = path.join(start.dir, `${start.name}.stderr`);
  const stderr = openSync(stderrFile, 'w');
  const child = spawn(program, start.args, { cwd: start.dir, stdio: ['ignore', 'ignore', stderr] });
  closeSync(stderr);
  child.unref();
  running.add(child);

  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', () => resolve());
  });
  void exited.then(() => running.delete(child));
  const labProcess = { name: start.name, child, exited, logFiles: [stderrFile, start.logFile] };

  await waitUntilAnswering(labProcess, start.probe);
  return labProcess;
}

async function waitUntilAnswering(
  labProcess: LabProcess,
  probe: ServerStart['probe'],
): Promise<void> {
  const deadline = Date.now() + STARTUP_LIMIT_MS;
  let hasExited = false;
  void labProcess.exited.then(() => (hasExited = true));

  while (Date.now() < deadline) {
    if (hasExited) break;
    if (await askOnce(probe.server, probe.name, probe.type)) return;

    await delay(20);
  }

  await stopProcesses([labProcess]);
  const logs = await readLogTails(labProcess.logFiles);
  const state = hasExited ? 'exited at start' : 'did not answer within 20 s';
  throw new Error(`DNS lab: ${labProcess.name} ${state}: ${logs}`);
}

/** Sends one UDP query; true when any reply with the query's ID comes back in time. */
function askOnce(server: ServerAddress, name: string, type: 'SOA' | 'A'): Promise<boolean> {
  const id = Math.floor(Math.random() * 65_536);
  const query = dnsPacket.encode({ type: 'query', id, questions: [{ type, name }] });

  return new Promise((resolve) => {
    const socket = dgram.createSocket('udp4');
    const finish = (answered: boolean): void => {
      clearTimeout(timer);
      socket.close();
      resolve(answered);
    };
    const timer = setTimeout(() => finish(false), POLL_REPLY_MS);

    socket.on('error', () => finish(false));
    socket.on('message', (message) => {
      if (message.length >= 2 && message.readUInt16BE(0) === id) finish(true);
    });
    socket.send(query, server.port, server.address);
  });
}

async function readLogTails(files: readonly string[]): Promise<string> {
  const tails = await Promise.all(
    files.map((file) =>
      readFile(file, 'utf8').then(
        (text) => text.trim().slice(-600),
        () => '',
      ),
    ),
  );

  return tails.filter((tail) => tail !== '').join(' | ') || 'no log output';
}

function makeLab(parts: {
  dir: string;
  net: string;
  port: number;
  rootHintsFile: string;
  processes: readonly LabProcess[];
  plainResolver: LabProcess;
}): DnsLab {
  const { dir, net, port, processes } = parts;
  const at = (octet: number, serverPort = port): ServerAddress => ({
    address: `${net}.${octet}`,
    port: serverPort,
  });
  let stopping: Promise<void> | undefined;

  return {
    root: at(1, 53),
    rootHintsFile: parts.rootHintsFile,
    resolver: at(RESOLVER_OCTETS.resolver),
    validatingResolver: at(RESOLVER_OCTETS.validatingResolver),
    deadResolver: at(RESOLVER_OCTETS.deadResolver),
    domains: LAB_DOMAINS,
    nameServers: nameServerAddresses(net),
    stopResolver: () => stopProcesses([parts.plainResolver]),
    stop() {
      stopping ??= stopProcesses(processes).finally(() =>
        rm(dir, { recursive: true, force: true }),
      );
      return stopping;
    },
  };
}

function nameServerAddresses(net: string): Record<LabNameServer['role'], ServerAddress> {
  const entries = NAME_SERVERS.map((server) => [
    server.role,
    { address: `${net}.${server.octet}`, port: 53 },
  ]);

  return Object.fromEntries(entries) as Record<LabNameServer['role'], ServerAddress>;
}

/** SIGTERM, then SIGKILL for any that has not exited after a grace period. */
async function stopProcesses(processes: readonly LabProcess[]): Promise<void> {
  await Promise.all(processes.map(stopProcess));
}

async function stopProcess(labProcess: LabProcess): Promise<void> {
  const { child, exited } = labProcess;
  if (child.exitCode !== null || child.signalCode !== null) return;

  child.kill('SIGTERM');
  const graceful = await Promise.race([exited.then(() => true), delay(STOP_GRACE_MS, false)]);
  if (graceful) return;

  child.kill('SIGKILL');
  await exited;
}
