// Our own resolution from the root, like `dig +trace`: ask without recursion, follow referrals
// (glue from the referring zone only), resolve name servers outside their zone ourselves.
// One resolver per run caches zone cuts and addresses and remembers which servers were silent.
// It does not check DNSSEC signatures itself: validation failures are told apart by asking
// validating resolvers with and without CD (resolvers.ts); the walk only notes DS at the parent.

import { isIPv6 } from 'node:net';

import type { Probe } from '../model.js';
import {
  classifyOutcome,
  extractAddresses,
  findReferral,
  isAtOrBelow,
  isEdnsRejected,
  toProbes,
} from './classify.js';
import type { Referral } from './classify.js';
import { normalizeName, query } from './query.js';
import type { QueryOutcome } from './query.js';
import { formatServer } from './resolv-conf.js';
import type { AddressAnswer } from './resolvers.js';
import type { ProbeResult, ServerAddress } from './types.js';
import { DEFINITE_RESULTS, SILENT_RESULTS } from './types.js';

export interface IterateOptions {
  readonly timeoutMs: number;
  readonly attempts?: number;
  readonly signal?: AbortSignal;
}

/** Receives every query the walk makes, as evidence. */
export type ProbeSink = (probe: Probe) => void;

/** A name server of a zone, as the walk knows it. Fields fill in as names get resolved. */
export interface ZoneServer {
  readonly name: string;
  addresses: ServerAddress[];
  source: 'glue' | 'resolved' | 'unresolved';
  readonly inBailiwick: boolean;
  /** How our own A/AAAA look-up ended; `servfail` also when it gave up (loop, depth). */
  resolution?: ProbeResult;
  /** Why the look-up was given up before a server answered: the query limit or the budget. */
  stopped?: string;
  isResolveTried: boolean;
}

/** A zone and the name servers its parent delegates it to. */
export interface ZoneCut {
  readonly zone: string;
  readonly parentZone?: string;
  /** Zones from the root down to this one. */
  readonly path: readonly string[];
  readonly servers: ZoneServer[];
  /** Whether the parent's referral carried DS records. */
  readonly signedAtParent?: boolean;
  /** Port for the addresses learnt below the server that named them (53 outside tests). */
  readonly port: number;
}

export interface ZoneSearch {
  readonly status: 'delegated' | 'nxdomain' | 'failed' | 'skipped';
  /** The deepest zone cut known for the name (for `nxdomain`: the zone that said so). */
  readonly cut?: ZoneCut;
  readonly reason?: string;
}

export interface IterativeResolver {
  /** Walks to the zone that holds `domain`; stops at the referral to the domain itself. */
  findZone(domain: string, sink: ProbeSink): Promise<ZoneSearch>;
  /** Resolves A or AAAA for `name` from the root, following CNAMEs. */
  resolveAddress(name: string, type: 'A' | 'AAAA', sink: ProbeSink): Promise<AddressAnswer>;
  /** Resolves the name servers of a cut that have no address yet (for probing all of them). */
  completeServers(cut: ZoneCut, sink: ProbeSink): Promise<void>;
  /** Notes what a server did outside the walk, so silent servers are not waited for again. */
  noteHealth(server: ServerAddress, result: ProbeResult): void;
}

/** Referrals followed in one walk; each must go at least one label down, so this is ample. */
const MAX_REFERRALS = 24;
/** Nested look-ups of name server names (a name server whose name needs another, ...). */
const MAX_DEPTH = 6;
/** Queries one top-level look-up may cost, nested look-ups included. */
const MAX_QUERIES = 120;
/** CNAME links followed. */
const MAX_ALIASES = 8;
/** Addresses tried for one zone before the walk gives up on it. */
const MAX_TRIES_PER_ZONE = 8;

interface RunState {
  readonly roots: ZoneCut;
  readonly options: IterateOptions;
  readonly cuts: Map<string, ZoneCut>;
  readonly answers: Map<string, AddressAnswer>;
  /** Addresses that were silent (timeout, unreachable) in this run. */
  readonly silent: Set<string>;
}

