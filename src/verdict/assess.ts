// What one domain's re-check shows now, read from its diagnosis alone: a fault and whose it
// is, or that every probe answers. The log's evidence is weighed afterwards, in decide.ts.
// The checks run in order and the first that finds something wins: a domain that does not
// exist is not also called lame, and what the domain's own servers say about its mail (null
// MX, no mail host) outranks our resolver failing now or a slow secondary.

import type {
  AuthoritativeServer,
  DomainDiagnosis,
  MxHost,
  NameServer,
  ResolverCheck,
  ResolverView,
} from '../dns/types.js';
import { SILENT_RESULTS, type ProbeResult } from '../dns/types.js';
import {
  count,
  describeResolvers,
  describeResult,
  describeServers,
  failingChecks,
  isDefinite,
  listSome,
  zoneLabel,
} from './describe.js';

export type FaultKind =
  | 'local-resolver'
  | 'recipient-dns'
  | 'recipient-dnssec'
  | 'domain-missing'
  | 'null-mx'
  | 'no-mail-host'
  | 'mx-unresolvable'
  | 'inconclusive'
  | 'not-checked';

export interface Finding {
  /** `answers` when every probe answers now and the domain can take mail. */
  readonly kind: FaultKind | 'answers';
  readonly detail?: string;
  readonly reason: string;
  /** For `answers`: the views that could not be made, and why (port 53 blocked, ...). */
  readonly unmade?: string;
  /** For `answers`: the resolvers that contradict the authoritative servers, and how. */
  readonly dissent?: string;
  /** For `recipient-dnssec`: only our own resolver's validation said so (see
   *  `assessDomains`). */
  readonly byLocalValidation?: true;
  /** For `recipient-dnssec` while our resolvers answer (they do not validate, or trust the
   *  zone): what the other checks find. The signatures cannot be what defers our own mail. */
  readonly ours?: Finding;
}

type Check = (diagnosis: DomainDiagnosis) => Finding | undefined;

const ADDRESS = 'authoritative server address';
const OUR_VALIDATION = 'our validation is broken (clock or trust anchor)';
const LAME_RESULTS = new Set<string>([
  'refused',
  'not-authoritative',
  'upward-referral',
  'referral',
]);
/** What our resolver gives while it waits on failing servers of the domain: no answer in
 *  time, or SERVFAIL when it gives up. A refusal or a closed port says nothing of waiting. */
const WAITING_RESULTS = new Set<string>(['timeout', 'tcp-timeout', 'servfail']);
/** Answers that say there is nothing: the name, or its MX records, do not exist. */
const NEGATIVE_RESULTS = new Set<string>(['nxdomain', 'nodata']);
/** Our resolver's faults that can be its own, not of one domain (see `blameLocalOutage`). */
const OUTAGE_DETAILS: ReadonlySet<string> = new Set(['down', 'blocked', 'servfail']);
const WAITING_ON_FAILING = ', likely waiting on the failing servers';
const WAITING_ON_TROUBLED = ', likely waiting on them';
/** What a resolver gives when it will not be asked at all: a closed port, or a refusal to
 *  serve us. Said of a reference resolver, that is no view of the domain, not a view that
 *  fails as ours does; so is silence when nothing of the domain could keep it waiting (see
 *  `isUnreached`). */
const CLOSED_RESULTS = new Set<string>(['unreachable', 'refused']);
/** What TCP came to after a truncated UDP reply that shows TCP failing: refused or reset, TC
 *  over TCP too, or a stream that ended without a reply. Silence (`tcp-timeout`) is no such
 *  evidence: the timeout may only be too short (see {@link findTcpSilence}). */
const TCP_FAILURES = new Set<string>(['unreachable', 'truncated', 'bad-response']);

/** The checks that decide what defers our own mail while our resolvers answer a zone that
 *  validating resolvers reject: all but the DNSSEC one. */
const CHECKS_OF_OUR_MAIL: readonly Check[] = [
  findIncomplete,
  findMissing,
  findRecipientFailure,
  findUnaddressedServers,
  findDisagreement,
  findNullMx,
  findNoMailHost,
  findUnresolvableMx,
  findStaleChroot,
  findLocalFailure,
  findLocalHostFailure,
  findLocalDissent,
  findPartialFailure,
  findTransportTrouble,
  findTcpSilence,
];

const CHECKS: readonly Check[] = [
  ...CHECKS_OF_OUR_MAIL.slice(0, 2),
  findDnssecFailure,
  ...CHECKS_OF_OUR_MAIL.slice(2),
];

/**
 * The findings of every domain checked in one run. One domain can show what no other shows on
 * its own: a domain failing validation at our resolver although it is not signed (or although
 * a reference resolver validates it) means our validation is broken (clock, trust anchor), and
 * then a signed domain that failed only our validation is most likely fine too.
 */
export function assessDomains(
  diagnoses: ReadonlyMap<string, DomainDiagnosis>,
): Map<string, Finding> {
  const findings = new Map<string, Finding>();
  for (const [domain, diagnosis] of diagnoses) findings.set(domain, assessDomain(diagnosis));

  blameLocalValidation(findings);
  blameLocalOutage(findings, diagnoses);
  return findings;
}

/** A domain failing validation at our resolver although it is not signed: then a signed
 *  domain that failed only our validation is most likely fine too. */
