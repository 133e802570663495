// The DNS re-check of failing domains: for each domain, our resolvers' view, the reference
// resolvers' view (with and without CD), our own walk from the root, every authoritative server
// address, and the MX hosts. Bounded concurrency, per-query timeouts, one overall budget.

import { setMaxListeners } from 'node:events';

import { normaliseDomain } from '../classify/domain.js';
import { MxtriageError } from '../errors.js';
import type { Probe } from '../model.js';
import { probeAuthoritative } from './authoritative.js';
import type { AuthoritativeProbing } from './authoritative.js';
import { classifyOutcome, toProbe } from './classify.js';
import { isValidDomainName } from './domain-name.js';
import { createIterativeResolver } from './iterate.js';
import type { IterativeResolver, ZoneCut, ZoneSearch } from './iterate.js';
import { buildMxView } from './mx.js';
import type { AddressLookups } from './mx.js';
import { query } from './query.js';
import type { QueryOutcome } from './query.js';
import {
  checkResolvers,
  lookupThroughResolvers,
  toAddressLookup,
  unaskedView,
} from './resolvers.js';
import type { AskOptions } from './resolvers.js';
import { formatServer } from './resolv-conf.js';
import { MAX_WAIT_MS } from './types.js';
import type {
  AuthoritativeView,
  Delegation,
  DnsCheckOptions,
  DnsRoles,
  DomainDiagnosis,
  NameServer,
  ResolverView,
  ServerAddress,
} from './types.js';

interface Run {
  readonly roles: DnsRoles;
  readonly ask: AskOptions & { readonly signal: AbortSignal };
  readonly resolver: IterativeResolver;
  readonly clock: () => number;
  /** When the budget ends, by `clock`; Infinity without a budget. */
  readonly deadline: number;
  readonly budgetMs?: number;
  /** Per local resolver, whether it fails the root's NS (asked once, see `isRootFailing`). */
  readonly rootChecks: Map<string, Promise<boolean>>;
}

/** What the first probes of the run showed about the network. */
interface Reachability {
  readonly isOffline: boolean;
  readonly outsideBlocked: boolean;
  readonly probes: readonly Probe[];
  readonly reason?: string;
}

/** No reachability round was made: the budget left no time for one. */
const NOT_ASKED: Reachability = { isOffline: false, outsideBlocked: false, probes: [] };

const EMPTY_AUTHORITATIVE: AuthoritativeView = {
  servers: [],
  answering: 0,
  failing: 0,
  agree: true,
  serials: [],
};

const INVALID_NAME_REASON = 'not a valid domain name: no DNS re-check';

/**
 * Diagnoses each distinct domain once (names are normalised: lower case, no trailing dot,
 * A-labels); the map is keyed by the normalised name, in first-seen order. Never rejects for a
 * DNS failure: what could not be finished is marked `incomplete`. A name that is not a valid
 * host name (see {@link isValidDomainName}) is never put into a query: it is marked
 * `invalid-name`.
 */
export async function diagnoseDomains(
  domains: readonly string[],
  roles: DnsRoles,
  options: DnsCheckOptions,
): Promise<Map<string, DomainDiagnosis>> {
  checkLimits(options);

  const budget = startBudget(options.budgetMs);
  const run = createRun(roles, options, budget.signal);
  const names = [...new Set(domains.map((domain) => normaliseDomain(domain).domain))];
  const results = new Map<string, DomainDiagnosis>();

  for (const name of names.filter((name) => !isValidDomainName(name))) {
    results.set(name, unfinished(run, name, { kind: 'invalid-name', reason: INVALID_NAME_REASON }));
  }

  try {
    await diagnoseValidNames(run, names.filter(isValidDomainName), results, options);
  } finally {
    budget.stop();
  }

  return new Map(names.flatMap((name) => fromMap(results, name)));
}

/** {@link diagnoseDomains} for one domain. */
export async function diagnoseDomain(
  domain: string,
  roles: DnsRoles,
  options: DnsCheckOptions,
): Promise<DomainDiagnosis> {
  const results = await diagnoseDomains([domain], roles, options);
  const diagnosis = results.get(normaliseDomain(domain).domain);

  if (diagnosis === undefined) {
    throw new MxtriageError('DNS', `No diagnosis was made for the domain: ${domain}`);
  }

  return diagnosis;
}