interface Limits {
  readonly queries: { left: number };
  readonly depth: number;
  readonly chain: ReadonlySet<string>;
}

type AskResult =
  | { readonly kind: 'final'; readonly outcome: QueryOutcome; readonly result: ProbeResult }
  | { readonly kind: 'referral'; readonly referral: Referral; readonly server: ServerAddress }
  | {
      readonly kind: 'failed';
      readonly result: ProbeResult;
      readonly reason: string;
      /** Given up by us (query limit, budget), not for what a server said. */
      readonly isStopped?: true;
    };

type WalkEnd =
  | { readonly kind: 'cut'; readonly cut: ZoneCut }
  | {
      readonly kind: 'final';
      readonly cut: ZoneCut;
      readonly outcome: QueryOutcome;
      readonly result: ProbeResult;
    }
  | {
      readonly kind: 'failed';
      readonly cut: ZoneCut;
      readonly result: ProbeResult;
      readonly reason: string;
      readonly isStopped?: true;
    };

/** A resolver for one run, starting from `roots` (each with its port). */
export function createIterativeResolver(
  roots: readonly ServerAddress[],
  options: IterateOptions,
): IterativeResolver {
  const state: RunState = {
    roots: rootCut(roots),
    options,
    cuts: new Map(),
    answers: new Map(),
    silent: new Set(),
  };

  return {
    findZone: (domain, sink) => findZone(state, normalizeName(domain), sink),
    resolveAddress: (name, type, sink) =>
      resolveAddress(state, normalizeName(name), type, sink, freshLimits()),
    completeServers: (cut, sink) => completeServers(state, cut, sink, freshLimits()),
    noteHealth: (server, result) => noteHealth(state, server, result),
  };
}

async function findZone(state: RunState, domain: string, sink: ProbeSink): Promise<ZoneSearch> {
  if (state.roots.servers.length === 0) {
    return { status: 'skipped', reason: 'no root servers are configured' };
  }

  const end = await walk(state, domain, 'MX', sink, freshLimits(), true);

  if (end.kind === 'cut') {
    return { status: 'delegated', cut: end.cut };
  }

  if (end.kind === 'failed') {
    return end.cut.zone === '.'
      ? { status: 'failed', reason: end.reason }
      : { status: 'failed', cut: end.cut, reason: end.reason };
  }

  const isParentNxdomain = end.result === 'nxdomain' && end.cut.zone !== domain;

  return { status: isParentNxdomain ? 'nxdomain' : 'delegated', cut: end.cut };
}

async function resolveAddress(
  state: RunState,
  name: string,
  type: 'A' | 'AAAA',
  sink: ProbeSink,
  limits: Limits,
): Promise<AddressAnswer> {
  const key = `${name}/${type}`;
  const cached = state.answers.get(key);

  if (cached !== undefined) {
    return cached;
  }

  if (limits.chain.has(name) || limits.depth > MAX_DEPTH || state.roots.servers.length === 0) {
    return { result: 'servfail', addresses: [] };
  }

  const inner = { ...limits, depth: limits.depth + 1, chain: new Set([...limits.chain, name]) };
  const answer = await followAliases(state, name, type, sink, inner);

  if (state.options.signal?.aborted !== true) {
    state.answers.set(key, answer);
  }

  return answer;
}