function blameLocalValidation(findings: Map<string, Finding>): void {
  const witness = findWitness(findings, new Set(['dnssec']));
  if (witness === undefined) return;

  for (const [domain, finding] of findings) {
    if (finding.kind !== 'recipient-dnssec' || finding.byLocalValidation !== true) continue;
    const reason =
      `${finding.reason}; but ${witness} fails validation at our resolver too: ` + OUR_VALIDATION;
    findings.set(domain, { kind: 'local-resolver', detail: 'dnssec', reason });
  }
}

/**
 * Our resolver gives no answer, SERVFAIL or a refusal for a domain whose servers all answer
 * (`local-resolver` down, servfail or blocked): then its failing for a domain with some failing
 * servers is not waiting on them, as it could be alone, since a working resolver tries the
 * servers that answer. Such a partial outage, or servers that fail only over TCP or with EDNS,
 * is not what defers our mail. Servers that all fail, or signatures that do not validate, would
 * defer it anyway: that finding stays, with our resolver noted.
 */
function blameLocalOutage(
  findings: Map<string, Finding>,
  diagnoses: ReadonlyMap<string, DomainDiagnosis>,
): void {
  // Our resolver answering any domain of the run shows it works: its failure for one domain
  // may be about that domain.
  const isAnsweredSomewhere = [...diagnoses.values()].some(
    ({ local }) => local.servers.length > 0 && failingChecks(local).length === 0,
  );
  if (isAnsweredSomewhere) return;

  const witness = findWitness(
    findings,
    OUTAGE_DETAILS,
    (domain) => diagnoses.get(domain)?.authoritative.failing === 0,
  );
  if (witness === undefined) return;

  for (const [domain, finding] of findings) {
    const diagnosis = diagnoses.get(domain);
    const isRecipient = finding.kind === 'recipient-dns' || finding.kind === 'recipient-dnssec';
    if (!isRecipient || diagnosis === undefined) continue;
    const failing = failingChecks(diagnosis.local);
    if (failing.length === 0) continue;

    const local = describeResolvers('local resolver', failing);
    const also = `as it does for ${witness}, whose servers all answer`;
    const isWaitable =
      finding.kind === 'recipient-dns' &&
      (finding.detail === 'partial' || finding.detail === 'edns-or-tcp');
    const own = stripLocalNote(finding.reason, diagnosis);
    const reason = isWaitable
      ? `${local}, ${also}; ${own}`
      : `${own}; our resolver fails too (${local}), ${also}`;
    findings.set(
      domain,
      isWaitable
        ? { kind: 'local-resolver', detail: localDetail(failing), reason }
        : { ...finding, reason },
    );
  }
}

/** The first domain whose finding is our resolver's fault of one of these details (and
 *  `isWitness`). */
function findWitness(
  findings: ReadonlyMap<string, Finding>,
  details: ReadonlySet<string>,
  isWitness: (domain: string) => boolean = () => true,
): string | undefined {
  for (const [domain, finding] of findings) {
    const isOurs = finding.kind === 'local-resolver' && details.has(finding.detail ?? '');
    if (isOurs && isWitness(domain)) return domain;
  }

  return undefined;
}

/** A reason without the note {@link noteLocalFailure} or {@link noteLocalDown} added to it. */
function stripLocalNote(reason: string, diagnosis: DomainDiagnosis): string {
  const notes = [
    noteLocalFailure(diagnosis, WAITING_ON_FAILING),
    noteLocalFailure(diagnosis, WAITING_ON_TROUBLED),
    noteLocalFailure(diagnosis),
    noteLocalDown(diagnosis),
  ].filter((note) => note !== '');
  const note = notes.find((each) => reason.includes(each));

  return note === undefined ? reason : reason.replace(note, '');
}

/** The one finding that best describes the domain's DNS now. */
export function assessDomain(diagnosis: DomainDiagnosis): Finding {
  const finding = runChecks(diagnosis, CHECKS);
  if (finding.kind !== 'recipient-dnssec' || !isAnsweringLocally(diagnosis)) return finding;

  return { ...finding, ours: runChecks(diagnosis, CHECKS_OF_OUR_MAIL) };
}

function runChecks(diagnosis: DomainDiagnosis, checks: readonly Check[]): Finding {
  for (const check of checks) {
    const finding = check(diagnosis);
    if (finding !== undefined) return withChrootNote(diagnosis, finding);
  }

  return withChrootNote(diagnosis, describeHealthy(diagnosis));
}

/**
 * `every probe answers now (...)` for a finding of `answers`; when a view could not be made
 * (no walk from the root, reference resolvers not asked), which views answered and which not.
 */
export function describeAnswers(finding: Finding, { now = false }: { now?: boolean } = {}): string {
  const when = now ? ' now' : '';
  const unmade = finding.unmade === undefined ? '' : `; ${finding.unmade}`;
  if (finding.dissent !== undefined) {
    const answering = `the authoritative servers answer${when} (${finding.reason})`;
    return `${answering}; but ${finding.dissent}${unmade}`;
  }

  return finding.unmade === undefined
    ? `every probe answers${when} (${finding.reason})`
    : `the resolvers answer${when} (${finding.reason})${unmade}`;
}

/** With a budget of 0 nothing was asked: not checked, rather than a check that failed. */
function findIncomplete(diagnosis: DomainDiagnosis): Finding | undefined {
  if (diagnosis.incomplete === undefined) return undefined;

  const reason =
    diagnosis.incompleteReason ?? `the re-check did not finish (${diagnosis.incomplete})`;
  if (diagnosis.incomplete === 'no-budget') return { kind: 'not-checked', reason };

  return { kind: 'inconclusive', detail: diagnosis.incomplete, reason };
}

