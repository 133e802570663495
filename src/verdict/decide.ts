// The verdict stage: each group's verdict from the DNS re-check of its domain, weighed with the
// log's own evidence (the breadth test, later deliveries, name servers shared by failing
// domains); `VerdictKind` in model.ts lists the kinds. A verdict claims no more than the evidence
// shows: what answers now but failed then is `recovered`, with the log's lean as its detail.

import { displayName, escapeRawControls } from '../classify/text.js';
import { isValidDomainName } from '../dns/domain-name.js';
import { DEFINITE_RESULTS, type DomainDiagnosis } from '../dns/types.js';
import {
  DNS_CAUSES,
  offlineVerdict,
  type Cause,
  type GroupEvidence,
  type Verdict,
} from '../model.js';
import { assessDomains, describeAnswers, isFollowedAlias, type Finding } from './assess.js';
import { describeResolvers, formatTime } from './describe.js';
import {
  describeBreadth,
  findLaterDelivery,
  findRecovery,
  readBreadth,
  WIDE_MIN_DOMAINS,
  type Breadth,
  type DnsRecovery,
  type DomainDeliveries,
  type WindowCounts,
} from './log-evidence.js';
import { findSharedOutages, type SharedOutage } from './shared-ns.js';

export type { GroupEvidence } from '../model.js';

export interface LogContext {
  /** Per window start: how many distinct domains failed with dns-tempfail, and how many
   *  distinct domains got a `sent`. */
  readonly windows: ReadonlyMap<number, WindowCounts>;
  /** Per recipient domain whose look-ups failed: how each stretch of failures ended (when its
   *  look-ups worked again, when its mail was delivered). The grouper names it so. */
  readonly lastSentByDomain: ReadonlyMap<string, DomainDeliveries>;
  /** `--until`, when given: failures after it are known only as part of a stretch that was
   *  still going on when the period ended. */
  readonly until?: number;
}

/** Everything a group's decision may consult, worked out once per run. */
interface Context {
  readonly log: LogContext;
  readonly diagnoses: ReadonlyMap<string, DomainDiagnosis>;
  readonly findings: ReadonlyMap<string, Finding>;
  readonly outages: ReadonlyMap<string, SharedOutage>;
  /** Per window start: its dns-tempfail groups and how each one's failures ended. */
  readonly tempfails: ReadonlyMap<number, readonly Tempfail[]>;
}

/** A dns-tempfail group and the attempt after its last failure whose look-up worked. */
interface Tempfail {
  readonly domain: string;
  readonly lastSeen: number;
  readonly recovery: DnsRecovery | undefined;
}

/** A lean and the evidence behind it, for a group that answers now. */
interface Lean {
  readonly kind?: string;
  readonly basis?: string;
  readonly note: string;
}

/** Read from the reply text alone: no probe is made and none is claimed. */
const REMOTE_POLICY: Verdict = {
  kind: 'remote-policy',
  reason: 'the remote server deferred with a 4xx reply for a reason other than DNS',
};

/** What a recovered group's own cause says it was. */
const CAUSE_LEANS: Partial<Record<Cause, string>> = {
  'dns-notfound': 'domain-missing',
  'dns-nodata': 'no-mail-host',
  'null-mx': 'null-mx',
  'mx-unresolvable': 'mx-unresolvable',
};

/** Faults of a sender domain that explain a remote server's failure to resolve it. */
const SENDER_FAULTS = new Set<Finding['kind']>([
  'recipient-dns',
  'recipient-dnssec',
  'domain-missing',
  'null-mx',
  'no-mail-host',
  'mx-unresolvable',
]);

/**
 * The domains the DNS re-check must diagnose, in first-seen order: the recipient domain of
 * each DNS group, except `sender-dns` groups, which are about our own sender domains. Names
 * come from log lines anyone can shape (`to=<x@<script>.example>`, `to=postmaster`): only
 * valid host names are re-checked.
 */
export function domainsToCheck(groups: readonly GroupEvidence[]): string[] {
  const domains = new Set<string>();

  for (const group of groups) {
    if (!DNS_CAUSES.has(group.cause)) continue;

    if (group.cause === 'sender-dns') group.senderDomains.forEach((domain) => domains.add(domain));
    else domains.add(group.domain);
  }

  return [...domains].filter(isValidDomainName);
}

