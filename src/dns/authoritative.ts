// Asking every address of every name server of the domain's zone directly, without recursion:
// MX for the domain and SOA for the zone over UDP (TCP on truncation), then MX over TCP.

import type { Probe } from '../model.js';
import { classifyOutcome, extractMx, isEdnsRejected, toProbes, toReply } from './classify.js';
import type { ZoneCut } from './iterate.js';
import { query } from './query.js';
import type { QueryOutcome, Question } from './query.js';
import type { AskOptions, MxFinding } from './resolvers.js';
import type {
  AuthoritativeReply,
  AuthoritativeServer,
  AuthoritativeView,
  MxRecord,
  ProbeResult,
  Reply,
  ServerAddress,
} from './types.js';
import { DEFINITE_RESULTS } from './types.js';

export interface AuthoritativeOptions extends AskOptions {
  /** Told about every result, so the walk skips servers found silent here. */
  readonly noteHealth?: (server: ServerAddress, result: ProbeResult) => void;
}

export interface AuthoritativeProbing {
  readonly view: AuthoritativeView;
  /** The MX result of the first server that gave a definite one, with its records (not taken
   *  from a reply that only holds an alias to another zone). */
  readonly mx?: MxFinding;
  /** Name server names with at least one address that gave a definite MX or SOA result. */
  readonly reached: ReadonlySet<string>;
}

interface Asked {
  readonly outcome: QueryOutcome;
  readonly result: ProbeResult;
  readonly reply: AuthoritativeReply;
}

interface ServerProbe {
  readonly server: AuthoritativeServer;
  readonly mxRecords: MxRecord[];
}

/** Probes every address of every name server of `cut` about `domain`, all at once. */
export async function probeAuthoritative(
  cut: ZoneCut,
  domain: string,
  options: AuthoritativeOptions,
  sink: (probe: Probe) => void,
): Promise<AuthoritativeProbing> {
  const targets = cut.servers.flatMap((server) =>
    server.addresses.map((address) => ({ name: server.name, address })),
  );
  const probes = await Promise.all(
    targets.map((target) => probeServer(target, domain, cut.zone, options, sink)),
  );
  const first = probes.find(isMxFinding);

  return {
    view: summarise(probes.map((probe) => probe.server)),
    ...(first === undefined
      ? {}
      : {
          mx: { result: first.server.mx.result as MxFinding['result'], records: first.mxRecords },
        }),
    reached: new Set(probes.filter(isReached).map((probe) => probe.server.name)),
  };
}

async function probeServer(
  target: { name: string; address: ServerAddress },
  domain: string,
  zone: string,
  options: AuthoritativeOptions,
  sink: (probe: Probe) => void,
): Promise<ServerProbe> {
  const ask = (question: Question): Promise<Asked> =>
    askAuthoritative(target, question, zone, options, sink);
  const [mx, soa] = await Promise.all([
    ask({ name: domain, type: 'MX' }),
    ask({ name: zone, type: 'SOA' }),
  ]);
  const tcp = isTcpWorthAsking(mx)
    ? await checkTcp(target, { domain, zone, edns: !mx.reply.ednsRetried }, options, sink)
    : undefined;
  const serial = serialOf(soa);

  return {
    server: {
      name: target.name,
      address: target.address.address,
      port: target.address.port,
      mx: mx.reply,
      soa: soa.reply,
      ...(tcp === undefined ? {} : { tcp }),
      ...(serial === undefined ? {} : { serial }),
    },
    mxRecords: mx.result === 'answer' ? extractMx(mx.outcome) : [],
  };
}

/**
 * Asks once; a server that rejects EDNS (FORMERR, NOTIMP) is asked again without it. One that
 * is silent is not: a dead server is the common case in an outage, and a second try without
 * EDNS would add a timeout to each one for the rare path that drops EDNS packets.
 */