function findMissing(diagnosis: DomainDiagnosis): Finding | undefined {
  const { delegation, authoritative, mx, domain } = diagnosis;

  if (delegation.parentNxdomain) {
    const reason = `${zoneLabel(delegation.parentZone)} answers NXDOMAIN for ${domain}`;
    return { kind: 'domain-missing', reason };
  }

  if (authoritative.consensus === 'nxdomain') {
    const servers = count(authoritative.answering, 'authoritative server');
    return { kind: 'domain-missing', reason: `${servers} of ${domain} answer NXDOMAIN` };
  }

  if (authoritative.servers.length === 0 && mx.result === 'nxdomain') {
    // Our resolver's NXDOMAIN against a reference resolver's answer is our resolver's fault.
    if (mx.source === 'local' && isAnswering(diagnosis.reference)) return undefined;
    const view = mx.source === 'local' ? diagnosis.local : diagnosis.reference;
    const noun = view.servers.length === 1 ? 'resolver answers' : 'resolvers answer';
    return { kind: 'domain-missing', reason: `the ${mx.source} ${noun} NXDOMAIN` };
  }

  return undefined;
}

/**
 * SERVFAIL that turns into an answer with the CD bit is a validation failure. Whose: reference
 * resolvers failing the same way point at the zone; a reference resolver that validates it (AD
 * set) points at our resolver; without one, a zone with a DS at its parent is the likely culprit,
 * and an unsigned zone can only fail validation because of our resolver (clock, trust anchor).
 */
function findDnssecFailure(diagnosis: DomainDiagnosis): Finding | undefined {
  const { domain, delegation } = diagnosis;
  const reference = diagnosis.reference.servers.filter((check) => check.dnssecFailure);
  const local = diagnosis.local.servers.filter((check) => check.dnssecFailure);

  if (reference.length > 0) {
    const failure = describeValidationFailure('reference resolver', reference);
    const reason = `${failure}: ${domain} does not validate`;
    return { kind: 'recipient-dnssec', reason };
  }

  if (local.length === 0) return undefined;

  const failure = describeValidationFailure('local resolver', local);
  const validator = diagnosis.reference.servers.find((check) => check.reply.authenticated);
  if (validator !== undefined) {
    const reason =
      `${failure}; reference resolver ${validator.server} validates it: ` + OUR_VALIDATION;
    return { kind: 'local-resolver', detail: 'dnssec', reason };
  }

  if (diagnosis.isRootFailingLocally === true) {
    const reason = `${failure}; it gives SERVFAIL for the root zone's NS too: ${OUR_VALIDATION}`;
    return { kind: 'local-resolver', detail: 'dnssec', reason };
  }

  if (delegation.signedAtParent === true) {
    const parent = zoneLabel(delegation.parentZone);
    const reason = `${failure}; ${domain} is signed (DS in ${parent}) and does not validate`;
    return { kind: 'recipient-dnssec', reason, byLocalValidation: true };
  }

  const reason = `${failure}, though ${domain} is not signed: ${OUR_VALIDATION}`;
  return { kind: 'local-resolver', detail: 'dnssec', reason };
}

function isAnsweringLocally(diagnosis: DomainDiagnosis): boolean {
  const { servers } = diagnosis.local;

  return servers.length > 0 && servers.every((check) => isDefinite(check.reply.result));
}

function describeValidationFailure(label: string, checks: readonly ResolverCheck[]): string {
  return `${describeResolvers(label, checks)}, answers with checking disabled (CD)`;
}

function findRecipientFailure(diagnosis: DomainDiagnosis): Finding | undefined {
  const { servers, answering } = diagnosis.authoritative;
  if (servers.length === 0 || answering > 0) return undefined;

  const zone = diagnosis.delegation.zone ?? diagnosis.domain;
  const all =
    servers.length === 1
      ? `the only authoritative server address of ${zone} fails`
      : `${allOf(servers.length, ADDRESS)} of ${zone} fail`;
  const reason = `${all}: ${describeServers(servers)}${noteLocalDown(diagnosis)}`;
  if (servers.every((server) => server.mx.result === 'tcp-timeout')) {
    const why = `${reason}: a TCP timeout alone does not show that TCP is broken`;
    return { kind: 'inconclusive', detail: 'tcp-timeout', reason: why };
  }

  return { kind: 'recipient-dns', detail: failureDetail(servers), reason };
}

/**
 * Which way the failing servers fail: lame outranks TCP failing after truncation, which
 * outranks SERVFAIL, which outranks silence. A server silent over TCP after truncating over UDP
 * counts as silent here.
 */
function failureDetail(servers: readonly AuthoritativeServer[]): string {
  const results = servers.map((server) => server.mx.result);

  if (results.some((result) => LAME_RESULTS.has(result))) return 'lame';
  if (servers.some(isTcpFailingAfterTruncation)) return 'edns-or-tcp';
  if (results.every((result) => SILENT_RESULTS.has(result))) return 'unreachable';

  return 'servfail';
}

function isTcpFailingAfterTruncation(server: AuthoritativeServer): boolean {
  const { result, truncatedUdp } = server.mx;

  return result === 'truncated' || (truncatedUdp && TCP_FAILURES.has(result));
}

