// Small in-process delegation trees, the scaffolding around a fault that a real server will not
// produce: fault servers on several loopback addresses sharing one port, each answering from a
// few zones like an authoritative server. Ordinary DNS behaviour is tested against the NSD and
// unbound lab (test/helpers/dns-lab.ts), not against this.

import type { Answer, DecodedPacket } from 'dns-packet';

import { questionOf, replyTo, startFaultServer } from './fault-server.js';
import type { FaultAction, FaultHandler, FaultServer } from './fault-server.js';

export interface FakeZone {
  /** Apex, lower case; `.` for the root. */
  readonly name: string;
  /** Everything the zone holds: apex NS, delegations (NS below the apex), glue, data. */
  readonly records: readonly Answer[];
}

export interface FakeTree {
  readonly net: string;
  readonly port: number;
  readonly servers: ReadonlyMap<number, FaultServer>;
  close(): Promise<void>;
}

/** A random 127.x.y prefix away from the DNS lab's range (127.100-249). */
export function randomNet(): string {
  return `127.${10 + Math.floor(Math.random() * 80)}.${Math.floor(Math.random() * 256)}`;
}

/** Starts one server per octet on `${net}.<octet>`, all on one free port. */
export async function startTree(
  net: string,
  handlers: Readonly<Record<number, FaultHandler>>,
): Promise<FakeTree> {
  for (let attempt = 0; attempt < 10; attempt += 1) {
    const started = await tryStart(net, handlers);

    if (started !== undefined) {
      return started;
    }
  }

  throw new Error(`No common free port for the fake tree on ${net}`);
}

/**
 * Answers like an authoritative server of the given zones: referrals, AA answers, NXDOMAIN.
 * It knows no DNSSEC: referrals carry no DS, and a DS question at a cut is referred down where a
 * real parent answers it itself. Test DNSSEC against the lab.
 */
export function serveZones(zones: readonly FakeZone[]): FaultHandler {
  return (query) => {
    const { name } = questionOf(query);
    const zone = deepestZone(zones, name);

    return zone === undefined
      ? [{ reply: replyTo(query, { rcode: 'REFUSED' }) }]
      : [answerFromZone(query, zone)];
  };
}

export function ns(owner: string, target: string): Answer {
  return { name: owner, type: 'NS', ttl: 300, data: target };
}

export function a(owner: string, address: string): Answer {
  return { name: owner, type: address.includes(':') ? 'AAAA' : 'A', ttl: 300, data: address };
}

export function mx(owner: string, preference: number, exchange: string): Answer {
  return { name: owner, type: 'MX', ttl: 300, data: { preference, exchange } };
}

export function cname(owner: string, target: string): Answer {
  return { name: owner, type: 'CNAME', ttl: 300, data: target };
}

export function soa(owner: string, serial = 1): Answer {
  return {
    name: owner,
    type: 'SOA',
    ttl: 300,
    data: {
      mname: `ns.${owner}`,
      rname: `hostmaster.${owner}`,
      serial,
      refresh: 3600,
      retry: 600,
      expire: 86400,
      minimum: 300,
    },
  };
}

export function ds(owner: string): Answer {
  return {
    name: owner,
    type: 'DS',
    ttl: 300,
    data: { keyTag: 12345, algorithm: 13, digestType: 2, digest: Buffer.alloc(32, 1) },
  };
}

async function tryStart(
  net: string,
  handlers: Readonly<Record<number, FaultHandler>>,
): Promise<FakeTree | undefined> {
  const servers = new Map<number, FaultServer>();
  let port = 0;

  try {
    for (const [octet, handler] of Object.entries(handlers)) {
      const server = await startFaultServer(handler, { address: `${net}.${octet}`, port });

      port = server.port;
      servers.set(Number(octet), server);
    }
  } catch {
    await Promise.all([...servers.values()].map((server) => server.close()));

    return undefined;
  }

  return {
    net,
    port,
    servers,
    close: async () => {
      await Promise.all([...servers.values()].map((server) => server.close()));
    },
  };
}

function deepestZone(zones: readonly FakeZone[], name: string): FakeZone | undefined {
  const matching = zones.filter((zone) => isAtOrBelow(name, zone.name));

  return matching.sort((x, y) => labels(y.name) - labels(x.name))[0];
}

function answerFromZone(query: DecodedPacket, zone: FakeZone): FaultAction {
  const { name, type } = questionOf(query);
  const cut = findCut(zone, name);

  if (cut !== undefined) {
    return { reply: referral(query, zone, cut) };
  }

  const owned = zone.records.filter((record) => record.name.toLowerCase() === name);
  const wanted = owned.filter((record) => record.type === type || record.type === 'CNAME');

  if (wanted.length > 0) {
    return { reply: replyTo(query, { authoritative: true, answers: wanted }) };
  }

  const exists = owned.length > 0 || zone.records.some((record) => isBelow(record.name, name));

  return {
    reply: replyTo(query, {
      authoritative: true,
      rcode: exists ? 'NOERROR' : 'NXDOMAIN',
      authorities: [soa(zone.name === '.' ? '' : zone.name)],
    }),
  };
}

/** The deepest delegation (NS below the apex) at or above the name. */
function findCut(zone: FakeZone, name: string): string | undefined {
  const owners = zone.records
    .filter((record) => record.type === 'NS' && record.name !== zone.name)
    .map((record) => record.name)
    .filter((owner) => isAtOrBelow(name, owner));

  return owners.sort((x, y) => labels(y) - labels(x))[0];
}

function referral(query: DecodedPacket, zone: FakeZone, cut: string): ReturnType<typeof replyTo> {
  const nsRecords = zone.records.filter((record) => record.type === 'NS' && record.name === cut);
  const targets = new Set(nsRecords.map((record) => (record.type === 'NS' ? record.data : '')));
  const glue = zone.records.filter(
    (record) => (record.type === 'A' || record.type === 'AAAA') && targets.has(record.name),
  );

  return replyTo(query, { authorities: nsRecords, additionals: glue });
}

function isAtOrBelow(name: string, zone: string): boolean {
  return zone === '.' || name === zone || name.endsWith(`.${zone}`);
}

function isBelow(name: string, zone: string): boolean {
  return name !== zone && isAtOrBelow(name, zone);
}

function labels(name: string): number {
  return name === '.' ? 0 : name.split('.').length;
}