/** Group key → verdict. `diagnoses` undefined means the re-check was switched off. */
export function decideVerdicts(
  groups: readonly GroupEvidence[],
  log: LogContext,
  diagnoses: ReadonlyMap<string, DomainDiagnosis> | undefined,
): Map<string, Verdict> {
  const verdicts = new Map<string, Verdict>();

  if (diagnoses === undefined) {
    for (const group of groups) verdicts.set(group.key, offlineVerdict(group.cause));
    return verdicts;
  }

  const context = buildContext(groups, log, diagnoses);
  for (const group of groups) verdicts.set(group.key, decideGroup(group, context));

  return verdicts;
}

function buildContext(
  groups: readonly GroupEvidence[],
  log: LogContext,
  diagnoses: ReadonlyMap<string, DomainDiagnosis>,
): Context {
  const findings = assessDomains(diagnoses);
  const outages = findSharedOutages(diagnoses, findings);

  return { log, diagnoses, findings, outages, tempfails: indexTempfails(groups, log) };
}

function indexTempfails(
  groups: readonly GroupEvidence[],
  log: LogContext,
): Map<number, Tempfail[]> {
  const byWindow = new Map<number, Tempfail[]>();
  for (const group of groups) {
    if (group.cause !== 'dns-tempfail') continue;
    const recovery = findRecovery(log.lastSentByDomain, group.domain, group.lastSeen);
    const tempfail = { domain: group.domain, lastSeen: group.lastSeen, recovery };
    const window = byWindow.get(group.windowStart);
    if (window === undefined) byWindow.set(group.windowStart, [tempfail]);
    else window.push(tempfail);
  }

  return byWindow;
}

function decideGroup(group: GroupEvidence, context: Context): Verdict {
  const isAboutUs = group.aboutOurNames > 0;
  if (group.cause === 'remote-tempfail') {
    return isAboutUs ? { kind: 'remote-policy', reason: ourNamesReason(group) } : REMOTE_POLICY;
  }

  if (group.cause === 'remote-reject' && isAboutUs) {
    return { kind: 'not-checked', reason: ourNamesReason(group) };
  }

  if (!DNS_CAUSES.has(group.cause)) {
    return { kind: 'not-checked', reason: `no DNS re-check for cause ${group.cause}` };
  }

  if (group.cause === 'sender-dns') return decideSenderDns(group, context);
  if (!isValidDomainName(group.domain)) return invalidNames('recipient domain', [group.domain]);

  const diagnosis = context.diagnoses.get(group.domain);
  const finding = context.findings.get(group.domain);
  if (diagnosis === undefined || finding === undefined) {
    return { kind: 'not-checked', reason: `${group.domain} was not re-checked` };
  }

  if (group.cause === 'remote-dns') return decideRemoteDns(group, diagnosis, finding, context);

  // Our resolvers answer a zone validating resolvers reject: that cannot defer our mail.
  return decideRecipient(group, diagnosis, finding.ours ?? finding, context);
}

function decideRecipient(
  group: GroupEvidence,
  diagnosis: DomainDiagnosis,
  finding: Finding,
  context: Context,
): Verdict {
  if (finding.kind === 'answers') return decideRecovered(group, diagnosis, finding, context);

  const followed = followedAliases(group, diagnosis, finding);
  if (followed !== undefined) return decideRecovered(group, diagnosis, followed, context);

  const riddenOut = partialRiddenOut(group, diagnosis, finding, context);
  if (riddenOut !== undefined) return decideRecovered(group, diagnosis, riddenOut, context);

  const proven = CAUSE_LEANS[group.cause];
  if (proven !== undefined && finding.kind === 'recipient-dns') {
    return provenByLog(group, proven, diagnosis, finding);
  }

  const outage = context.outages.get(group.domain);
  if (outage !== undefined) {
    return withThenLean(providerOutage(diagnosis, outage, finding), group, context);
  }

  const verdict = fromFinding(diagnosis, finding, supportingBreadth(group, finding, context));
  return finding.kind === 'recipient-dns' ? withThenLean(verdict, group, context) : verdict;
}