async function followAliases(
  state: RunState,
  name: string,
  type: 'A' | 'AAAA',
  sink: ProbeSink,
  limits: Limits,
): Promise<AddressAnswer> {
  const passed = new Set([name]);
  let target = name;
  let firstAlias: string | undefined;

  for (let links = 0; links <= MAX_ALIASES; links += 1) {
    const end = await walk(state, target, type, sink, limits, false);

    if (end.kind !== 'final') {
      const result = end.kind === 'failed' ? end.result : 'servfail';
      const stopped =
        end.kind === 'failed' && end.isStopped === true ? { stopped: end.reason } : {};

      return withAlias({ result, addresses: [], ...stopped }, firstAlias);
    }

    const found = extractAddresses(end.outcome);

    if (end.result !== 'answer' || found.addresses.length > 0 || found.cname === undefined) {
      const result =
        end.result === 'answer' && found.addresses.length === 0 ? 'nodata' : end.result;

      return withAlias({ result, addresses: found.addresses }, firstAlias ?? found.cname);
    }

    // A loop inside one answer, or across answers of different zones: a resolver gives up.
    if (found.isAliasLoop === true || passed.has(found.cname)) {
      const loop = { result: 'servfail' as const, addresses: [], isAliasLoop: true as const };

      return withAlias(loop, firstAlias ?? found.cname);
    }

    firstAlias ??= found.cname;
    target = found.cname;
    passed.add(target);
  }

  return withAlias({ result: 'servfail', addresses: [] }, firstAlias);
}

function withAlias(answer: AddressAnswer, alias: string | undefined): AddressAnswer {
  return alias === undefined ? answer : { ...answer, cname: alias };
}

/** Asks down the delegation chain for `name` until a server answers for it. */
async function walk(
  state: RunState,
  name: string,
  type: 'MX' | 'A' | 'AAAA',
  sink: ProbeSink,
  limits: Limits,
  stopAtCut: boolean,
): Promise<WalkEnd> {
  let cut = deepestKnownCut(state, name);

  for (let referrals = 0; referrals < MAX_REFERRALS; referrals += 1) {
    if (stopAtCut && cut.zone === name) {
      return { kind: 'cut', cut };
    }

    const asked = await askCut(state, cut, { name, type }, sink, limits);

    if (asked.kind !== 'referral') {
      return { ...asked, cut };
    }

    cut = await learnCut(state, cut, asked.referral, asked.server, sink, limits);
  }

  return {
    kind: 'failed',
    cut,
    result: 'servfail',
    reason: `more than ${MAX_REFERRALS} referrals`,
  };
}

function deepestKnownCut(state: RunState, name: string): ZoneCut {
  for (let zone = name; zone !== '.'; zone = parentOf(zone)) {
    const cut = state.cuts.get(zone);

    if (cut !== undefined) {
      return cut;
    }
  }

  return state.roots;
}

/** Tries the zone's server addresses, best first, until one answers for the name or refers. */
async function askCut(
  state: RunState,
  cut: ZoneCut,
  question: { name: string; type: 'MX' | 'A' | 'AAAA' },
  sink: ProbeSink,
  limits: Limits,
): Promise<AskResult> {
  const failures: string[] = [];
  let lastResult: ProbeResult = 'timeout';

  if (!cut.servers.some((server) => server.addresses.length > 0)) {
    await completeServers(state, cut, sink, limits);
  }

  const candidates = candidatesOf(state, cut);

  if (candidates.length === 0) {
    return { kind: 'failed', result: noCandidateResult(cut), reason: noCandidateReason(cut) };
  }

  for (const candidate of candidates.slice(0, MAX_TRIES_PER_ZONE)) {
    if (limits.queries.left <= 0 || state.options.signal?.aborted === true) {
      const reason = stopReason(state, limits);

      return { kind: 'failed', result: lastResult, reason, isStopped: true };
    }

    limits.queries.left -= 1;

    const asked = await askCandidate(state, cut, candidate, question, sink);

    if (asked.kind !== 'failed') {
      return asked;
    }

    lastResult = asked.result;
    failures.push(asked.reason);
  }

  return { kind: 'failed', result: lastResult, reason: noAnswerReason(cut, failures) };
}

