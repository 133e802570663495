// An in-process DNS server on loopback for what real servers will not do on demand: garbage,
// wrong IDs, wrong questions, truncation loops, silence, replies from another port. It also
// plays small delegation trees (root, TLD, domain) for the walk's tests.

import dgram from 'node:dgram';
import net from 'node:net';

import dnsPacket from 'dns-packet';
import type { Answer, DecodedPacket, Packet } from 'dns-packet';

import type { ServerAddress } from '../../src/dns/types.js';

/** What the server does with one query: reply, send raw bytes, reply from another port, wait
 *  before the next action (UDP), or (over TCP) close the connection. */
export type FaultAction =
  | { readonly reply: Packet }
  | { readonly raw: Buffer }
  | { readonly replyFromOtherPort: Packet }
  | { readonly endConnection: true }
  | { readonly waitMs: number };

export type FaultHandler = (
  query: DecodedPacket,
  transport: 'udp' | 'tcp',
) => readonly FaultAction[];

export interface FaultServer extends ServerAddress {
  /** Queries received so far, by transport. */
  readonly received: { udp: number; tcp: number };
  readonly queries: DecodedPacket[];
  close(): Promise<void>;
}

export interface ReplyParts {
  readonly rcode?: string;
  readonly authoritative?: boolean;
  readonly truncated?: boolean;
  readonly answers?: readonly Answer[];
  readonly authorities?: readonly Answer[];
  readonly additionals?: readonly Answer[];
  readonly id?: number;
  readonly questionName?: string;
}

const RCODES: Record<string, number> = {
  NOERROR: 0,
  FORMERR: 1,
  SERVFAIL: 2,
  NXDOMAIN: 3,
  NOTIMP: 4,
  REFUSED: 5,
};

/**
 * Starts UDP and TCP listeners on one loopback address and port (port 0: any free one; the
 * same port is then taken for TCP).
 */
export async function startFaultServer(
  handler: FaultHandler,
  options: { address?: string; port?: number } = {},
): Promise<FaultServer> {
  const address = options.address ?? '127.0.0.1';
  const state = { received: { udp: 0, tcp: 0 }, queries: [] as DecodedPacket[] };
  const tries = options.port === undefined || options.port === 0 ? 10 : 1;

  for (let attempt = 1; ; attempt += 1) {
    try {
      const { udp, tcp } = await bindBoth(address, options.port ?? 0, handler, state);

      return { address, port: udp.address().port, ...state, close: () => closeBoth(udp, tcp) };
    } catch (error) {
      // A free UDP port may be taken for TCP: then another port is tried.
      if (attempt >= tries) {
        throw error;
      }
    }
  }
}

/** A reply to `query` with the given parts; ID and question are copied unless overridden. */
export function replyTo(query: DecodedPacket, parts: ReplyParts = {}): Packet {
  const flags =
    (RCODES[parts.rcode ?? 'NOERROR'] ?? 0) |
    (parts.authoritative === true ? dnsPacket.AUTHORITATIVE_ANSWER : 0) |
    (parts.truncated === true ? dnsPacket.TRUNCATED_RESPONSE : 0) |
    (query.flag_rd ? dnsPacket.RECURSION_DESIRED : 0) |
    (query.flag_cd ? dnsPacket.CHECKING_DISABLED : 0);
  const question = query.questions?.[0] ?? { name: '.', type: 'A' as const };

  return {
    type: 'response',
    id: parts.id ?? query.id ?? 0,
    flags,
    questions: [{ ...question, name: parts.questionName ?? question.name }],
    answers: [...(parts.answers ?? [])],
    authorities: [...(parts.authorities ?? [])],
    additionals: [...(parts.additionals ?? [])],
  };
}

/** The first question of a query, lower-cased, for handlers that switch on it. */
export function questionOf(query: DecodedPacket): { name: string; type: string } {
  const question = query.questions?.[0];

  return { name: (question?.name ?? '').toLowerCase(), type: question?.type ?? '' };
}