function findUnaddressedServers(diagnosis: DomainDiagnosis): Finding | undefined {
  const { delegation, authoritative } = diagnosis;
  const names = delegation.nameServers;
  if (authoritative.servers.length > 0 || delegation.status !== 'delegated') return undefined;
  if (names.length === 0 || names.some((server) => server.addresses.length > 0)) return undefined;

  const listed = names.map((server) =>
    server.resolutionStopped === undefined
      ? `${server.name}: ${describeResult(server.resolution ?? 'unresolved')}`
      : `${server.name}: not looked up`,
  );
  const zone = delegation.zone ?? diagnosis.domain;
  const stopped = names.find((server) => server.resolutionStopped !== undefined);
  const reason =
    stopped === undefined
      ? `no name server of ${zone} has an address: ${listSome(listed)}`
      : `no address was found for the name servers of ${zone}: ` +
        `${stopped.resolutionStopped}; ${listSome(listed)}`;
  return { kind: 'recipient-dns', detail: unaddressedDetail(names), reason };
}

/**
 * Name servers whose addresses could not be found because their look-ups went unanswered
 * leave the zone unreachable; names that do not exist, have no address or cannot be resolved
 * at all (a circular delegation without glue) make the delegation itself broken: `lame`.
 */
function unaddressedDetail(names: readonly NameServer[]): string {
  const broken = names.some(
    (server) =>
      server.resolutionStopped === undefined &&
      server.resolution !== undefined &&
      !SILENT_RESULTS.has(server.resolution),
  );
  return broken ? 'lame' : 'unreachable';
}

function findDisagreement(diagnosis: DomainDiagnosis): Finding | undefined {
  const { authoritative } = diagnosis;
  if (authoritative.agree || authoritative.answering < 2) return undefined;

  const answering = authoritative.servers.filter((server) => isDefinite(server.mx.result));
  const views = answering.map(
    (server) => `${server.name} ${server.address}: ${describeAnswer(server)}`,
  );
  return {
    kind: 'inconclusive',
    detail: 'disagree',
    reason: `the authoritative servers disagree: ${listSome(views, '; ')}`,
  };
}

function describeAnswer(server: AuthoritativeServer): string {
  return listSome(server.mx.records) || describeResult(server.mx.result);
}

function findNullMx(diagnosis: DomainDiagnosis): Finding | undefined {
  if (!diagnosis.mx.isNullMx) return undefined;

  const reason = `${diagnosis.domain} publishes a null MX (MX 0 .): it accepts no mail (RFC 7505)`;
  return { kind: 'null-mx', reason: reason + noteLocalFailure(diagnosis) };
}

/** No MX: mail goes to the domain's own address (RFC 5321 §5.1), if it has one. */
function findNoMailHost(diagnosis: DomainDiagnosis): Finding | undefined {
  const { mx, domain } = diagnosis;
  if (mx.result !== 'nodata' || mx.implicit === undefined) return undefined;

  const { status, results } = mx.implicit;
  if (status === 'nxdomain' || status === 'nodata') {
    const reason = `${domain} has no MX record and no address record`;
    return { kind: 'no-mail-host', reason: reason + noteLocalFailure(diagnosis) };
  }

  if (status === 'failed') {
    const why = results.map(describeResult).join(', ');
    const reason = `${domain} has no MX record, and the look-up of its own address failed: ${why}`;
    return { kind: 'inconclusive', detail: 'address-lookup-failed', reason };
  }

  return undefined;
}

function findUnresolvableMx(diagnosis: DomainDiagnosis): Finding | undefined {
  const { hosts, result } = diagnosis.mx;
  if (result !== 'answer' || hosts.length === 0) return undefined;
  if (hosts.some((host) => host.status === 'resolves')) return undefined;
  // Aliases that lead to an address work; our resolver failing on the domain does not.
  const isOursFailing = failingChecks(diagnosis.local).length > 0;
  if (isOursFailing && hosts.every(isFollowedAlias)) return undefined;
  // Servers that answer only without EDNS (or not over TCP) fail look-ups of hosts they serve.
  const isAllFailed = hosts.every((host) => host.status === 'failed');
  if (isAllFailed && describeTransportTrouble(diagnosis).length > 0) return undefined;

  const described = listSome(hosts.map(describeMxHost), '; ');
  const reason = `no MX host of ${diagnosis.domain} is usable: ${described}`;
  const note = noteLocalFailure(diagnosis);
  return { kind: 'mx-unresolvable', detail: mxHostDetail(hosts[0]), reason: reason + note };
}

/** An MX host that is an alias mail servers follow to an address (no loop). */
export function isFollowedAlias(host: MxHost): boolean {
  return (
    host.status === 'cname' &&
    [host.iterative, host.local].some(
      (lookup) => lookup?.isAliasLoop !== true && (lookup?.addresses.length ?? 0) > 0,
    )
  );
}

/**
 * Our resolver answers the MX question, but resolves none of the MX hosts that our own walk
 * from the root finds: mail cannot be sent through it.
 */
function findLocalHostFailure(diagnosis: DomainDiagnosis): Finding | undefined {
  const hosts = diagnosis.mx.hosts.filter((host) => host.local !== undefined);
  if (hosts.length === 0 || hosts.some((host) => isUsable(host.local))) return undefined;

  const found = hosts.filter((host) => isUsable(host.iterative));
  if (found.length === 0) return undefined;

  const failed = found.map((host) => {
    const results = (host.local?.results ?? []).map((result) => describeResult(result));
    return `${host.name}: ${listSome(results)}`;
  });
  const reason =
    `our resolver cannot resolve the MX host${found.length === 1 ? '' : 's'} of ` +
    `${diagnosis.domain} (${listSome(failed, '; ')}), which our own resolution from the root finds`;
  return { kind: 'local-resolver', detail: hostFailureDetail(found), reason };
}