/** One server address of the zone: a final reply, a referral down, or why not. */
async function askCandidate(
  state: RunState,
  cut: ZoneCut,
  candidate: Candidate,
  question: { name: string; type: 'MX' | 'A' | 'AAAA' },
  sink: ProbeSink,
): Promise<AskResult> {
  const { outcome, result } = await queryCandidate(state, cut, candidate, question, sink);
  const referral =
    result === 'referral' && outcome.response !== undefined
      ? findReferral(outcome.response)
      : undefined;

  noteHealth(state, candidate.address, result);

  if (DEFINITE_RESULTS.has(result)) {
    return { kind: 'final', outcome, result };
  }

  return referral === undefined
    ? { kind: 'failed', result, reason: `${formatServer(candidate.address)} ${result}` }
    : { kind: 'referral', referral, server: candidate.address };
}

interface Candidate {
  readonly name: string;
  readonly address: ServerAddress;
}

/** One query to a candidate server, and what it means. */
interface Answered {
  readonly outcome: QueryOutcome;
  readonly result: ProbeResult;
}

/**
 * Asks with EDNS, and once more without it when the server rejects EDNS with FORMERR or NOTIMP
 * (RFC 6891 §7), as resolvers do; the second query is not counted against the query limit.
 */
async function queryCandidate(
  state: RunState,
  cut: ZoneCut,
  candidate: Candidate,
  question: { name: string; type: 'MX' | 'A' | 'AAAA' },
  sink: ProbeSink,
): Promise<Answered> {
  const ask = async (edns: boolean): Promise<Answered> => {
    const asked = await queryOnce(state, cut, candidate, question, edns);

    toProbes(asked.outcome, 'iterative', asked.result, candidate.name || undefined).forEach(sink);

    return asked;
  };
  const first = await ask(true);

  return isEdnsRejected(first.result) ? ask(false) : first;
}

async function queryOnce(
  state: RunState,
  cut: ZoneCut,
  candidate: Candidate,
  question: { name: string; type: 'MX' | 'A' | 'AAAA' },
  edns: boolean,
): Promise<Answered> {
  const { timeoutMs, attempts, signal } = state.options;
  const outcome = await query(candidate.address, question, {
    recursion: false,
    dnssecOk: edns,
    edns,
    timeoutMs,
    ...(attempts === undefined ? {} : { attempts }),
    ...(signal === undefined ? {} : { signal }),
  });

  return { outcome, result: classifyOutcome(outcome, { authoritative: true, zone: cut.zone }) };
}

/** Addresses not silent earlier in this run; IPv4 first (many hosts have no IPv6 route). */
function candidatesOf(state: RunState, cut: ZoneCut): Candidate[] {
  const all = cut.servers.flatMap((server) =>
    server.addresses.map((address) => ({ name: server.name, address })),
  );
  const live = all.filter((candidate) => !state.silent.has(formatServer(candidate.address)));

  return [
    ...live.filter((candidate) => !isIPv6(candidate.address.address)),
    ...live.filter((candidate) => isIPv6(candidate.address.address)),
  ];
}

function noteHealth(state: RunState, server: ServerAddress, result: ProbeResult): void {
  const key = formatServer(server);

  if (SILENT_RESULTS.has(result) && state.options.signal?.aborted !== true) {
    state.silent.add(key);
  } else if (!SILENT_RESULTS.has(result)) {
    state.silent.delete(key);
  }
}

async function learnCut(
  state: RunState,
  parent: ZoneCut,
  referral: Referral,
  from: ServerAddress,
  sink: ProbeSink,
  limits: Limits,
): Promise<ZoneCut> {
  const cut: ZoneCut = {
    zone: referral.zone,
    parentZone: parent.zone,
    path: [...parent.path, referral.zone],
    servers: referral.nameServers.map((name) => serverFromReferral(name, referral, parent, from)),
    signedAtParent: referral.hasDs,
    port: from.port,
  };

  state.cuts.set(cut.zone, cut);

  if (cut.servers.every((server) => server.addresses.length === 0)) {
    await completeServers(state, cut, sink, limits);
  }

  return cut;
}