/**
 * The log proved a permanent cause (the domain's DNS answered NXDOMAIN, no mail host, a null
 * MX or MX hosts without address, and the mail bounced) and its name servers fail now: the
 * check made now cannot overrule what they said then, so the verdict stays the log's.
 */
function provenByLog(
  group: GroupEvidence,
  kind: string,
  diagnosis: DomainDiagnosis,
  finding: Finding,
): Verdict {
  const reason =
    `the log says ${group.cause}, an answer of the domain's DNS at the time; ` +
    `it cannot be re-checked now: ${finding.reason}`;

  return {
    kind: kind as Verdict['kind'],
    ...evidenceOf(diagnosis, reason, ['log-cause', 'probes']),
  };
}

/** A failure now whose failures in the log pointed at our resolver says so beside its own. */
function withThenLean(verdict: Verdict, group: GroupEvidence, context: Context): Verdict {
  const lean = leanOf(group, context);
  if (lean.kind !== 'local-resolver' || verdict.reason === undefined) return verdict;

  const reason = `${verdict.reason}; when the mail failed, ${lean.note}`;
  return { ...verdict, reason, basis: [...(verdict.basis ?? []), 'breadth'] };
}

/** Every probe answers now: the failure is over, and the log may tell what it was. */
function decideRecovered(
  group: GroupEvidence,
  diagnosis: DomainDiagnosis,
  finding: Finding,
  context: Context,
): Verdict {
  const lean = leanOf(group, context);
  const later = findLaterDelivery(context.log.lastSentByDomain, group.domain, group.lastSeen);
  const basis = ['probes', ...(lean.basis === undefined ? [] : [lean.basis])];
  const notes = [describeAnswers(finding, { now: true }), lean.note];
  const foreign = foreignLookups(group, diagnosis);
  if (foreign !== undefined) notes.push(foreign);

  if (later !== undefined) {
    basis.push('later-delivery');
    notes.push(`mail to ${group.domain} was delivered at ${formatTime(later)}`);
  } else {
    const recovery = findRecovery(context.log.lastSentByDomain, group.domain, group.lastSeen);
    if (recovery !== undefined) notes.push(describePastDns(group.domain, recovery));
  }

  return {
    kind: 'recovered',
    ...(lean.kind === undefined ? {} : { detail: lean.kind }),
    ...evidenceOf(diagnosis, notes.join('; '), basis),
  };
}

/**
 * MX hosts that are aliases (a CNAME, which RFC 2181 §10.3 forbids for an MX) but resolve
 * through them: Postfix, Exim and Sendmail follow such an alias, so it cannot be what failed a
 * look-up the log calls anything but `mx-unresolvable` (a temporary failure of ours, say). For
 * such a group the domain answers now, with the alias named; the check of the domain alone
 * (`check`) and a group the log calls `mx-unresolvable` keep `mx-unresolvable (cname)`.
 */
function followedAliases(
  group: GroupEvidence,
  diagnosis: DomainDiagnosis,
  finding: Finding,
): Finding | undefined {
  if (finding.kind !== 'mx-unresolvable' || finding.detail !== 'cname') return undefined;
  if (group.cause === 'mx-unresolvable') return undefined;

  const hosts = diagnosis.mx.hosts;
  if (hosts.length === 0 || !hosts.every(isFollowedAlias)) return undefined;

  const aliases = hosts.map((host) => displayName(host.name)).join(', ');
  const isOne = hosts.length === 1;
  return {
    kind: 'answers',
    reason:
      `the MX host${isOne ? ' ' : 's '}${aliases} ${isOne ? 'is an alias' : 'are aliases'} ` +
      'that mail servers follow to an address, though an MX may not name a CNAME ' +
      '(RFC 2181 §10.3)',
  };
}

/** A remote deferred or rejected us for our own address's PTR record or our HELO name (see
 *  `CLIENT_DNS_REPLY`): our DNS, which the re-check does not look at. */