/** A host our resolver says does not exist (or has no address) has a wrong answer there; one
 *  it fails on (an IPv4-only host: A SERVFAIL, AAAA no data) failed as its failing look-ups
 *  did. */
function hostFailureDetail(hosts: readonly MxHost[]): string {
  const isAbsent = (host: MxHost) =>
    host.local?.status === 'nxdomain' || host.local?.status === 'nodata';
  if (hosts.some(isAbsent)) return 'wrong-answer';

  const results = hosts.flatMap((host) => host.local?.results ?? []);
  const failing = results.filter((result) => !isDefinite(result));
  return detailOf(failing.length === 0 ? results : failing);
}

/** A look-up that gave an address, directly or through an alias. */
function isUsable(lookup: MxHost['local']): boolean {
  return (
    lookup?.status === 'resolves' || (lookup?.status === 'cname' && lookup.addresses.length > 0)
  );
}

function describeMxHost(host: MxHost): string {
  switch (host.status) {
    case 'cname': {
      const loop = isAliasLoop(host) ? ' that loops back to itself, so it has no address' : '';
      return (
        `${host.name} is an alias for ${cnameTarget(host)}${loop} ` +
        '(an MX may not name a CNAME: RFC 2181 §10.3)'
      );
    }
    case 'ip-literal':
      return `${host.name} is an IP address written as a host name (RFC 5321 §5.1)`;
    case 'failed':
      return `${host.name}: its address look-up failed`;
    case 'nodata':
      return `${host.name} has no address record`;
    default:
      return `${host.name}: ${describeResult(host.status)}`;
  }
}

function cnameTarget(host: MxHost): string {
  return host.iterative?.cnameTarget ?? host.local?.cnameTarget ?? 'another name';
}

function isAliasLoop(host: MxHost): boolean {
  return host.iterative?.isAliasLoop === true || host.local?.isAliasLoop === true;
}

function mxHostDetail(host: MxHost | undefined): string {
  switch (host?.status) {
    case 'cname':
      return 'cname';
    case 'ip-literal':
      return 'ip-literal';
    case 'failed':
      return 'lookup-failed';
    default:
      return 'no-address';
  }
}

/** Postfix's chroot copy of resolv.conf names other resolvers, and those fail. */
function findStaleChroot(diagnosis: DomainDiagnosis): Finding | undefined {
  const { chroot, local } = diagnosis;
  if (chroot?.differs !== true || chroot.status !== 'fails' || local.status !== 'answers') {
    return undefined;
  }

  const failing = describeResolvers('resolver', chroot.servers);
  const reason =
    `${describeChrootCopy(chroot)}: its ${failing}, ` +
    `while our resolvers (${local.source}) answer`;
  return { kind: 'local-resolver', detail: 'stale-chroot', reason };
}

/**
 * A chroot copy that differs is worth a word even when the verdict does not hinge on it: the
 * day its servers fail, Postfix fails alone.
 */
function withChrootNote(diagnosis: DomainDiagnosis, finding: Finding): Finding {
  const { chroot } = diagnosis;
  if (chroot?.differs !== true || finding.detail === 'stale-chroot') return finding;

  const state =
    chroot.servers.length > 0
      ? `its ${describeResolvers('resolver', chroot.servers)}`
      : (chroot.note ?? 'its resolvers were not asked');
  return { ...finding, reason: `${finding.reason}; ${describeChrootCopy(chroot)}: ${state}` };
}

function describeChrootCopy(chroot: NonNullable<DomainDiagnosis['chroot']>): string {
  const what = chroot.difference === undefined ? '' : ` (${chroot.difference})`;

  return `Postfix's chroot copy ${chroot.path} differs from ${chroot.comparedWith}${what}`;
}

/**
 * Our resolver fails while the domain's servers answer. When some of those servers fail and
 * ours timed out or gave SERVFAIL, it may just be waiting on them: that is left to the
 * partial-outage checks. A resolver that refuses us or whose port is closed waits on nothing,
 * and one server of several down does not stop a working resolver.
 */
function findLocalFailure(diagnosis: DomainDiagnosis): Finding | undefined {
  const failing = failingChecks(diagnosis.local);
  if (failing.length === 0) return undefined;
  const mayBeWaiting = failing.some((check) => WAITING_RESULTS.has(check.reply.result));
  if (mayBeWaiting && diagnosis.authoritative.failing > 0) return undefined;
  if (describeTransportTrouble(diagnosis).length > 0) return undefined;

  const local = describeResolvers('local resolver', failing);
  // A closed port or a refusal says nothing about the domain: other resolvers failing on it
  // do not make ours any less broken.
  const isUnasked = failing.every((check) => CLOSED_RESULTS.has(check.reply.result));
  const alike = isUnasked ? undefined : failingLikeUs(diagnosis, local);
  if (alike !== undefined) return alike;

  const elsewhere = describeOtherViews(diagnosis);
  if (elsewhere === undefined) {
    const why = diagnosis.delegation.reason ?? 'no other view of the domain answered';
    const reason = `${local}, and our own resolution from the root could not decide: ${why}`;
    return { kind: 'inconclusive', detail: 'no-other-view', reason };
  }

  const share = failing.length < diagnosis.local.servers.length;
  const prefix = share
    ? `${failing.length} of ${diagnosis.local.servers.length} local resolvers fail: `
    : '';
  const unreached = describeUnreachedReferences(diagnosis);
  return {
    kind: 'local-resolver',
    detail: localDetail(failing),
    reason: `${prefix}${local}; ${elsewhere}${unreached === '' ? '' : `; ${unreached}`}`,
  };
}

