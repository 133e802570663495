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
   * TC set even over TCP. `bad-response`: packets came, but none was a matching reply (the wait
   * ended, or the TCP stream did).
   */
  readonly status:
    'response' | 'timeout' | 'tcp-timeout' | 'unreachable' | 'truncated' | 'bad-response';
  readonly response?: DecodedPacket;
  /** Transport of the last exchange. */
  readonly transport: 'udp' | 'tcp';
  /** The UDP reply had TC set, so the question was asked again over TCP. */
  readonly truncatedUdp: boolean;
  /** The UDP reply with TC set, kept as evidence when the question went on to TCP. */
  readonly truncatedReply?: { readonly response: DecodedPacket; readonly ms: number };
  readonly ms: number;
  /** Packets received and dropped: undecodable, wrong ID, wrong question, wrong source. */
  readonly ignored: number;
  readonly error?: string;
  readonly aborted?: boolean;
}

/** The EDNS0 buffer size agreed at DNS Flag Day 2020: no IP fragmentation. */
const EDNS_BUFFER_SIZE = 1232;

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

  const truncatedReply = { response: udp.response, ms: Math.round(performance.now() - started) };
  const tcp = await exchangeTcp(server, question, options);

  return { ...finish({ ...tcp, ignored: udp.ignored + tcp.ignored }, 'tcp', true), truncatedReply };
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

  return runExchange(options, 'timeout', ({ settle, ignore, ignoredSoFar }) => {
    const socket = dgram.createSocket(isIPv6(stripScope(server.address)) ? 'udp6' : 'udp4');
    let sendsLeft = Math.max(1, options.attempts ?? 1);
    let timer: NodeJS.Timeout | undefined;

    const send = (): void => {
      sendsLeft -= 1;
      timer = setTimeout(
        () => (sendsLeft > 0 ? send() : settle(silenceOr('timeout', ignoredSoFar()))),
        options.timeoutMs,
      );
      socket.send(packet, (error) => error !== null && settle(networkFailure(error)));
    };

    socket.on('message', (message, remote) => {
      const isFromServer =
        remote.port === server.port && isSameAddress(remote.address, server.address);
      const reply = isFromServer ? decodeMatching(message, id, question) : undefined;

      return reply === undefined ? ignore() : settle({ status: 'response', response: reply });
    });
    socket.on('error', (error) => settle(networkFailure(error)));
    // A connected socket hears ICMP port unreachable as ECONNREFUSED, and the kernel drops
    // datagrams from any other address or port before they reach us. Node hands a failed
    // connect (no route: an IPv6 root server on an IPv4-only host) to this callback, not to
    // 'error'; sending on the unconnected socket would throw.
    socket.connect(server.port, server.address, (error?: Error | null) =>
      error ? settle(networkFailure(error)) : send(),
    );

    return () => {
      clearTimeout(timer);
      socket.removeAllListeners();
      socket.on('error', () => undefined);
      socket.close();
    };
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

  prefix.writeUInt16BE(body.length);

  return runExchange(options, 'tcp-timeout', ({ settle, ignore, ignoredSoFar }) => {
    const socket = net.connect({ host: server.address, port: server.port });
    const reader = new StreamReader();
    const timer = setTimeout(
      () => settle(silenceOr('tcp-timeout', ignoredSoFar())),
      options.timeoutMs,
    );

    socket.on('connect', () => socket.write(Buffer.concat([prefix, body])));
    socket.on('data', (chunk) => {
      const replies = reader.push(chunk).map((message) => decodeMatching(message, id, question));
      const reply = replies.find((candidate) => candidate !== undefined);

      replies
        .slice(0, reply === undefined ? replies.length : replies.indexOf(reply))
        .forEach(ignore);

      if (reply !== undefined) {
        settle({ status: reply.flag_tc ? 'truncated' : 'response', response: reply });
      }
    });
    socket.on('end', () => settle(ignoredSoFar() > 0 ? { status: 'bad-response' } : closedEarly()));
    socket.on('error', (error) => settle(networkFailure(error)));

    return () => {
      clearTimeout(timer);
      socket.removeAllListeners();
      socket.on('error', () => undefined);
      socket.destroy();
    };
  });
}

interface ExchangeControl {
  /** Ends the exchange with this result; later calls do nothing. */
  readonly settle: (exchange: Omit<Exchange, 'ignored'>) => void;
  /** Counts a packet that did not match. */
  readonly ignore: () => void;
  readonly ignoredSoFar: () => number;
}

/**
 * Runs one exchange: `start` opens its socket and returns how to close it. The exchange ends
 * once, by `settle` or by the abort signal, and always closes its socket.
 */
function runExchange(
  options: QueryOptions,
  abortStatus: 'timeout' | 'tcp-timeout',
  start: (control: ExchangeControl) => () => void,
): Promise<Exchange> {
  return new Promise((resolve) => {
    const state = { ignored: 0, isDone: false, close: (): void => undefined };

    const settle = (exchange: Omit<Exchange, 'ignored'>): void => {
      if (!state.isDone) {
        state.isDone = true;
        options.signal?.removeEventListener('abort', onAbort);
        state.close();
        resolve({ ...exchange, ignored: state.ignored });
      }
    };
    const onAbort = (): void => settle({ status: abortStatus, aborted: true });
    const control: ExchangeControl = {
      settle,
      ignore: () => (state.ignored += 1),
      ignoredSoFar: () => state.ignored,
    };

    if (options.signal?.aborted === true) {
      onAbort();

      return;
    }

    options.signal?.addEventListener('abort', onAbort);
    state.close = start(control);

    // `start` may have failed at once; its socket is closed now that it is known.
    if (state.isDone) {
      state.close();
    }
  });
}

/** Splits a TCP byte stream into DNS messages by their two-byte length prefix (RFC 1035
 *  §4.2.2). */
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

/**
 * The end of a wait without a matching reply. Packets that do not match are dropped while
 * waiting, so that a spoofed or stray one cannot end the query (RFC 5452 §9.1); but when some
 * came and no valid one did, the server (or something on the path) answers badly: not silence.
 */
function silenceOr(silence: 'timeout' | 'tcp-timeout', ignored: number): Omit<Exchange, 'ignored'> {
  return { status: ignored > 0 ? 'bad-response' : silence };
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