/** Glue is taken only for names inside the referring server's own zone (RFC 2181 §5.4.1). */
function serverFromReferral(
  name: string,
  referral: Referral,
  parent: ZoneCut,
  from: ServerAddress,
): ZoneServer {
  const glue = isAtOrBelow(name, parent.zone) ? (referral.glue.get(name) ?? []) : [];

  return {
    name,
    addresses: glue.map((address) => ({ address, port: from.port })),
    source: glue.length > 0 ? 'glue' : 'unresolved',
    inBailiwick: isAtOrBelow(name, referral.zone),
    isResolveTried: false,
  };
}

async function completeServers(
  state: RunState,
  cut: ZoneCut,
  sink: ProbeSink,
  limits: Limits,
): Promise<void> {
  const missing = cut.servers.filter(
    (server) => server.addresses.length === 0 && !server.isResolveTried,
  );

  await Promise.all(missing.map((server) => resolveServer(state, cut, server, sink, limits)));
}

async function resolveServer(
  state: RunState,
  cut: ZoneCut,
  server: ZoneServer,
  sink: ProbeSink,
  limits: Limits,
): Promise<void> {
  server.isResolveTried = true;

  const v4 = await resolveAddress(state, server.name, 'A', sink, limits);
  const v6 = await resolveAddress(state, server.name, 'AAAA', sink, limits);
  const addresses = [...v4.addresses, ...v6.addresses];

  server.addresses = addresses.map((address) => ({ address, port: cut.port }));
  server.source = addresses.length > 0 ? 'resolved' : 'unresolved';
  server.resolution = addresses.length > 0 ? 'answer' : v4.result;

  const stopped = v4.stopped ?? v6.stopped;

  if (addresses.length === 0 && stopped !== undefined) {
    server.stopped = stopped;
  }
}

function rootCut(roots: readonly ServerAddress[]): ZoneCut {
  return {
    zone: '.',
    path: ['.'],
    servers: roots.map((address) => ({
      name: '',
      addresses: [address],
      source: 'glue',
      inBailiwick: false,
      isResolveTried: true,
    })),
    port: roots[0]?.port ?? 53,
  };
}

function freshLimits(): Limits {
  return { queries: { left: MAX_QUERIES }, depth: 0, chain: new Set() };
}

function parentOf(zone: string): string {
  const dot = zone.indexOf('.');

  return dot === -1 ? '.' : zone.slice(dot + 1);
}

function stopReason(state: RunState, limits: Limits): string {
  return state.options.signal?.aborted === true
    ? 'the re-check budget ran out'
    : limits.queries.left <= 0
      ? `the query limit was reached (more than ${MAX_QUERIES} queries)`
      : 'stopped';
}

function noAnswerReason(cut: ZoneCut, failures: readonly string[]): string {
  return `no server of ${zoneLabel(cut)} answered: ${failures.join(', ')}`;
}

/**
 * Why a zone has no server to ask, as a result: addresses all found silent earlier time out
 * again; names that did not resolve time out only when their look-ups did. Name servers that
 * can only be found through each other (a circular delegation without glue) are a failure of
 * the zone's data, like a SERVFAIL, not servers that are down.
 */
function noCandidateResult(cut: ZoneCut): ProbeResult {
  if (cut.servers.some((server) => server.addresses.length > 0)) return 'timeout';
  return cut.servers.some((server) => server.resolution === 'timeout') ? 'timeout' : 'servfail';
}

function noCandidateReason(cut: ZoneCut): string {
  const hasAddresses = cut.servers.some((server) => server.addresses.length > 0);

  return hasAddresses
    ? `every server address of ${zoneLabel(cut)} was silent earlier in this run`
    : `no address could be found for any name server of ${zoneLabel(cut)}`;
}

function zoneLabel(cut: ZoneCut): string {
  return cut.zone === '.' ? 'the root' : `zone ${cut.zone}`;
}