function ourNamesReason(group: GroupEvidence): string {
  const all = group.aboutOurNames === group.attempts;
  const which = all ? 'its replies are' : `${group.aboutOurNames} of ${group.attempts} replies are`;
  return (
    "the remote server holds our own DNS against us, not the recipient's: " +
    `${which} about our sending address (no PTR record, or one that does not resolve back to ` +
    'it) or our HELO name, which the re-check does not look at'
  );
}

/**
 * Some of the domain's servers fail, but our resolver answers now, as a working resolver does
 * by asking the others; and the log puts the failures on our resolver (many domains failed
 * and recovered together). The partial outage did not defer the mail: the domain recovered
 * from our resolver's failure, and the failing servers are said beside the answers.
 */
function partialRiddenOut(
  group: GroupEvidence,
  diagnosis: DomainDiagnosis,
  finding: Finding,
  context: Context,
): Finding | undefined {
  if (finding.kind !== 'recipient-dns' || finding.detail !== 'partial') return undefined;
  const { servers } = diagnosis.local;
  const isAnswering =
    servers.length > 0 && servers.every((check) => DEFINITE_RESULTS.has(check.reply.result));
  if (!isAnswering || leanOf(group, context).kind !== 'local-resolver') return undefined;

  return {
    kind: 'answers',
    reason: describeResolvers('local resolver', servers),
    unmade: `${finding.reason} (a working resolver rides that out)`,
  };
}

/**
 * The names the log's failed look-ups were for that are neither the domain nor one of its MX
 * hosts now. Postfix and Sendmail word a smarthost's failed look-up (`relayhost`, a transport
 * route, `mailer=relay`) as they word an MX host's, so such a name is more likely ours than
 * the recipient's, unless the MX records changed since.
 */
function foreignLookups(group: GroupEvidence, diagnosis: DomainDiagnosis): string | undefined {
  if (group.cause !== 'mx-unresolvable' || diagnosis.mx.result !== 'answer') return undefined;

  const hosts = new Set(diagnosis.mx.hosts.map((host) => host.name));
  const foreign = group.lookupNames.filter((name) => name !== group.domain && !hosts.has(name));
  if (foreign.length === 0) return undefined;

  const names = foreign.map(displayName).join(', ');
  const [lookups, which] =
    foreign.length === 1 ? ['look-up was', 'which is'] : ['look-ups were', 'which are'];
  return (
    `the failed ${lookups} for ${names}, ${which} not an MX host of ${group.domain} now: ` +
    'a relayhost or transport route of ours, or MX records changed since'
  );
}

/** The breadth test for temporary look-up failures; the cause itself for the others. */
function leanOf(group: GroupEvidence, context: Context): Lean {
  const causeLean = CAUSE_LEANS[group.cause];
  if (causeLean !== undefined) return { kind: causeLean, note: `the log says ${group.cause}` };

  if (group.cause !== 'dns-tempfail') return { note: 'the log does not tell whose DNS failed' };

  const breadth = readBreadth(context.log.windows.get(group.windowStart));
  if (breadth.shape === 'wide') return wideLean(group, breadth, context);

  if (breadth.shape === 'narrow') {
    return {
      kind: 'recipient-dns',
      basis: 'breadth',
      note: `the log suggests the recipient's DNS: ${describeBreadth(breadth)}`,
    };
  }

  return { note: 'the log does not tell whose DNS failed' };
}

/**
 * Many domains failed in the window: our resolver is the likely cause only for a domain whose
 * failures are explained by it. Its look-ups worked again later, as those of enough other
 * failing domains did, and it stopped failing before the last of them got through: they
 * failed together and recovered together. A domain that went on failing after the others got
 * through failed on its own; one that never got through is not told by the window.
 */