/** A wait longer than a timer can hold would end after 1 ms: refused rather than cut short. */
function checkLimits(options: DnsCheckOptions): void {
  const limits = [
    ['timeoutMs', options.timeoutMs],
    ['budgetMs', options.budgetMs ?? 0],
  ] as const;

  for (const [name, value] of limits) {
    if (!(value <= MAX_WAIT_MS)) {
      throw new MxtriageError(
        'USAGE',
        `Invalid ${name}: ${value}: allowed is at most ${MAX_WAIT_MS}`,
      );
    }
  }
}

/** A budget of 0 ms (or less) has ended before it starts: nothing is asked. */
function startBudget(budgetMs: number | undefined): { signal: AbortSignal; stop: () => void } {
  const controller = new AbortController();

  // Every query in flight listens for the budget's end.
  setMaxListeners(0, controller.signal);

  if (budgetMs !== undefined && budgetMs <= 0) {
    controller.abort();
  }

  const timer =
    budgetMs === undefined || budgetMs <= 0
      ? undefined
      : setTimeout(() => controller.abort(), budgetMs);

  return { signal: controller.signal, stop: () => clearTimeout(timer) };
}

function createRun(roles: DnsRoles, options: DnsCheckOptions, signal: AbortSignal): Run {
  const clock = options.now ?? Date.now;
  const ask = { timeoutMs: options.timeoutMs, attempts: options.attempts ?? 2, signal };

  return {
    roles,
    ask,
    resolver: createIterativeResolver(roles.roots, ask),
    rootChecks: new Map(),
    clock,
    deadline: options.budgetMs === undefined ? Infinity : clock() + options.budgetMs,
    ...(options.budgetMs === undefined ? {} : { budgetMs: options.budgetMs }),
  };
}

/**
 * The reachability round, then each domain. `no-network` needs a finished round that reached
 * nothing; a round the budget ended early proves nothing, and its domains are out of budget.
 */
async function diagnoseValidNames(
  run: Run,
  names: readonly string[],
  results: Map<string, DomainDiagnosis>,
  options: DnsCheckOptions,
): Promise<void> {
  if (names.length === 0) {
    return;
  }

  if ((run.budgetMs ?? Infinity) <= 0) {
    const reason = 'the re-check budget is 0 ms: no DNS query was made';
    names.forEach((name) =>
      results.set(name, unfinished(run, name, { kind: 'no-budget', reason })),
    );
    return;
  }

  const reach = run.ask.signal.aborted ? NOT_ASKED : await checkReachability(run, options);

  await runPool(names, options.concurrency, async (domain) => {
    const checkedAt = run.clock();
    const diagnosis = reach.isOffline
      ? unfinished(run, domain, {
          kind: 'no-network',
          reason: reach.reason ?? '',
          checkedAt,
          probes: reach.probes,
        })
      : checkedAt >= run.deadline || run.ask.signal.aborted
        ? unfinished(run, domain, { kind: 'budget', reason: budgetReason(run, 'started') })
        : await diagnoseOne(run, domain, checkedAt, reach);

    results.set(domain, diagnosis);
  });
}

/**
 * One question to each local resolver, root server and reference resolver, all at once and
 * sent once: any reply at all shows the server can be reached. Nothing reached: no network.
 * The first reply from outside (a root or a reference resolver) settles it: neither "no
 * network" nor "port 53 blocked" can hold then, so the others are not waited for.
 */
async function checkReachability(run: Run, options: DnsCheckOptions): Promise<Reachability> {
  const settled = new AbortController();
  const signals = [settled.signal, run.ask.signal];
  const ask = (servers: readonly ServerAddress[], isOutside: boolean, recursion: boolean) =>
    Promise.all(
      servers.map(async (server) => {
        const outcome = await query(
          server,
          { name: '.', type: 'NS' },
          { ...run.ask, attempts: 1, recursion, signal: AbortSignal.any(signals) },
        );

        if (isOutside && outcome.status === 'response') {
          settled.abort();
        }

        return outcome;
      }),
    );
  const [local, roots, reference] = await Promise.all([
    ask(run.roles.local, false, true),
    ask(run.roles.roots, true, false),
    ask(run.roles.reference, true, true),
  ]);

  roots
    .filter((outcome) => outcome.aborted !== true)
    .forEach((outcome) => run.resolver.noteHealth(outcome.server, probeResultOf(outcome)));

  return judgeReachability(
    { local, roots, reference },
    reachabilityProbes(local, roots, reference),
    options,
  );
}