async function listenTcp(
  address: string,
  port: number,
  handler: FaultHandler,
  state: { received: { udp: number; tcp: number }; queries: DecodedPacket[] },
): Promise<{ server: net.Server; openSockets: Set<net.Socket> }> {
  const openSockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    let pending = Buffer.alloc(0);

    openSockets.add(socket);
    socket.on('close', () => openSockets.delete(socket));
    socket.on('error', () => undefined);
    socket.on('data', (chunk) => {
      pending = Buffer.concat([pending, chunk]);

      while (pending.length >= 2 && pending.length >= pending.readUInt16BE(0) + 2) {
        const length = pending.readUInt16BE(0);
        const query = decodeQuery(pending.subarray(2, length + 2));

        pending = pending.subarray(length + 2);

        if (query !== undefined) {
          state.received.tcp += 1;
          state.queries.push(query);
          writeTcpActions(socket, handler(query, 'tcp'));
        }
      }
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, address, () => resolve());
  });

  return { server, openSockets };
}

async function bindBoth(
  address: string,
  port: number,
  handler: FaultHandler,
  state: { received: { udp: number; tcp: number }; queries: DecodedPacket[] },
): Promise<{ udp: dgram.Socket; tcp: Awaited<ReturnType<typeof listenTcp>> }> {
  const udp = dgram.createSocket('udp4');

  await new Promise<void>((resolve, reject) => {
    udp.once('error', reject);
    udp.bind(port, address, () => resolve());
  });

  const tcp = await listenTcp(address, udp.address().port, handler, state).catch((error) => {
    udp.close();
    throw error;
  });

  udp.on('message', (message, remote) => {
    const query = decodeQuery(message);

    if (query !== undefined) {
      state.received.udp += 1;
      state.queries.push(query);
      void sendUdpActions(udp, handler(query, 'udp'), remote);
    }
  });

  return { udp, tcp };
}

function decodeQuery(message: Buffer): DecodedPacket | undefined {
  try {
    return dnsPacket.decode(message);
  } catch {
    return undefined;
  }
}

/** Sends the actions in order; a server closed meanwhile (after a wait) sends nothing more. */
async function sendUdpActions(
  socket: dgram.Socket,
  actions: readonly FaultAction[],
  remote: dgram.RemoteInfo,
): Promise<void> {
  try {
    for (const action of actions) {
      await sendUdpAction(socket, action, remote);
    }
  } catch {
    return;
  }
}

async function sendUdpAction(
  socket: dgram.Socket,
  action: FaultAction,
  remote: dgram.RemoteInfo,
): Promise<void> {
  if ('endConnection' in action) {
    return;
  }

  if ('waitMs' in action) {
    await new Promise((resolve) => setTimeout(resolve, action.waitMs));
  } else if ('replyFromOtherPort' in action) {
    const bytes = dnsPacket.encode(action.replyFromOtherPort);

    await sendFromOtherPort(socket.address().address, bytes, remote);
  } else {
    const bytes = 'raw' in action ? action.raw : dnsPacket.encode(action.reply);

    await new Promise((resolve) => socket.send(bytes, remote.port, remote.address, resolve));
  }
}

async function sendFromOtherPort(
  address: string,
  bytes: Buffer,
  remote: dgram.RemoteInfo,
): Promise<void> {
  const other = dgram.createSocket('udp4');

  await new Promise<void>((resolve) => other.bind(0, address, () => resolve()));
  await new Promise((resolve) => other.send(bytes, remote.port, remote.address, resolve));
  other.close();
}

function writeTcpActions(socket: net.Socket, actions: readonly FaultAction[]): void {
  for (const action of actions) {
    if ('endConnection' in action) {
      socket.end();

      return;
    }

    if ('waitMs' in action) {
      continue;
    }

    const bytes =
      'raw' in action
        ? action.raw
        : dnsPacket.encode('reply' in action ? action.reply : action.replyFromOtherPort);
    const prefix = Buffer.alloc(2);

    prefix.writeUInt16BE(bytes.length);
    socket.write(Buffer.concat([prefix, bytes]));
  }
}

async function closeBoth(
  udp: dgram.Socket,
  tcp: { server: net.Server; openSockets: Set<net.Socket> },
): Promise<void> {
  await new Promise<void>((resolve) => udp.close(() => resolve()));

  for (const socket of tcp.openSockets) {
    socket.destroy();
  }

  await new Promise<void>((resolve) => tcp.server.close(() => resolve()));
}