function wideLean(group: GroupEvidence, breadth: Breadth, context: Context): Lean {
  const own = findRecovery(context.log.lastSentByDomain, group.domain, group.lastSeen);
  const others = (context.tempfails.get(group.windowStart) ?? []).filter(
    (tempfail) => tempfail.domain !== group.domain && tempfail.recovery !== undefined,
  );
  const othersBack = Math.max(...others.map((other) => other.recovery?.pastDnsAt ?? -Infinity));
  const recovered = new Set(others.map((other) => other.domain)).size + 1;
  const wide = describeBreadth(breadth);

  // A domain still failing when the period (--until) ended may have failed on after it: its
  // stretch's last failure says. (Within the period, a later window's failures are that
  // window's group's own: a stretch may join two outages no attempt came between.)
  const after = context.log.until !== undefined && (own?.lastFailure ?? 0) >= context.log.until;
  const lastFailure = after ? (own?.lastFailure ?? group.lastSeen) : group.lastSeen;
  if (others.length > 0 && lastFailure > othersBack) {
    const note =
      `the log suggests the recipient's DNS: ${wide}, but ${group.domain} went on failing ` +
      `until ${formatTime(lastFailure)}, after the others' look-ups worked again ` +
      `(by ${formatTime(othersBack)})`;
    return { kind: 'recipient-dns', basis: 'breadth', note };
  }

  if (own !== undefined && recovered >= WIDE_MIN_DOMAINS) {
    const back = formatTime(othersBack);
    const together = `${recovered} of the failing domains got past DNS again by ${back}`;
    return {
      kind: 'local-resolver',
      basis: 'breadth',
      note: `the log suggests our resolver: ${wide}, and ${together}`,
    };
  }

  const why =
    own === undefined
      ? `no later attempt to ${group.domain} got past DNS`
      : `only ${recovered} of the failing domains got past DNS again later`;
  return { note: `the log does not tell whose DNS failed: ${wide}, but ${why}` };
}

/** A recovery that was no delivery: the next attempt got past DNS and failed further on. */
function describePastDns(domain: string, recovery: DnsRecovery): string {
  return (
    `the next attempt to ${domain}, at ${formatTime(recovery.pastDnsAt)}, ` +
    `got past DNS (${recovery.pastDnsBy})`
  );
}

/** The breadth sentence when the window agrees with what the probes found. */
function supportingBreadth(
  group: GroupEvidence,
  finding: Finding,
  context: Context,
): string | undefined {
  if (group.cause !== 'dns-tempfail') return undefined;

  const breadth = readBreadth(context.log.windows.get(group.windowStart));
  const agrees =
    (finding.kind === 'local-resolver' && breadth.shape === 'wide') ||
    (finding.kind === 'recipient-dns' && breadth.shape === 'narrow');

  return agrees ? describeBreadth(breadth) : undefined;
}

function providerOutage(
  diagnosis: DomainDiagnosis,
  outage: SharedOutage,
  finding: Finding,
): Verdict {
  const domains = `${outage.domains.length} failing domains (${outage.domains.join(', ')})`;
  const shared = `share the name servers ${outage.nameServers.join(', ')}`;
  const reason = `${domains} ${shared}; ${finding.reason}`;

  return {
    kind: 'provider-outage',
    ...(finding.detail === undefined ? {} : { detail: finding.detail }),
    ...evidenceOf(diagnosis, reason, ['probes', 'shared-ns']),
  };
}

/**
 * A relay said its MX look-up failed. If the domain resolves from here (through our own walk
 * even when our resolver fails), the relay's resolver is at fault; otherwise the domain's own
 * fault explains the relay's failure.
 */
function decideRemoteDns(
  group: GroupEvidence,
  diagnosis: DomainDiagnosis,
  finding: Finding,
  context: Context,
): Verdict {
  if (finding.kind !== 'answers' && finding.kind !== 'local-resolver') {
    return decideRecipient(group, diagnosis, finding, context);
  }

  const ours =
    finding.kind === 'local-resolver' ? `; our own resolver fails too: ${finding.reason}` : '';
  const relay = 'yet a relay reported its MX look-up failed';
  const reason = `${group.domain} resolves from here, ${relay}${ours}`;
  return { kind: 'relay-resolver', ...evidenceOf(diagnosis, reason, ['probes']) };
}

