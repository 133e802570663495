// One DNS question to one server: UDP through node:dgram, TCP when the reply is truncated,
// wire format through dns-packet. A reply counts only when it matches what was asked.

import { randomInt } from 'node:crypto';
import dgram from 'node:dgram';
import { isIPv6 } from 'node:net';
import net from 'node:net';

import dnsPacket from 'dns-packet';
import type { DecodedPacket, RecordType } from 'dns-packet';

import type { ServerAddress } from './types.js';

export interface Question {
  readonly name: string;
  readonly type: RecordType;
}

export interface QueryOptions {
  /** RD (and AD): ask a resolver to recurse. Off for authoritative servers and the walk. */
  readonly recursion: boolean;
  /** CD: ask a validating resolver not to check DNSSEC signatures. */
  readonly checkingDisabled?: boolean;
  /** DO in the EDNS header: ask for RRSIG and DS records. */
  readonly dnssecOk?: boolean;
  /** Time limit for each UDP send and for the TCP exchange. */
  readonly timeoutMs: number;
  /** Ask over TCP from the start. */
  readonly tcp?: boolean;
  /** UDP sends on silence; default 1. */
  readonly attempts?: number;
  /** Send an EDNS0 OPT record; default true. */
  readonly edns?: boolean;
  /** Ends waiting early (the overall budget); the outcome is then a timeout with `aborted`. */
  readonly signal?: AbortSignal;
}

/** What one query came to on the wire, before any judgement about its content. */
export interface QueryOutcome {
  readonly server: ServerAddress;
  readonly question: Question;
  /**
   * `response`: a matching reply (in `response`). `timeout`: silence over UDP. `tcp-timeout`:
   * silence over TCP. `unreachable`: refused or no route (`error` has the code). `truncated`:
   * TC set even over TCP. `bad-response`: a TCP stream that ended without a matching reply.
   */
  readonly status:
    'response' | 'timeout' | 'tcp-timeout' | 'unreachable' | 'truncated' | 'bad-response';
  readonly response?: DecodedPacket;
  /** Transport of the last exchange. */
  readonly transport: 'udp' | 'tcp';
  /** The UDP reply had TC set, so the question was asked again over TCP. */
  readonly truncatedUdp: boolean;
  readonly ms: number;
  /** Packets received and dropped: undecodable, wrong ID, wrong question, wrong source. */
  readonly ignored: number;
  readonly error?: string;
  readonly aborted?: boolean;
}

/** The EDNS0 buffer size agreed at DNS Flag Day 2020: no IP fragmentation. */
export const EDNS_BUFFER_SIZE = 1232;

type Exchange = Omit<QueryOutcome, 'server' | 'question' | 'ms' | 'truncatedUdp' | 'transport'>;

/** Asks one question; never rejects: every failure is an outcome. */
export async function query(
  server: ServerAddress,
  question: Question,
  options: QueryOptions,
): Promise<QueryOutcome> {
  const started = performance.now();
  const finish = (
    exchange: Exchange,
    transport: 'udp' | 'tcp',
    truncatedUdp: boolean,
  ): QueryOutcome => ({
    server,
    question,
    ...exchange,
    transport,
    truncatedUdp,
    ms: Math.round(performance.now() - started),
  });

  if (options.tcp === true) {
    return finish(await exchangeTcp(server, question, options), 'tcp', false);
  }

  const udp = await exchangeUdp(server, question, options);

  if (udp.response?.flag_tc !== true || udp.aborted === true) {
    return finish(udp, 'udp', false);
  }

  const tcp = await exchangeTcp(server, question, options);

  return finish({ ...tcp, ignored: udp.ignored + tcp.ignored }, 'tcp', true);
}

/** Whether a decoded packet is the reply to this query (RFC 5452 §9.1: ID, question, source). */
export function isMatchingReply(packet: DecodedPacket, id: number, question: Question): boolean {
  if (packet.type !== 'response' || packet.id !== id) {
    return false;
  }

  const asked = packet.questions?.[0];

  // A server that rejects the query's format may leave the question out (RFC 6891 §7).
  if (asked === undefined) {
    return packet.questions?.length === 0 && isFormatRejection(packet);
  }

  return (
    packet.questions?.length === 1 &&
    normalizeName(asked.name) === normalizeName(question.name) &&
    asked.type === question.type &&
    (asked.class ?? 'IN') === 'IN'
  );
}

/** Lower case without the trailing dot; the root stays `.`. */
export function normalizeName(name: string): string {
  const lower = name.toLowerCase();

  return lower.length > 1 && lower.endsWith('.') ? lower.slice(0, -1) : lower;
}

function isFormatRejection(packet: DecodedPacket): boolean {
  const rcode = (packet as { rcode?: string }).rcode;

  return rcode === 'FORMERR' || rcode === 'NOTIMP';
}

function encodeQuery(id: number, question: Question, options: QueryOptions): Buffer {
  // AD in a query asks a validating resolver to say whether it validated (RFC 6840 §5.7).
  const flags =
    (options.recursion ? dnsPacket.RECURSION_DESIRED | dnsPacket.AUTHENTIC_DATA : 0) |
    (options.checkingDisabled === true ? dnsPacket.CHECKING_DISABLED : 0);
  const opt = {
    type: 'OPT' as const,
    name: '.',
    udpPayloadSize: EDNS_BUFFER_SIZE,
    extendedRcode: 0,
    ednsVersion: 0,
    flags: options.dnssecOk === true ? dnsPacket.DNSSEC_OK : 0,
    flag_do: options.dnssecOk === true,
    options: [],
  };

  return dnsPacket.encode({
    type: 'query',
    id,
    flags,
    questions: [{ name: question.name, type: question.type, class: 'IN' }],
    additionals: options.edns === false ? [] : [opt],
  });
}