function reachabilityProbes(
  local: readonly QueryOutcome[],
  roots: readonly QueryOutcome[],
  reference: readonly QueryOutcome[],
): Probe[] {
  const probes = [
    ...local.map((outcome) => [outcome, 'local'] as const),
    ...roots.map((outcome) => [outcome, 'iterative'] as const),
    ...reference.map((outcome) => [outcome, 'reference'] as const),
  ];

  return probes
    .filter(([outcome]) => outcome.aborted !== true)
    .map(([outcome, role]) => reachabilityProbe(outcome, role));
}

function judgeReachability(
  outcomes: Record<'local' | 'roots' | 'reference', QueryOutcome[]>,
  probes: readonly Probe[],
  options: DnsCheckOptions,
): Reachability {
  const all = [...outcomes.local, ...outcomes.roots, ...outcomes.reference];
  // Malformed replies are no silence either: the server, or something in its place, is there.
  const reached = (list: QueryOutcome[]): boolean =>
    list.some((o) => o.status === 'response' || o.status === 'bad-response');
  const isLocalReached = reached(outcomes.local);
  const isOutsideReached = reached(outcomes.roots) || reached(outcomes.reference);
  // A query the budget cut short is no silence: only a finished round can show no network.
  // (The round's own early end aborts queries too, but only once the outside was reached.)
  const isCutShort = all.some((outcome) => outcome.aborted === true);
  const isSilent = !isLocalReached && !isOutsideReached && !isCutShort;
  const isOffline = all.length > 0 && isSilent;

  return {
    isOffline,
    outsideBlocked: isLocalReached && !isOutsideReached && !isCutShort && outcomes.roots.length > 0,
    probes,
    ...(isOffline ? { reason: offlineReason(outcomes, options) } : {}),
  };
}

function offlineReason(
  outcomes: Record<'local' | 'roots' | 'reference', QueryOutcome[]>,
  options: DnsCheckOptions,
): string {
  const parts = [
    describeGroup('local resolver', outcomes.local),
    describeGroup('root server', outcomes.roots),
    describeGroup('reference resolver', outcomes.reference),
  ].filter((part) => part !== '');

  return `no DNS server could be reached within ${options.timeoutMs} ms: ${parts.join('; ')}`;
}

function describeGroup(what: string, outcomes: readonly QueryOutcome[]): string {
  const counts = new Map<string, number>();

  for (const outcome of outcomes) {
    const why = outcome.error ?? outcome.status;

    counts.set(why, (counts.get(why) ?? 0) + 1);
  }

  const detail = [...counts].map(([why, count]) => `${count} ${why}`).join(', ');

  return outcomes.length === 0
    ? ''
    : `${outcomes.length} ${what}${outcomes.length === 1 ? '' : 's'} (${detail})`;
}

function reachabilityProbe(outcome: QueryOutcome, role: Probe['role']): Probe {
  return toProbe(outcome, role, probeResultOf(outcome));
}

function probeResultOf(outcome: QueryOutcome): ReturnType<typeof classifyOutcome> {
  return classifyOutcome(outcome, { authoritative: false });
}

async function diagnoseOne(
  run: Run,
  domain: string,
  checkedAt: number,
  reach: Reachability,
): Promise<DomainDiagnosis> {
  const probes: Probe[] = [];
  // Queries cut short by the budget are not evidence of anything: they are left out.
  const sink = (probe: Probe): void => {
    if (!run.ask.signal.aborted) {
      probes.push(probe);
    }
  };
  const [local, chroot, reference, { search, probing }] = await Promise.all([
    checkLocal(run, domain, sink),
    checkChroot(run, domain, sink),
    checkReference(run, domain, reach, sink),
    findDelegation(run, domain, reach, sink),
  ]);
  const findings = {
    ...optional('authoritative', probing?.mx),
    ...optional('local', local.mx),
    ...optional('reference', reference.mx),
  };
  const mx = await buildMxView(domain, findings, lookupsFor(run, reach, sink));
  const isRootFailing = await isRootFailingLocally(run, local.view, sink);

  return {
    domain,
    checkedAt: new Date(checkedAt).toISOString(),
    probes,
    local: local.view,
    ...(chroot === undefined ? {} : { chroot }),
    reference: reference.view,
    delegation: toDelegation(search, probing?.reached),
    authoritative: probing?.view ?? EMPTY_AUTHORITATIVE,
    mx,
    ...(run.ask.signal.aborted
      ? { incomplete: 'budget' as const, incompleteReason: budgetReason(run, 'finished') }
      : {}),
    ...(reach.outsideBlocked ? { outsideBlocked: true } : {}),
    ...(isRootFailing ? { isRootFailingLocally: true as const } : {}),
  };
}