/** A remote server could not resolve our sender domain: is it broken now? */
function decideSenderDns(group: GroupEvidence, context: Context): Verdict {
  if (group.senderDomains.length === 0) {
    const reason = 'the log names no sender domain for these deferrals';
    return { kind: 'inconclusive', detail: 'no-sender-domain', reason };
  }

  const valid = group.senderDomains.filter(isValidDomainName);
  if (valid.length === 0) return invalidNames('sender domain', group.senderDomains);

  const checked = valid.flatMap((domain) => {
    const diagnosis = context.diagnoses.get(domain);
    const finding = context.findings.get(domain);
    return diagnosis === undefined || finding === undefined ? [] : [{ domain, diagnosis, finding }];
  });
  const first = checked[0];
  if (first === undefined) {
    return { kind: 'not-checked', reason: `${valid.join(', ')} was not re-checked` };
  }

  const unchecked = checked.find((sender) => sender.finding.kind === 'not-checked');
  if (unchecked !== undefined) return senderFault(unchecked);

  const [broken, ...alsoBroken] = checked.filter((sender) =>
    SENDER_FAULTS.has(sender.finding.kind),
  );
  if (broken !== undefined) return senderFault(broken, alsoBroken);

  const unsure = checked.find((sender) => sender.finding.kind === 'inconclusive');
  if (unsure !== undefined) return senderFault(unsure);

  // Our resolver failing for our own domain is no answer, but remote servers do not use it.
  const now =
    first.finding.kind === 'answers'
      ? describeAnswers(first.finding, { now: true })
      : `its servers answer now, though ${first.finding.reason} (remote servers do not use ` +
        'our resolver)';
  const reason = `sender domain ${first.domain}: ${now}; remote servers could not resolve it then`;
  return {
    kind: 'recovered',
    detail: 'sender-dns',
    ...evidenceOf(first.diagnosis, reason, ['probes']),
  };
}

/** Names that are no host names were never queried. The reason quotes them as JSON strings:
 *  control characters show as `\u001b` escapes, so a name that only looks valid once they are
 *  stripped is seen for what it is; what JSON leaves raw (C1 and bidi controls) is stripped. */
function invalidNames(what: string, names: readonly string[]): Verdict {
  const quoted = names.map((name) => escapeRawControls(JSON.stringify(name))).join(', ');
  const reason =
    names.length === 1
      ? `${what} ${quoted} is not a valid domain name: no DNS re-check`
      : `${what}s ${quoted} are not valid domain names: no DNS re-check`;

  return { kind: 'inconclusive', detail: 'invalid-name', reason };
}

interface SenderFinding {
  readonly domain: string;
  readonly diagnosis: DomainDiagnosis;
  readonly finding: Finding;
}

/** The verdict of the first failing sender domain; others that fail too are named beside it. */
function senderFault(sender: SenderFinding, others: readonly SenderFinding[] = []): Verdict {
  const { domain, diagnosis, finding } = sender;
  const reason = [sender, ...others]
    .map((each) => `sender domain ${each.domain}: ${each.finding.reason}`)
    .join('; ');
  if (finding.kind === 'inconclusive' || finding.kind === 'not-checked') {
    return fromFinding(diagnosis, { ...finding, reason });
  }

  const about = [domain, ...others.map((other) => other.domain)].sort();
  const detail =
    finding.kind === 'recipient-dns'
      ? (finding.detail ?? 'servfail')
      : finding.kind === 'recipient-dnssec'
        ? 'dnssec'
        : finding.kind;
  return { kind: 'sender-dns', detail, ...evidenceOf(diagnosis, reason, ['probes']), about };
}

export function fromFinding(
  diagnosis: DomainDiagnosis,
  finding: Finding,
  breadth?: string,
): Verdict {
  const kind = finding.kind === 'answers' ? 'recovered' : finding.kind;
  const reason =
    breadth === undefined ? finding.reason : `${finding.reason}; the log agrees: ${breadth}`;
  const basis = breadth === undefined ? ['probes'] : ['probes', 'breadth'];

  return {
    kind,
    ...(finding.detail === undefined ? {} : { detail: finding.detail }),
    ...evidenceOf(diagnosis, reason, basis),
  };
}

/** The reason, and the check behind it; a domain no query was made for claims no check. */
function evidenceOf(
  diagnosis: DomainDiagnosis,
  reason: string,
  basis: readonly string[],
): Pick<Verdict, 'checkedAt' | 'reason' | 'basis' | 'probes'> {
  const { checkedAt, probes } = diagnosis;
  if (checkedAt === undefined) return { reason };

  return { checkedAt, reason, basis, probes };
}