function exchangeUdp(
  server: ServerAddress,
  question: Question,
  options: QueryOptions,
): Promise<Exchange> {
  const id = randomInt(0, 65536);
  const packet = encodeQuery(id, question, options);
  const socket = dgram.createSocket(isIPv6(stripScope(server.address)) ? 'udp6' : 'udp4');
  let ignored = 0;
  let sendsLeft = Math.max(1, options.attempts ?? 1);

  return new Promise((resolve) => {
    let timer: NodeJS.Timeout | undefined;

    const settle = (exchange: Omit<Exchange, 'ignored'>): void => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      socket.removeAllListeners();
      socket.on('error', () => undefined);
      socket.close();
      resolve({ ...exchange, ignored });
    };

    const onAbort = (): void => settle({ status: 'timeout', aborted: true });

    const send = (): void => {
      sendsLeft -= 1;
      timer = setTimeout(onSilence, options.timeoutMs);
      socket.send(packet, (error) => {
        if (error !== null) {
          settle(networkFailure(error));
        }
      });
    };

    const onSilence = (): void => (sendsLeft > 0 ? send() : settle({ status: 'timeout' }));

    socket.on('message', (message, remote) => {
      const reply =
        remote.port === server.port && isSameAddress(remote.address, server.address)
          ? decodeMatching(message, id, question)
          : undefined;

      if (reply === undefined) {
        ignored += 1;
      } else {
        settle({ status: 'response', response: reply });
      }
    });

    socket.on('error', (error) => settle(networkFailure(error)));

    if (options.signal?.aborted === true) {
      settle({ status: 'timeout', aborted: true });

      return;
    }

    options.signal?.addEventListener('abort', onAbort);
    // A connected socket hears ICMP port unreachable as ECONNREFUSED, and the kernel drops
    // datagrams from any other address or port before they reach us.
    socket.connect(server.port, server.address, send);
  });
}

function exchangeTcp(
  server: ServerAddress,
  question: Question,
  options: QueryOptions,
): Promise<Exchange> {
  const id = randomInt(0, 65536);
  const body = encodeQuery(id, question, options);
  const prefix = Buffer.alloc(2);
  const reader = new StreamReader();
  let ignored = 0;

  prefix.writeUInt16BE(body.length);

  return new Promise((resolve) => {
    const socket = net.connect({ host: server.address, port: server.port });
    const timer = setTimeout(() => settle({ status: 'tcp-timeout' }), options.timeoutMs);

    const settle = (exchange: Omit<Exchange, 'ignored'>): void => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      socket.removeAllListeners();
      socket.on('error', () => undefined);
      socket.destroy();
      resolve({ ...exchange, ignored });
    };

    const onAbort = (): void => settle({ status: 'tcp-timeout', aborted: true });

    socket.on('connect', () => socket.write(Buffer.concat([prefix, body])));
    socket.on('data', (chunk) => {
      for (const message of reader.push(chunk)) {
        const reply = decodeMatching(message, id, question);

        if (reply === undefined) {
          ignored += 1;
        } else {
          settle(
            reply.flag_tc
              ? { status: 'truncated', response: reply }
              : {
                  status: 'response',
                  response: reply,
                },
          );

          return;
        }
      }
    });
    socket.on('end', () => settle(ignored > 0 ? { status: 'bad-response' } : closedEarly()));
    socket.on('error', (error) => settle(networkFailure(error)));

    if (options.signal?.aborted === true) {
      onAbort();
    } else {
      options.signal?.addEventListener('abort', onAbort);
    }
  });
}

/** Splits a TCP byte stream into DNS messages by their two-byte length prefix (RFC 1035 §4.2.2). */
class StreamReader {
  private pending: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Buffer[] {
    const messages: Buffer[] = [];

    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);

    while (this.pending.length >= 2) {
      const length = this.pending.readUInt16BE(0);

      if (this.pending.length < length + 2) {
        break;
      }

      messages.push(this.pending.subarray(2, length + 2));
      this.pending = this.pending.subarray(length + 2);
    }

    return messages;
  }
}

function decodeMatching(
  message: Buffer,
  id: number,
  question: Question,
): DecodedPacket | undefined {
  try {
    const packet = dnsPacket.decode(message);

    return isMatchingReply(packet, id, question) ? packet : undefined;
  } catch {
    return undefined;
  }
}

function networkFailure(error: Error): Omit<Exchange, 'ignored'> {
  return { status: 'unreachable', error: (error as NodeJS.ErrnoException).code ?? error.message };
}

function closedEarly(): Omit<Exchange, 'ignored'> {
  return { status: 'unreachable', error: 'ECONNRESET' };
}

function isSameAddress(remote: string, expected: string): boolean {
  return stripScope(remote).toLowerCase() === stripScope(expected).toLowerCase();
}

function stripScope(address: string): string {
  const percent = address.indexOf('%');

  return percent === -1 ? address : address.slice(0, percent);
}