/**
 * Every reference resolver fails as ours does: then ours is not the one at fault. A domain
 * whose servers answer with an alias (CNAME) sends resolvers on to the target's zone, whose
 * servers are then the ones failing.
 */
function failingLikeUs(diagnosis: DomainDiagnosis, local: string): Finding | undefined {
  const reached = reachedReferences(diagnosis);
  if (reached.some((check) => isDefinite(check.reply.result))) return undefined;

  const target = aliasTarget(diagnosis);
  if (reached.length === 0) {
    if (target === undefined) return undefined;
    const reason =
      `${local}; ${diagnosis.domain} is an alias of ${target}, ` +
      'and no other view of it was made';
    return { kind: 'inconclusive', detail: 'no-other-view', reason };
  }

  const others = describeResolvers('reference resolver', reached);
  if (target === undefined) {
    const reason = `${local}; ${others} as well, while the authoritative servers answer`;
    return { kind: 'inconclusive', detail: 'resolvers-fail', reason };
  }

  const reason =
    `${diagnosis.domain} is an alias (CNAME) of ${target}, and every resolver fails on it: ` +
    `${local}; ${others}: the DNS of ${target} is broken`;
  return { kind: 'recipient-dns', detail: 'servfail', reason };
}

/** The reference resolvers that could be asked (see {@link isUnreached}). */
function reachedReferences(diagnosis: DomainDiagnosis): ResolverCheck[] {
  return diagnosis.reference.servers.filter((check) => !isUnreached(check, diagnosis));
}

/**
 * A reference resolver that gave no view of the domain: a closed port or a refusal, or
 * silence while every authoritative server of the domain answers and sends it nowhere else
 * (no alias), so that nothing of the domain can have kept it waiting.
 */
function isUnreached(check: ResolverCheck, diagnosis: DomainDiagnosis): boolean {
  const result = check.reply.result;
  if (CLOSED_RESULTS.has(result)) return true;
  if (!SILENT_RESULTS.has(result as ProbeResult)) return false;

  const { answering, failing } = diagnosis.authoritative;
  return answering > 0 && failing === 0 && aliasTarget(diagnosis) === undefined;
}

/** The reference resolvers that could not be asked, said as a view not made, or ''. */
function describeUnreachedReferences(diagnosis: DomainDiagnosis): string {
  const unreached = diagnosis.reference.servers.filter((check) => isUnreached(check, diagnosis));
  if (unreached.length === 0) return '';

  return `${describeResolvers('reference resolver', unreached)} (not reached: no view from it)`;
}

/** The name the domain's authoritative answer sends resolvers on to: an answer that is only a
 *  CNAME chain, with no MX record at its end. */
function aliasTarget(diagnosis: DomainDiagnosis): string | undefined {
  for (const server of diagnosis.authoritative.servers) {
    if (server.mx.result !== 'answer') continue;
    const records = server.mx.records.map((record) => record.split(' '));
    if (records.some(([, type]) => type === 'MX')) return undefined;
    const aliases = records.filter(([, type]) => type === 'CNAME');
    const last = aliases[aliases.length - 1];
    if (last?.[2] !== undefined) return last[2].replace(/\.$/, '');
  }

  return undefined;
}

/** How the domain answers other than through our resolvers, or undefined if it does not. */
function describeOtherViews(diagnosis: DomainDiagnosis): string | undefined {
  const { authoritative, reference } = diagnosis;

  if (authoritative.answering > 0) {
    return authoritative.failing === 0
      ? describeAnswering(authoritative.answering)
      : `${authoritative.answering} of ${count(authoritative.servers.length, ADDRESS)} answer MX`;
  }

  const answering = reference.servers.filter((check) => isDefinite(check.reply.result));
  if (answering.length > 0) return `${count(answering.length, 'reference resolver')} answer MX`;

  return undefined;
}

/**
 * Our resolver says the domain or its MX records do not exist (NXDOMAIN, no data) where the
 * domain's servers give MX records: a stale negative cache, a local zone, a response policy.
 * Our mail goes where our resolver sends it, so that is what bounces or defers it. Without the
 * servers' view, a reference resolver that answers tells the same. Another MX set from our
 * resolver (an MX moved within its TTL) is only a note: mail still goes somewhere.
 */
function findLocalDissent(diagnosis: DomainDiagnosis): Finding | undefined {
  const { authoritative } = diagnosis;
  const wrong =
    authoritative.answering === 0
      ? againstReference(diagnosis)
      : authoritative.agree
        ? againstServers(diagnosis)
        : [];
  if (wrong.length === 0) return undefined;

  const reason = `${listSome(wrong, '; ')}: our mail goes where our own resolver sends it`;
  return { kind: 'local-resolver', detail: 'wrong-answer', reason };
}

/** Our resolvers' answers of nothing where the authoritative servers give MX records. */
function againstServers(diagnosis: DomainDiagnosis): string[] {
  if (diagnosis.authoritative.consensus !== 'answer') return [];

  return diagnosis.local.servers.flatMap((check) => {
    if (!NEGATIVE_RESULTS.has(check.reply.result)) return [];
    const how = describeContradiction(diagnosis, check);
    return how === undefined ? [] : [`local resolver ${check.server} ${how}`];
  });
}