/**
 * When validation fails for the domain at a local resolver, whether that resolver fails the
 * root zone's NS too: then its own validation is broken (trust anchor, clock), not the
 * domain's signatures. Asked once per resolver and run; the query is kept as evidence.
 */
async function isRootFailingLocally(
  run: Run,
  local: ResolverView,
  sink: (probe: Probe) => void,
): Promise<boolean> {
  const failing = local.servers.filter((check) => check.dnssecFailure);
  const servers = run.roles.local.filter((server) =>
    failing.some((check) => check.server === formatServer(server)),
  );
  const results = await Promise.all(servers.map((server) => isRootFailing(run, server, sink)));
  return results.includes(true);
}

function isRootFailing(
  run: Run,
  server: ServerAddress,
  sink: (probe: Probe) => void,
): Promise<boolean> {
  const key = formatServer(server);
  let check = run.rootChecks.get(key);
  if (check === undefined) {
    check = query(server, { name: '.', type: 'NS' }, { ...run.ask, recursion: true }).then(
      (outcome) => {
        const result = probeResultOf(outcome);
        sink(toProbe(outcome, 'local', result));
        return result === 'servfail';
      },
    );
    run.rootChecks.set(key, check);
  }

  return check;
}

function checkLocal(
  run: Run,
  domain: string,
  sink: (probe: Probe) => void,
): ReturnType<typeof checkResolvers> {
  const options = { ...run.ask, role: 'local' as const, source: run.roles.localSource };

  return checkResolvers(run.roles.local, domain, options, sink);
}

async function checkChroot(
  run: Run,
  domain: string,
  sink: (probe: Probe) => void,
): Promise<DomainDiagnosis['chroot']> {
  const chroot = run.roles.chroot;

  if (chroot === undefined) {
    return undefined;
  }

  const { servers, ...copy } = chroot;

  if (!chroot.differs) {
    return { ...unaskedView(chroot.path, `the same as ${chroot.comparedWith}`), ...copy };
  }

  // Other options beside the same servers: those servers are the local view, already asked.
  if (serverSet(servers) === serverSet(run.roles.local)) {
    const note = `the same name servers as ${run.roles.localSource}, asked there`;

    return { ...unaskedView(chroot.path, note), ...copy };
  }

  const checked = await checkResolvers(
    servers,
    domain,
    { ...run.ask, role: 'local', source: chroot.path },
    sink,
  );

  return { ...checked.view, ...copy };
}

function serverSet(servers: readonly ServerAddress[]): string {
  return servers
    .map((server) => `${server.address} ${server.port}`)
    .sort()
    .join(',');
}

async function checkReference(
  run: Run,
  domain: string,
  reach: Reachability,
  sink: (probe: Probe) => void,
): Promise<{ view: ResolverView; mx?: Awaited<ReturnType<typeof checkResolvers>>['mx'] }> {
  if (reach.outsideBlocked && run.roles.reference.length > 0) {
    return { view: { ...unaskedView('reference', blockedReason(run)), status: 'fails' } };
  }

  return checkResolvers(
    run.roles.reference,
    domain,
    { ...run.ask, role: 'reference', source: 'reference' },
    sink,
  );
}

/** Our own walk to the domain's zone, then every address of its name servers. */
async function findDelegation(
  run: Run,
  domain: string,
  reach: Reachability,
  sink: (probe: Probe) => void,
): Promise<{ search: ZoneSearch; probing?: AuthoritativeProbing }> {
  if (reach.outsideBlocked) {
    return { search: { status: 'skipped', reason: blockedReason(run) } };
  }

  const search = await run.resolver.findZone(domain, sink);
  const probing = await probeZone(run, search, domain, sink);

  return probing === undefined ? { search } : { search, probing };
}

async function probeZone(
  run: Run,
  search: ZoneSearch,
  domain: string,
  sink: (probe: Probe) => void,
): Promise<AuthoritativeProbing | undefined> {
  if (search.status !== 'delegated' || search.cut === undefined) {
    return undefined;
  }

  await run.resolver.completeServers(search.cut, sink);

  return probeAuthoritative(
    search.cut,
    domain,
    { ...run.ask, noteHealth: run.resolver.noteHealth },
    sink,
  );
}