async function askAuthoritative(
  target: { name: string; address: ServerAddress },
  question: Question,
  zone: string,
  options: AuthoritativeOptions,
  sink: (probe: Probe) => void,
): Promise<Asked> {
  const first = await askOnce(target, question, zone, options, sink, true);

  if (!isEdnsRejected(first.result)) {
    return first;
  }

  const second = await askOnce(target, question, zone, options, sink, false);
  return { ...second, reply: { ...second.reply, ednsRetried: true } };
}

async function askOnce(
  target: { name: string; address: ServerAddress },
  question: Question,
  zone: string,
  options: AuthoritativeOptions,
  sink: (probe: Probe) => void,
  edns: boolean,
): Promise<Asked> {
  const outcome = await query(target.address, question, { ...queryOptions(options), edns });
  const result = classifyOutcome(outcome, { authoritative: true, zone });

  toProbes(outcome, 'authoritative', result, target.name).forEach(sink);
  options.noteHealth?.(target.address, result);

  return {
    outcome,
    result,
    reply: { ...toReply(outcome, result), truncatedUdp: outcome.truncatedUdp, ednsRetried: false },
  };
}

/** A server that answered over UDP is also asked over TCP, which RFC 7766 requires it to serve. */
function isTcpWorthAsking(mx: Asked): boolean {
  return mx.outcome.status === 'response' && mx.outcome.transport === 'udp';
}

/** Asked with EDNS unless the server was found to reject it. */
async function checkTcp(
  target: { name: string; address: ServerAddress },
  asked: { domain: string; zone: string; edns: boolean },
  options: AuthoritativeOptions,
  sink: (probe: Probe) => void,
): Promise<Reply> {
  const outcome = await query(
    target.address,
    { name: asked.domain, type: 'MX' },
    { ...queryOptions(options), tcp: true, edns: asked.edns },
  );
  const result = classifyOutcome(outcome, { authoritative: true, zone: asked.zone });

  toProbes(outcome, 'authoritative', result, target.name).forEach(sink);

  return toReply(outcome, result);
}

function queryOptions(options: AskOptions): {
  recursion: false;
  timeoutMs: number;
  attempts?: number;
  signal?: AbortSignal;
} {
  return {
    recursion: false,
    timeoutMs: options.timeoutMs,
    ...(options.attempts === undefined ? {} : { attempts: options.attempts }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  };
}

function serialOf(soa: Asked): number | undefined {
  const record =
    soa.result === 'answer'
      ? soa.outcome.response?.answers?.find((answer) => answer.type === 'SOA')
      : undefined;

  return record?.type === 'SOA' ? record.data.serial : undefined;
}

/** A definite MX result, except an alias whose MX records lie in another zone: the MTA follows
 *  it, so the resolvers' view is the better source then. */
function isMxFinding(probe: ServerProbe): boolean {
  const result = probe.server.mx.result;

  return DEFINITE_RESULTS.has(result) && (result !== 'answer' || probe.mxRecords.length > 0);
}

function isReached(probe: ServerProbe): boolean {
  return (
    DEFINITE_RESULTS.has(probe.server.mx.result) || DEFINITE_RESULTS.has(probe.server.soa.result)
  );
}

function summarise(servers: readonly AuthoritativeServer[]): AuthoritativeView {
  const definite = servers.filter((server) => DEFINITE_RESULTS.has(server.mx.result));
  const keys = new Set(definite.map((server) => answerKey(server.mx)));
  const consensus = keys.size === 1 ? definite[0]?.mx.result : undefined;
  const serials = [...new Set(servers.flatMap((server) => server.serial ?? []))];

  return {
    servers,
    answering: definite.length,
    failing: servers.length - definite.length,
    agree: keys.size <= 1,
    ...(consensus === undefined
      ? {}
      : { consensus: consensus as 'answer' | 'nxdomain' | 'nodata' }),
    serials: serials.sort((a, b) => a - b),
  };
}

function answerKey(reply: Reply): string {
  return `${reply.result} ${[...reply.records].sort().join('|')}`;
}