/** Our resolvers' answers of nothing where a reference resolver answers, without the
 *  servers' view. */
function againstReference(diagnosis: DomainDiagnosis): string[] {
  return diagnosis.local.servers.flatMap((check) => {
    const result = check.reply.result;
    const other = diagnosis.reference.servers.find(
      (reference) => reference.reply.result === 'answer',
    );
    if (!NEGATIVE_RESULTS.has(result) || other === undefined) return [];

    return [
      `local resolver ${check.server} gives ${describeResult(result)} where reference ` +
        `resolver ${other.server} gives MX records`,
    ];
  });
}

/** Whether a resolver of the view answers with records. */
function isAnswering(view: ResolverView): boolean {
  return view.servers.some((check) => check.reply.result === 'answer');
}

/** Refused means the resolver will not serve us (access control); silence means it is down. */
function localDetail(failing: readonly ResolverCheck[]): string {
  return detailOf(failing.map((check) => check.reply.result));
}

/** {@link localDetail} of the results themselves; a definite one (NXDOMAIN for a name that
 *  exists) is a wrong answer. */
function detailOf(results: readonly string[]): string {
  if (results.every((result) => SILENT_RESULTS.has(result as ProbeResult))) return 'down';
  if (results.includes('refused')) return 'blocked';
  if (results.some((result) => isDefinite(result))) return 'wrong-answer';

  return 'servfail';
}

function findPartialFailure(diagnosis: DomainDiagnosis): Finding | undefined {
  const { servers, answering, failing } = diagnosis.authoritative;
  if (answering === 0 || failing === 0) return undefined;

  const broken = servers.filter((server) => !isDefinite(server.mx.result));
  const zone = diagnosis.delegation.zone ?? diagnosis.domain;
  const reason =
    `${failing} of ${count(servers.length, ADDRESS)} of ${zone} fail: ` + describeServers(broken);
  const note = noteLocalFailure(diagnosis, WAITING_ON_FAILING);
  return { kind: 'recipient-dns', detail: 'partial', reason: reason + note };
}

/**
 * Answers over UDP, but TCP is refused or broken, or EDNS had to be dropped (RFC 7766, RFC
 * 6891). A TCP question that merely got no reply in time is no such evidence: see
 * {@link findTcpSilence}.
 */
function findTransportTrouble(diagnosis: DomainDiagnosis): Finding | undefined {
  const troubled = describeTransportTrouble(diagnosis);
  if (troubled.length === 0) return undefined;

  const reason = listSome(troubled, '; ') + noteLocalFailure(diagnosis, WAITING_ON_TROUBLED);
  return { kind: 'recipient-dns', detail: 'edns-or-tcp', reason };
}

function describeTransportTrouble(diagnosis: DomainDiagnosis): string[] {
  return diagnosis.authoritative.servers.flatMap((server) => {
    const label = `${server.name} ${server.address}`;
    const tcp = server.tcp?.result;

    // A server that fails over UDP too (lame, REFUSED) has no transport trouble, but that.
    const answersUdp = isDefinite(server.mx.result);
    if (answersUdp && tcp !== undefined && !isDefinite(tcp) && tcp !== 'tcp-timeout') {
      return [`${label}: answers MX over UDP, but over TCP: ${describeTcpResult(tcp)}`];
    }

    return server.mx.ednsRetried && isDefinite(server.mx.result)
      ? [`${label}: answers only without EDNS`]
      : [];
  });
}

/**
 * Every server answers over UDP and the only failure is a TCP question that got no reply in
 * time. That may be a firewall dropping TCP port 53, or only a timeout too short for a TCP
 * handshake: a timeout alone does not tell, so the verdict says what was seen and no more.
 */
function findTcpSilence(diagnosis: DomainDiagnosis): Finding | undefined {
  const silent = diagnosis.authoritative.servers.filter(
    (server) => server.tcp?.result === 'tcp-timeout',
  );
  if (silent.length === 0) return undefined;

  const listed = silent.map(
    (server) =>
      `${server.name} ${server.address} answers MX over UDP, but over TCP gave no reply ` +
      `(gave up after ${server.tcp?.ms ?? 0} ms)`,
  );
  const reason = `${listSome(listed, '; ')}: a timeout alone does not show that TCP is broken`;
  return { kind: 'inconclusive', detail: 'tcp-timeout', reason };
}

/** What a question asked over TCP from the start came to (no UDP was involved). */
function describeTcpResult(result: ProbeResult): string {
  return result === 'unreachable' ? 'connection refused or reset' : describeResult(result);
}

/** Our resolver down (refused, unreachable) beside servers that fail, which it cannot be
 *  waiting on then: a timeout or SERVFAIL from it is what their failure gives anyway. */
function noteLocalDown(diagnosis: DomainDiagnosis): string {
  const down = failingChecks(diagnosis.local).filter(
    (check) => !WAITING_RESULTS.has(check.reply.result),
  );
  if (down.length === 0) return '';

  return `; our resolver fails too (${describeResolvers('local resolver', down)})`;
}

/** Our resolver failing alongside a recipient fault, said without blaming it. */
function noteLocalFailure(diagnosis: DomainDiagnosis, why = ''): string {
  const failing = failingChecks(diagnosis.local);
  if (failing.length === 0) return '';

  return `; our resolver fails too (${describeResolvers('local resolver', failing)})${why}`;
}