function lookupsFor(run: Run, reach: Reachability, sink: (probe: Probe) => void): AddressLookups {
  const canWalk = !reach.outsideBlocked && run.roles.roots.length > 0;

  return {
    local: (name) => lookupThroughResolvers(run.roles.local, name, run.ask, sink),
    iterative: async (name) => {
      if (!canWalk) {
        return undefined;
      }

      const [v4, v6] = await Promise.all([
        run.resolver.resolveAddress(name, 'A', sink),
        run.resolver.resolveAddress(name, 'AAAA', sink),
      ]);

      return toAddressLookup(v4, v6);
    },
  };
}

function toDelegation(search: ZoneSearch, reached: ReadonlySet<string> | undefined): Delegation {
  const cut = search.cut;
  const isNxdomain = search.status === 'nxdomain';
  const servers = cut === undefined || isNxdomain ? [] : cut.servers;

  return {
    status: search.status,
    ...(cut === undefined || isNxdomain ? {} : { zone: cut.zone }),
    ...parentOf(cut, isNxdomain),
    parentNxdomain: isNxdomain,
    nameServers: servers.map((server) => toNameServer(server, reached)),
    path: cut?.path ?? [],
    ...(cut?.signedAtParent === undefined || isNxdomain
      ? {}
      : { signedAtParent: cut.signedAtParent }),
    ...(search.reason === undefined ? {} : { reason: search.reason }),
  };
}

function parentOf(cut: ZoneCut | undefined, isNxdomain: boolean): { parentZone?: string } {
  const parentZone = isNxdomain ? cut?.zone : cut?.parentZone;

  return parentZone === undefined ? {} : { parentZone };
}

function toNameServer(
  server: ZoneCut['servers'][number],
  reached: ReadonlySet<string> | undefined,
): NameServer {
  return {
    name: server.name,
    addresses: server.addresses.map((address) => address.address),
    source: server.source,
    inBailiwick: server.inBailiwick,
    ...(server.resolution === undefined ? {} : { resolution: server.resolution }),
    ...(server.stopped === undefined ? {} : { resolutionStopped: server.stopped }),
    reached: reached?.has(server.name) === true,
  };
}

/**
 * Why our own walk and the reference resolvers were not used. Said of the reachability round
 * alone: the local resolver may fail the domain's own questions later.
 */
function blockedReason(run: Run): string {
  const outside = run.roles.reference.length > 0 ? ' and no reference resolver' : '';

  return (
    `no root server${outside} answered our first query, though the local resolver did: ` +
    'port 53 to the outside looks blocked'
  );
}

/**
 * A diagnosis that could not be made: out of budget, no network, or not a valid name. Only a
 * domain for which queries were made (the no-network round) carries `checkedAt`.
 */
function unfinished(
  run: Run,
  domain: string,
  made: {
    kind: NonNullable<DomainDiagnosis['incomplete']>;
    reason: string;
    checkedAt?: number;
    probes?: readonly Probe[];
  },
): DomainDiagnosis {
  const { kind, reason, checkedAt, probes = [] } = made;

  return {
    domain,
    ...(checkedAt === undefined ? {} : { checkedAt: new Date(checkedAt).toISOString() }),
    probes,
    local: unaskedView(run.roles.localSource, reason),
    reference: unaskedView('reference', reason),
    delegation: { status: 'skipped', parentNxdomain: false, nameServers: [], path: [], reason },
    authoritative: EMPTY_AUTHORITATIVE,
    mx: { source: 'none', records: [], isNullMx: false, hosts: [] },
    incomplete: kind,
    incompleteReason: reason,
  };
}

function budgetReason(run: Run, what: 'started' | 'finished'): string {
  return `the re-check budget of ${run.budgetMs ?? 0} ms ran out before this domain was ${what}`;
}

function optional<K extends string, V>(key: K, value: V | undefined): { [key in K]?: V } {
  return value === undefined ? {} : ({ [key]: value } as { [key in K]: V });
}

function fromMap<V>(map: ReadonlyMap<string, V>, key: string): [string, V][] {
  const value = map.get(key);

  return value === undefined ? [] : [[key, value]];
}

/** Runs `work` over the items with at most `limit` running at once. */
async function runPool<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;

  const worker = async (): Promise<void> => {
    for (let item = items[next++]; item !== undefined; item = items[next++]) {
      await work(item);
    }
  };

  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
}