/** Which views answered; which could not be made, each reason said once; which resolvers
 *  contradict the authoritative servers. */
function describeHealthy(diagnosis: DomainDiagnosis): Finding {
  const { authoritative, local, reference } = diagnosis;
  const dissenting = findDissent(diagnosis);
  const agreeing = (checks: readonly ResolverCheck[]) =>
    checks.filter((check) => !dissenting.has(check));
  const parts: string[] = [];

  if (authoritative.answering > 0) parts.push(describeAnswering(authoritative.answering));
  const ours = agreeing(local.servers);
  if (ours.length > 0) parts.push(describeResolvers('local resolver', ours));
  const references = agreeing(reachedReferences(diagnosis));
  if (references.length > 0 && (reference.status === 'answers' || dissenting.size > 0)) {
    parts.push(describeResolvers('reference resolver', references));
  }

  if (diagnosis.mx.hosts.length > 0) parts.push('MX hosts resolve');

  const unmade = describeUnmadeViews(diagnosis);
  const dissent = dissenting.size === 0 ? undefined : listSome([...dissenting.values()], '; ');
  return {
    kind: 'answers',
    reason: parts.join('; '),
    ...(unmade === undefined ? {} : { unmade }),
    ...(dissent === undefined ? {} : { dissent }),
  };
}

/**
 * The resolvers that contradict authoritative servers that agree: a validation failure (a
 * validating resolver rejects the zone's signatures, though ours answers), no answer, another
 * result (NXDOMAIN where the servers give MX) or another MX set. A resolver with a stale
 * cache, a filter or a split view answers so; our mail goes where the servers say.
 */
function findDissent(diagnosis: DomainDiagnosis): Map<ResolverCheck, string> {
  const { authoritative, local, reference } = diagnosis;
  const dissent = new Map<ResolverCheck, string>();
  if (authoritative.answering === 0 || !authoritative.agree) return dissent;

  const labelled = [
    ...local.servers.map((check) => ({ label: 'local resolver', check })),
    ...reference.servers.map((check) => ({ label: 'reference resolver', check })),
  ];
  for (const { label, check } of labelled) {
    if (label === 'reference resolver' && isUnreached(check, diagnosis)) continue;
    const how = describeContradiction(diagnosis, check);
    if (how !== undefined) dissent.set(check, `${label} ${check.server} ${how}`);
  }

  return dissent;
}

function describeContradiction(
  diagnosis: DomainDiagnosis,
  check: ResolverCheck,
): string | undefined {
  const { domain, authoritative, mx } = diagnosis;
  const result = check.reply.result;
  const theirs = authoritative.consensus;
  const why = '(a stale cache, a filter or a split view)';

  if (check.dnssecFailure) {
    return (
      'gives SERVFAIL and answers with checking disabled (CD): validating resolvers reject ' +
      `the DNSSEC signatures of ${domain}`
    );
  }

  if (!isDefinite(result)) return `gives ${describeResult(result)} where they answer`;
  if (theirs !== undefined && result !== theirs) {
    return `gives ${describeResult(result)} where they give ${describeConsensus(theirs)} ${why}`;
  }

  const expected = mx.source === 'authoritative' ? mxSet(mx.records) : '';
  const given = mxSet(check.mx);
  if (result === 'answer' && expected !== '' && given !== expected) {
    return `gives ${given || 'no MX record'} where they give ${expected} ${why}`;
  }

  return undefined;
}

type Definite = 'answer' | 'nxdomain' | 'nodata';

function describeConsensus(result: Definite): string {
  return result === 'answer' ? 'MX records' : describeResult(result);
}

/** `MX 10 a.example.test, MX 20 b.example.test`, in a stable order. */
function mxSet(records: readonly { preference: number; exchange: string }[]): string {
  return records
    .map((record) => `MX ${record.preference} ${record.exchange.toLowerCase().replace(/\.$/, '')}`)
    .sort()
    .join(', ');
}

function describeUnmadeViews(diagnosis: DomainDiagnosis): string | undefined {
  const { authoritative, delegation, reference } = diagnosis;
  const views: { what: string; verb: string; why: string }[] = [];

  if (authoritative.answering === 0 && delegation.status !== 'delegated') {
    const what = 'our own resolution from the root';
    const verb = delegation.status === 'failed' ? 'failed' : 'could not be made';
    views.push({ what, verb, why: delegation.reason ?? delegation.status });
  }

  if (reference.servers.length === 0 && reference.note !== undefined) {
    views.push({ what: 'the reference resolvers', verb: 'were not asked', why: reference.note });
  }

  const [first, second] = views;
  const said =
    second !== undefined && first?.why === second.why
      ? [`${first.what} and ${second.what} could not be used: ${first.why}`]
      : views.map((view) => `${view.what} ${view.verb}: ${view.why}`);
  const unreached = describeUnreachedReferences(diagnosis);
  if (unreached !== '') said.push(unreached);

  return said.length === 0 ? undefined : said.join('; ');
}

function describeAnswering(answering: number): string {
  return answering === 1
    ? 'the only authoritative server address answers MX'
    : `${allOf(answering, ADDRESS)} answer MX`;
}

/** `both authoritative server addresses`, `all 3 authoritative server addresses`. */
function allOf(amount: number, noun: string): string {
  const counted = count(amount, noun);

  return amount === 2 ? counted.replace(/^2/, 'both') : `all ${counted}`;
}
