// What the reports say in words: the verdict in plain language, the evidence behind it, what
// to do next for each verdict kind, and the one-paragraph story of the period. Shared by the
// markdown and HTML reports; everything returned is plain text that each format escapes.

import { isIP } from 'node:net';

import { isReplyAboutOurNames } from '../classify/phrases.js';
import { stripControl } from '../classify/text.js';
import type {
  Analysis,
  Cause,
  DeliveryDelay,
  Group,
  Incident,
  Probe,
  Verdict,
  VerdictKind,
} from '../model.js';
import { VERDICT_KINDS } from '../model.js';
import { domainLabels } from './notes.js';
import { formatDuration, type TimeFormat } from './times.js';

const VERDICT_LABELS: Readonly<Record<VerdictKind, string>> = {
  'local-resolver': 'our local resolver',
  'recipient-dns': "the recipient domain's DNS servers",
  'provider-outage': "the recipient domains' shared DNS provider",
  'recipient-dnssec': "the recipient domain's DNSSEC signatures",
  'domain-missing': 'the domain does not exist',
  'null-mx': 'the domain accepts no mail (null MX)',
  'no-mail-host': 'the domain has no mail host (no MX, no address)',
  'mx-unresolvable': "the domain's MX hosts do not resolve",
  'relay-resolver': "a relay's resolver",
  'sender-dns': "our sender domain's DNS, as remote servers see it",
  'remote-policy': 'remote server policy, not DNS',
  recovered: 'recovered: everything resolves now',
  healthy: 'healthy',
  inconclusive: 'inconclusive',
  'not-checked': 'not checked',
};

const FAMILY_LABELS: Readonly<Record<Incident['causeFamily'], string>> = {
  dns: 'DNS failures',
  remote: 'remote server deferrals and rejections',
  connection: 'connection failures',
  tls: 'TLS failures',
  other: 'other failures',
};

/** Probes that are steps of the walk from the root, not evidence about the domain. */
const WALK_RESULTS = new Set(['referral']);
const DEFAULT_EVIDENCE_PROBES = 8;
const DEFAULT_CHROOT_RESOLV_CONF = '/var/spool/postfix/etc/resolv.conf';
const SYSTEM_RESOLV_CONF = '/etc/resolv.conf';

/** Line breaks, kept as spaces so that joined multi-line replies stay readable. */
const LINE_BREAKS = /[\r\n]+/g;

/** Log text made safe for a terminal or a page: escape sequences and control characters go. */
export function cleanText(text: string): string {
  return stripControl(text.replace(LINE_BREAKS, ' '));
}

/** "our local resolver (down)"; a recovery with the log's lean says where the log points:
 *  "recovered: everything resolves now; the log points at our local resolver". */
export function describeVerdict(verdict: Verdict): string {
  const label = VERDICT_LABELS[verdict.kind];
  if (verdict.detail === undefined) return label;
  const lean = VERDICT_LABELS[verdict.detail as VerdictKind] as string | undefined;
  if (verdict.kind === 'recovered' && lean !== undefined) {
    return `${label}; the log points at ${lean}`;
  }

  return `${label} (${cleanText(verdict.detail)})`;
}

/** "fourthcoffee.test and 5 more domains: DNS failures"; an incident of domains that failed
 *  because of our resolver is named after it: "our local resolver, 5 domains: DNS failures". */
export function describeIncident(incident: Incident): string {
  const count = incident.domains.length;
  if (count > 1 && isOurResolver(incident.verdict)) {
    return `our local resolver, ${count} domains: ${FAMILY_LABELS[incident.causeFamily]}`;
  }

  const label = domainLabels(incident.groups);
  const first = incident.domains[0] === undefined ? 'no domain' : label(incident.domains[0]);
  const more = incident.domains.length - 1;
  const names = more === 0 ? first : `${first} and ${more} more domain${more === 1 ? '' : 's'}`;
  return `${cleanText(names)}: ${FAMILY_LABELS[incident.causeFamily]}`;
}

function isOurResolver(verdict: Verdict): boolean {
  return (
    verdict.kind === 'local-resolver' ||
    (verdict.kind === 'recovered' && verdict.detail?.startsWith('local-resolver') === true)
  );
}

/** The probes worth showing: the walk's referrals left out, failures first, a few at most. */
export function evidenceProbes(verdict: Verdict, limit = DEFAULT_EVIDENCE_PROBES): Probe[] {
  const probes = (verdict.probes ?? []).filter((probe) => !WALK_RESULTS.has(probe.result));
  const failing = probes.filter((probe) => !isDefinite(probe));
  const answering = probes.filter(isDefinite);
  return [...failing, ...answering].slice(0, limit);
}

/** "3 more DNS queries in the JSON output": the probes left out of a report. */
export function moreQueries(count: number): string {
  return `${count} more DNS quer${count === 1 ? 'y' : 'ies'} in the JSON output`;
}

/** "local resolver 127.0.0.1:53 asked northwind.test MX: timeout after 2000 ms (udp)". */
export function describeProbe(probe: Probe): string {
  const name = probe.serverName === undefined ? '' : ` (${probe.serverName})`;
  const answers = probe.answers?.length ? `: ${probe.answers.slice(0, 2).join('; ')}` : '';
  const rcode = probe.rcode && probe.rcode.toLowerCase() !== probe.result ? ` ${probe.rcode}` : '';
  return cleanText(
    `${ROLE_LABELS[probe.role]} ${probe.server}${name} asked ${probe.question.name} ` +
      `${probe.question.type}: ${probe.result}${rcode} after ${Math.round(probe.ms)} ms ` +
      `(${probe.transport})${answers}`,
  );
}

const ROLE_LABELS: Readonly<Record<Probe['role'], string>> = {
  local: 'local resolver',
  reference: 'reference resolver',
  'reference-cd': 'reference resolver, checking disabled,',
  iterative: 'walk from the root:',
  authoritative: 'authoritative server',
};

function isDefinite(probe: Probe): boolean {
  return probe.result === 'answer' || probe.result === 'nxdomain' || probe.result === 'nodata';
}

/** A few distinct reply texts of the incident's groups, busiest group first. */
export function replyExamples(groups: readonly Group[], limit = 3): string[] {
  const examples = new Set<string>();
  const busiest = [...groups].sort((a, b) => b.attempts - a.attempts);
  for (const example of busiest.flatMap((group) => group.examples)) {
    if (examples.size >= limit) break;
    examples.add(cleanText(example));
  }

  return [...examples];
}

/** What a postmaster should do next about one incident, most useful first. */
export function adviseIncident(incident: Incident): string[] {
  const verdict = incident.verdict;
  if (verdict.kind === 'not-checked' && incident.causeFamily !== 'dns') {
    return FAMILY_ADVICE[incident.causeFamily](incident);
  }

  return ADVICE[verdict.kind](incident, verdict);
}

type Advisor = (incident: Incident, verdict: Verdict) => string[];

const ADVICE: Readonly<Record<VerdictKind, Advisor>> = {
  'local-resolver': adviseLocalResolver,
  'recipient-dns': adviseRecipientDns,
  'provider-outage': (incident, verdict) => [
    `The domains share name servers that fail: ${withResults(failingServers(verdict))}. ` +
      `Contact the DNS provider that runs them; ${ourSide(verdict)}`,
    ...contactAdvice(incident, verdict),
    ...queueAdvice(incident),
  ],
  'recipient-dnssec': (incident, verdict) => [
    `Validating resolvers reject the DNSSEC signatures of ${domainList(incident)}, while the ` +
      'same question with checking disabled answers: the signatures or the DS record are broken ' +
      'on the recipient side.',
    ...contactAdvice(incident, verdict),
    'Do not switch validation off for everything; if this mail cannot wait, a negative trust ' +
      'anchor for this one domain (unbound: domain-insecure) is a temporary way round.',
  ],
  'domain-missing': (incident) => [
    `${domainList(incident)} does not exist (NXDOMAIN): the addresses are mistyped or the ` +
      'domain has lapsed. Tell the senders and remove the addresses from lists; retrying will ' +
      'not help.',
  ],
  'null-mx': (incident) => [
    `${domainList(incident)} publishes a null MX (RFC 7505): it accepts no mail at all. Tell ` +
      'the senders and remove the addresses; nothing can be fixed on our side.',
  ],
  'no-mail-host': (incident, verdict) => [
    `${domainList(incident)} has neither an MX record nor an address: it cannot receive mail. ` +
      'If mail to it is expected, its owner must publish an MX record.',
    ...contactAdvice(incident, verdict),
  ],
  'mx-unresolvable': adviseUnresolvableMx,
  'relay-resolver': (incident) => [
    `A relay reported that it could not look up the MX of ${domainList(incident)}, but the ` +
      "domain resolves from here: the relay's resolver is at fault. Contact the relay's " +
      'operator (the reply texts name it).',
  ],
  'sender-dns': (incident) => {
    const senders = [
      ...new Set(incident.verdict.about ?? incident.groups.flatMap((group) => group.senderDomains)),
    ];
    const named = senders.length === 0 ? 'our sender domain' : senders.join(', ');
    const example = senders[0] ?? '<sender domain>';
    return [
      `Remote servers could not resolve ${named}. Check from outside our network that its ` +
        `name servers answer (dig @<each name server> ${example} MX and A), that its ` +
        'delegation at the parent matches, and that its DNSSEC signatures are valid.',
    ];
  },
  'remote-policy': (incident) => FAMILY_ADVICE.remote(incident),
  recovered: adviseRecovered,
  healthy: () => ['Nothing to do: the domain resolves and no failure is known.'],
  inconclusive: (_incident, verdict) => [
    `The re-check could not decide${verdict.reason ? `: ${cleanText(verdict.reason)}` : ''}. ` +
      inconclusiveNextStep(verdict.detail),
  ],
  'not-checked': (incident, verdict) => adviseUnchecked(incident, verdict),
};

/**
 * Whether the log's words are about the recipient domain itself: a null MX is; a name not
 * found is only when the failed look-up was for the domain (not our smarthost or LMTP host,
 * nor Exim's `Unrouteable address`, which names nothing and also means no mail host).
 */
function isAboutTheDomain(group: Group): boolean {
  if (group.cause === 'null-mx') return true;
  return group.lookupNames.length > 0 && group.lookupNames.every((name) => name === group.domain);
}

/** What a bounce's cause proves without a re-check: the verdict the log's words stand for. */
const PROVEN_BY_BOUNCE: Partial<Record<Cause, 'domain-missing' | 'null-mx' | 'no-mail-host'>> = {
  'null-mx': 'null-mx',
  'dns-notfound': 'domain-missing',
  'dns-nodata': 'no-mail-host',
};

/**
 * Without a re-check: mail that only bounced for one cause the log proves (a null MX, a domain
 * that does not exist) gets that cause's advice, said to be the log's word; anything else is
 * sent to the re-check.
 */
function adviseUnchecked(incident: Incident, verdict: Verdict): string[] {
  const proven = new Set(incident.causes.map((cause) => PROVEN_BY_BOUNCE[cause]));
  const kind = proven.size === 1 ? [...proven][0] : undefined;
  const isProven = incident.groups.every(
    (group) => group.statuses.deferred === 0 && isAboutTheDomain(group),
  );
  if (kind !== undefined && isProven) {
    return [
      ...ADVICE[kind](incident, verdict),
      'This is what the log says; run mxtriage again without --offline to confirm it with the ' +
        "domain's DNS as it is now.",
    ];
  }

  return [
    /budget/.test(verdict.reason ?? '')
      ? 'The DNS of these domains was not re-checked: the re-check budget was 0 (--budget 0). ' +
        'Run mxtriage again with a budget above 0 (the default is 120s) to learn whose DNS is ' +
        'at fault.'
      : 'The DNS of these domains was not re-checked (--offline, --budget 0 or out of time). ' +
        'Run mxtriage again without --offline, with a budget, to learn whose DNS is at fault.',
  ];
}

const QUEUE_LIFETIME =
  'Mail stays queued and is retried; if the failure outlasts the queue lifetime (Postfix ' +
  'maximal_queue_lifetime, Exim retry rules, Sendmail Timeout.queuereturn: 5 days by default) ' +
  'it bounces, so warn the senders of important mail.';

const BOUNCED_AT_ONCE =
  'This mail bounced at its first attempt and is not retried: once the fault is fixed, the ' +
  'senders must send it again.';

/** Results of our resolver that show it down or refusing us, not waiting on failing servers. */
const LOCAL_DOWN_RESULTS = new Set(['unreachable', 'refused', 'bad-response']);

/** Retries and the queue lifetime, for mail that is queued; mail that only bounced is not. */
function queueAdvice(incident: Incident): string[] {
  const isQueued = incident.groups.some((group) => group.statuses.deferred > 0);
  if (isQueued || incident.groups.length === 0) return [QUEUE_LIFETIME];

  return [BOUNCED_AT_ONCE];
}

/** "nothing on our side needs fixing", unless our resolver fails now too. */
function ourSide(verdict: Verdict): string {
  const down = [...failingServers(verdict, 'local')].filter(([, result]) =>
    LOCAL_DOWN_RESULTS.has(result),
  );
  if (down.length === 0) return 'nothing on our side needs fixing.';

  const servers = cleanText(down.map(([server]) => server).join(', '));
  return (
    `our local resolver ${servers} fails now as well (see its own incident): fix it too, ` +
    'though it did not cause this.'
  );
}

const FLUSH_QUEUE =
  'Once it answers, deferred mail goes out at the next retry; to send it at once, flush the ' +
  'queue (postqueue -f, exim -qff or sendmail -q).';

function adviseLocalResolver(incident: Incident, verdict: Verdict): string[] {
  const failing = failingServers(verdict, 'local');
  const servers = cleanText([...failing.keys()].join(', ')) || 'in /etc/resolv.conf';
  const dig = digCommand([...failing.keys()][0], incident.domains[0] ?? 'example.com');
  const isSilent = [...failing.values()].some((result) => result === 'timeout');
  // A malformed reply is no SERVFAIL, though it gets the same detail.
  const isServfail = [...failing.values()].every((result) => result === 'servfail');
  const byDetail: Record<string, string> = {
    down: isSilent
      ? `The local resolver ${servers} did not answer: it is down, or running but unable to ` +
        'reach its upstream (its forwarders or the name servers on the internet). Check that ' +
        `it is running and listening (systemctl status unbound or named; ${dig}); if it is, ` +
        'read its log and check that it reaches its forwarders or port 53 outside.'
      : `The local resolver ${servers} refused the connection: nothing listens there. Check ` +
        `that it is running and listening (systemctl status unbound or named; ${dig}).`,
    servfail:
      `The local resolver ${servers} ` +
      `${isServfail ? 'answered SERVFAIL' : 'gave no usable answer'} ` +
      "while the domain's own servers answer. Read its log for the cause and flush its cache " +
      'for these domains (unbound-control flush_zone, rndc flushname).',
    dnssec:
      `DNSSEC validation fails in the local resolver ${servers} only. Check the system ` +
      "clock (timedatectl) and the resolver's trust anchor (unbound-anchor, the root key file).",
    blocked:
      `The local resolver ${servers} cannot reach name servers on port 53. Check the ` +
      'firewall for outgoing UDP and TCP port 53.',
    'stale-chroot': staleChrootAdvice(verdict),
    'wrong-answer':
      `The local resolver ${servers} answers otherwise than the domain's own servers (a stale ` +
      'cache, a local zone, a response policy or a forwarder that does): flush its cache for ' +
      'these domains (unbound-control flush_zone, rndc flushname) and check its local zones ' +
      'and forwarders.',
  };
  const first =
    byDetail[verdict.detail ?? ''] ?? `Check the local resolver ${servers}: ${dig} must answer.`;
  const count = incident.domains.length;
  const together = count > 1 ? [`All ${count} domains of this incident failed because of it.`] : [];
  return [first, ...together, FLUSH_QUEUE];
}

/** "dig @127.0.0.1 example.com MX", with -p for another port; servers are `address:port`. */
function digCommand(server: string | undefined, domain: string): string {
  if (server === undefined) return cleanText(`dig ${domain} MX`);
  const match = /^\[(.*)\]:(\d+)$/.exec(server) ?? /^(.*):(\d+)$/.exec(server);
  const [address, port] = match === null ? [server, '53'] : [match[1], match[2]];
  return cleanText(`dig @${address}${port === '53' ? '' : ` -p ${port}`} ${domain} MX`);
}

/** Which files differ, from the verdict's reason ("chroot copy X differs from Y"). */
function staleChrootAdvice(verdict: Verdict): string {
  const named = /chroot copy (\S+) differs from ([^\s:(]+)/.exec(cleanText(verdict.reason ?? ''));
  const chroot = named?.[1] ?? DEFAULT_CHROOT_RESOLV_CONF;
  const system = named?.[2] ?? SYSTEM_RESOLV_CONF;
  return (
    `Postfix's chroot copy ${chroot} differs from ${system}, so Postfix's smtp client asks ` +
    `other servers than the rest of the system. Copy ${system} over it (the Debian Postfix ` +
    'start script does this: systemctl restart postfix) or turn off the chroot of the smtp ' +
    'service in master.cf.'
  );
}

function adviseRecipientDns(incident: Incident, verdict: Verdict): string[] {
  const servers = failingServers(verdict, 'authoritative');
  const failing = servers.size > 0 ? ` Failing name servers: ${withResults(servers)}.` : '';
  const byDetail: Record<string, string> = {
    unreachable: 'None of its name servers answers.',
    partial: 'Some of its name servers fail; resolvers that hit them defer mail.',
    lame:
      'Its delegation names servers that do not serve the zone ' +
      '(REFUSED, not authoritative or a referral upward) or whose names cannot be resolved.',
    servfail: 'Its name servers answer SERVFAIL or another error instead of the records.',
    'edns-or-tcp':
      'Its name servers fail over EDNS or TCP ' +
      '(a firewall dropping TCP port 53 or large UDP answers).',
  };
  const what = byDetail[verdict.detail ?? ''] ?? 'Its DNS fails.';
  const side = ourSide(verdict);
  return [
    `A recipient-side DNS problem of ${domainList(incident)}: ${what}${failing} ` +
      `${side.charAt(0).toUpperCase()}${side.slice(1)}`,
    ...contactAdvice(incident, verdict),
    ...queueAdvice(incident),
  ];
}

/** What is wrong with the MX records, by detail, and what the recipient's admin must change. */
function adviseUnresolvableMx(incident: Incident, verdict: Verdict): string[] {
  const domains = domainList(incident);
  const exchanges = mxExchanges(verdict);
  const byDetail: Record<string, string> = {
    cname:
      `The MX records of ${domains} name an alias (CNAME) instead of a mail host` +
      `${aliasesOf(verdict, exchanges)}. An MX must name a host with its own A or AAAA ` +
      'records (RFC 2181 §10.3, RFC 5321 §5.1), and mail servers may refuse to follow the ' +
      "alias. The recipient's DNS administrator must point the MX records at the alias's " +
      'target, the canonical host name.',
    'ip-literal':
      `The MX records of ${domains} name an IP address instead of a host name` +
      `${listed(exchanges.filter(isAddress))}. An MX must name a host (RFC 5321 §5.1): mail ` +
      "servers look the address up as a name and find nothing. The recipient's DNS " +
      'administrator must give that address a host name with an A or AAAA record (such as ' +
      `mx.${incident.domains[0] ?? 'the domain'}) and point the MX records at that name.`,
    'no-address':
      `The MX records of ${domains} name hosts that have no address` +
      `${unresolvedMxHosts(verdict)}: the names do not exist or have no A or AAAA record, so ` +
      "no mail server can connect. The recipient's DNS administrator must publish A or AAAA " +
      'records for those hosts or point the MX records at hosts that have them.',
    'lookup-failed':
      `The address look-ups of the MX hosts of ${domains}${listed(exchanges)} fail with ` +
      'SERVFAIL or no reply, not a definite answer: the name servers of the zone those hosts ' +
      'are in are at fault, not the MX records themselves. If it lasts, contact the operator ' +
      'of those name servers.',
  };
  const first =
    byDetail[verdict.detail ?? ''] ??
    `The MX records of ${domains} name hosts that do not resolve` +
      `${unresolvedMxHosts(verdict)}. The domain's operator must fix the MX records.`;
  const queue = verdict.detail === 'lookup-failed' ? queueAdvice(incident) : [];
  return [first, ...contactAdvice(incident, verdict), ...queue];
}

/** The hosts named by the MX answers among the probes ("d MX 10 mx.d"). */
function mxExchanges(verdict: Verdict): string[] {
  const hosts = new Set<string>();
  for (const probe of verdict.probes ?? []) {
    if (probe.question.type !== 'MX' || probe.result !== 'answer') continue;
    for (const answer of probe.answers ?? []) {
      const [, type, , exchange] = answer.trim().split(/\s+/);
      if (type === 'MX' && exchange !== undefined && exchange !== '.') hosts.add(exchange);
    }
  }

  return [...hosts].sort();
}

/** " (mail.d is an alias for mx.provider.test)": the MX hosts' CNAME records among the probes. */
function aliasesOf(verdict: Verdict, exchanges: readonly string[]): string {
  const aliases = new Map<string, string>();
  for (const answer of (verdict.probes ?? []).flatMap((probe) => probe.answers ?? [])) {
    const [owner, type, target] = answer.trim().split(/\s+/);
    const isMxAlias = type === 'CNAME' && owner !== undefined && exchanges.includes(owner);
    if (isMxAlias && target !== undefined) aliases.set(owner, target);
  }

  const phrases = [...aliases].map(([owner, target]) => `${owner} is an alias for ${target}`);
  return phrases.length === 0 ? '' : cleanText(` (${phrases.join(', ')})`);
}

function isAddress(name: string): boolean {
  return isIP(name.replace(/\.$/, '')) !== 0;
}

/** " (a, b)", or nothing for no names. */
function listed(names: readonly string[]): string {
  return names.length === 0 ? '' : cleanText(` (${names.join(', ')})`);
}

function adviseRecovered(incident: Incident, verdict: Verdict): string[] {
  const lean = verdict.detail ?? '';
  const hint = lean.startsWith('local-resolver')
    ? 'The log points at our local resolver (many domains failed at once and recovered ' +
      'together): read its log for the incident period.'
    : lean === ''
      ? 'The log alone does not say whose DNS it was.'
      : `The log suggests ${VERDICT_LABELS[lean as VerdictKind] ?? cleanText(lean)}.`;
  const verb = incident.domains.length > 1 ? 'resolve' : 'resolves';
  return [
    `${domainList(incident)} ${verb} now; the failure has stopped. ${hint}`,
    'Deferred mail is retried by itself; watch for a recurrence.',
  ];
}

const FAMILY_ADVICE: Readonly<Record<Incident['causeFamily'], (incident: Incident) => string[]>> = {
  dns: (incident) => ADVICE['not-checked'](incident, incident.verdict),
  remote: (incident) => {
    const aboutUs = repliesAboutOurNames(incident);
    const domains = domainList(incident);
    const ours =
      (aboutUs === 'all'
        ? `The mail servers of ${domains} refused us for our own DNS: the replies are about`
        : `Some replies of the mail servers of ${domains} are about our own DNS:`) +
      ' the reverse DNS (PTR) of our sending address or our HELO name. Check that our ' +
      'address has a PTR record (dig -x <our address>), that its name resolves back to that ' +
      "address, and that our HELO name (Postfix's smtp_helo_name, Exim's helo_data) resolves; " +
      'the PTR record is set by whoever holds the address block.';
    const policy =
      `The mail servers of ${domains} answered with a deferral or a rejection that is not ` +
      'about DNS (greylisting, rate limits, policy, unknown users). Read the reply texts; if ' +
      "deferrals last, contact the recipient's postmaster (postmaster@ the domain).";
    if (aboutUs === 'none') return [policy];
    return aboutUs === 'all' ? [ours] : [ours, policy];
  },
  connection: (incident) => [
    `The mail hosts of ${domainList(incident)} did not accept connections on port 25. Test ` +
      'from this host (nc -vz <MX host> 25); if only we fail, check our outgoing firewall ' +
      'and whether our address is blocked.',
  ],
  tls: (incident) => [
    `TLS with the mail hosts of ${domainList(incident)} failed. Check our TLS policy for the ` +
      'domain (smtp_tls_policy_maps, DANE/MTA-STS) and their certificates.',
  ],
  other: () => ['Read the reply texts of the affected domains to see what failed.'],
};

/** Whom to contact about a recipient-side problem: the SOA mailbox and the name servers. */
function contactAdvice(incident: Incident, verdict: Verdict): string[] {
  const domain = incident.domains[0] ?? '';
  const mailbox = soaMailbox(verdict);
  const nameServers = nameServerNames(verdict);
  const operators = nameServers.length > 0 ? ` or the operators of ${nameServers.join(', ')}` : '';
  if (mailbox !== undefined) {
    return [cleanText(`Whom to contact: ${mailbox} (the SOA contact of ${domain})${operators}.`)];
  }

  if (isSoaUnreachable(verdict)) {
    const parent = parentServer(verdict);
    const delegation =
      parent === undefined
        ? `dig +trace ${domain} NS shows the delegation its parent zone holds`
        : `dig @${parent.address} ${domain} NS asks ${parent.label}, a server of its parent ` +
          'zone, for the delegation';
    return [
      cleanText(
        `Whom to contact: the owner or DNS operator of ${domain}${operators}. Its SOA record, ` +
          "which names a contact, cannot be fetched while its servers fail: the registrar's " +
          `WHOIS record (whois ${domain}) names the owner, and ${delegation}.`,
      ),
    ];
  }

  return [
    cleanText(
      `Whom to contact: the DNS operator of ${domain}${operators}. dig +short SOA ${domain} ` +
        'gives the contact mailbox (the second field, first dot read as @); failing that, the ' +
        "registrar's WHOIS record.",
    ),
  ];
}

/** Every SOA question to the domain's servers failed: `dig SOA` cannot name a contact. */
function isSoaUnreachable(verdict: Verdict): boolean {
  const asked = (verdict.probes ?? []).filter(
    (probe) => probe.role === 'authoritative' && probe.question.type === 'SOA',
  );
  const isWhollyFailing = ['unreachable', 'lame', 'servfail'].includes(verdict.detail ?? '');

  return asked.length > 0 ? !asked.some(isDefinite) : isWhollyFailing;
}

/** The server of the parent zone whose referral named the domain's servers: the last step of
 *  the walk from the root. */
function parentServer(verdict: Verdict): { address: string; label: string } | undefined {
  const referrals = (verdict.probes ?? []).filter(
    (probe) => probe.role === 'iterative' && probe.result === 'referral',
  );
  const last = referrals[referrals.length - 1];
  if (last === undefined) return undefined;

  const match = /^\[(.*)\]:(\d+)$/.exec(last.server) ?? /^(.*):(\d+)$/.exec(last.server);
  const [address, port] = match === null ? [last.server, '53'] : [match[1] ?? '', match[2]];
  const label = last.serverName ?? address;
  return { address: port === '53' ? address : `${address} -p ${port}`, label };
}

/** The RNAME of an SOA answer among the probes, as a mail address (RFC 1035 §8). */
function soaMailbox(verdict: Verdict): string | undefined {
  for (const probe of verdict.probes ?? []) {
    if (probe.question.type !== 'SOA' || probe.result !== 'answer') continue;
    for (const answer of probe.answers ?? []) {
      const fields = answer.trim().split(/\s+/);
      const rname = fields[fields.indexOf('SOA') + 2];
      if (fields.includes('SOA') && rname !== undefined) return mailboxOf(rname);
    }
  }

  return undefined;
}

function mailboxOf(rname: string): string {
  const name = rname.replace(/\.$/, '');
  const dot = name.search(/(?<!\\)\./);
  if (dot < 0) return name;
  return `${name.slice(0, dot).replace(/\\\./g, '.')}@${name.slice(dot + 1)}`;
}

function nameServerNames(verdict: Verdict): string[] {
  const names = new Set<string>();
  for (const probe of verdict.probes ?? []) {
    if (probe.role === 'authoritative' && probe.serverName) names.add(probe.serverName);
  }

  return [...names].sort();
}

/** The servers of a role whose probes failed, each with its first failure. */
function failingServers(verdict: Verdict, role: Probe['role'] = 'authoritative') {
  const failing = new Map<string, string>();
  for (const probe of verdict.probes ?? []) {
    if (probe.role !== role || isDefinite(probe)) continue;
    const name =
      probe.serverName === undefined ? probe.server : `${probe.serverName} (${probe.server})`;
    if (!failing.has(name)) failing.set(name, probe.result);
  }

  return failing;
}

/** "ns1.northwind.test (127.0.4.1:53): timeout, ..."; "see the evidence" when none. */
function withResults(servers: ReadonlyMap<string, string>): string {
  const list = [...servers].map(([name, result]) => `${name}: ${result}`).join(', ');
  return cleanText(list) || 'see the evidence';
}

function unresolvedMxHosts(verdict: Verdict): string {
  const hosts = new Set<string>();
  for (const probe of verdict.probes ?? []) {
    const isAddress = probe.question.type === 'A' || probe.question.type === 'AAAA';
    if (isAddress && (probe.result === 'nxdomain' || probe.result === 'nodata')) {
      hosts.add(probe.question.name);
    }
  }

  return hosts.size === 0 ? '' : cleanText(` (${[...hosts].sort().join(', ')})`);
}

function domainList(incident: Incident): string {
  const shown = incident.domains.slice(0, 5).map(domainLabels(incident.groups)).join(', ');
  const more = incident.domains.length - 5;
  return cleanText(more > 0 ? `${shown} and ${more} more` : shown || 'the domain');
}

/** The evidence behind a verdict, one item a line: its reason, what it rests on, the most
 *  telling queries; when nothing was re-checked, that the log alone is the evidence. */
export function evidenceItems(verdict: Verdict): string[] {
  const items: string[] = [];
  if (verdict.reason) items.push(verdict.reason);
  if (verdict.basis?.length) items.push(`Based on: ${verdict.basis.join(', ')}`);
  const probes = evidenceProbes(verdict);
  items.push(...probes.map(describeProbe));
  const more = (verdict.probes?.length ?? 0) - probes.length;
  if (more > 0) items.push(moreQueries(more));
  if (items.length === 0) items.push('The log alone: no DNS re-check was made for this incident');
  return items;
}

/** The report's opening paragraph: how much failed, the worst incident, what became of it;
 *  and that it is not the whole story when some inputs could not be read. */
export function tellStory(analysis: Analysis, times: TimeFormat): string {
  const { inputs, inputErrors } = analysis.summary;
  const story = storyOf(analysis, times);
  if (inputErrors.length === 0 || inputs.length === 0) return story;
  const unread = inputErrors.length === 1 ? '1 input' : `${inputErrors.length} inputs`;
  return `${story} ${unread} could not be read, so this is not the whole story.`;
}

function storyOf(analysis: Analysis, times: TimeFormat): string {
  const { summary, incidents, outcomes } = analysis;
  if (summary.periodStart === undefined || summary.periodEnd === undefined) {
    if (summary.eventsOutsidePeriod > 0) {
      return (
        'No delivery events fell in the period asked for ' +
        `(${summary.eventsOutsidePeriod} were outside it): nothing was deferred or bounced in it.`
      );
    }

    if (summary.inputs.length === 0 && summary.inputErrors.length > 0) {
      return 'No input could be read: nothing is known of deferrals or bounces.';
    }

    return 'The input held no delivery events: nothing was deferred or bounced.';
  }

  const failed = summary.statuses.deferred + summary.statuses.bounced + summary.statuses.expired;
  const period = `From ${times.range(summary.periodStart, summary.periodEnd)}`;
  if (failed === 0) {
    const sent = summary.statuses.sent;
    return `${period}, ${sent} deliveries succeeded and none was deferred or bounced.`;
  }

  const sentences = [
    `${period}, ${failed} delivery attempts to ${counted(summary.domains, 'recipient domain')} ` +
      `were deferred or bounced, in ${counted(incidents.length, 'incident')}.`,
  ];
  const worst = incidents[0];
  if (worst !== undefined) {
    sentences.push(
      `The worst, ${describeIncident(worst)}, lasted from ` +
        `${times.range(worst.start, worst.end)} ` +
        `and affected ${counted(worst.messages, 'message')}; ` +
        `verdict: ${describeVerdict(worst.verdict)}.`,
    );
  }

  const failing = stillFailing(incidents);
  if (failing !== undefined) sentences.push(failing);
  sentences.push(describeOutcomes(outcomes, analysis.deliveryDelay));
  const checkedAt = incidents.find((incident) => incident.verdict.checkedAt)?.verdict.checkedAt;
  if (checkedAt !== undefined) {
    sentences.push(
      `Verdicts come from a DNS re-check made at ${times.time(Date.parse(checkedAt))}: a ` +
        'check made now shows what works now, while the failures are from the log.',
    );
  }

  return sentences.join(' ');
}

/** Kinds that name no fault found now: a remote policy, a recovery, or no answer either way. */
const NOT_FAILING_NOW: ReadonlySet<VerdictKind> = new Set<VerdictKind>([
  'remote-policy',
  'recovered',
  'healthy',
  'inconclusive',
  'not-checked',
]);
/** Kinds whose fault the re-check found still there: mail to them fails now too. */
const STILL_FAILING: ReadonlySet<VerdictKind> = new Set(
  VERDICT_KINDS.filter((kind) => !NOT_FAILING_NOW.has(kind)),
);
const MAX_STILL_FAILING = 5;

/**
 * "Also still failing at the re-check: northwind.test: the recipient domain's DNS servers
 * (unreachable); ...": what a reader must act on, which the worst incident alone may hide.
 * The worst incident, told just before with its verdict, is not named again.
 */
function stillFailing(incidents: readonly Incident[]): string | undefined {
  const [worst, ...rest] = incidents;
  const failing = rest.filter((incident) => STILL_FAILING.has(incident.verdict.kind));
  if (failing.length === 0) return undefined;
  const named = failing.slice(0, MAX_STILL_FAILING).map(failingNow);
  const more = failing.length - named.length;
  const also =
    worst !== undefined && STILL_FAILING.has(worst.verdict.kind) ? 'Also still' : 'Still';
  return `${also} failing at the re-check: ${named.join('; ')}${more > 0 ? `; ${more} more` : ''}.`;
}

/** "our local resolver (down), for 5 domains", "contoso.test and 2 more: the domain's ...". */
function failingNow(incident: Incident): string {
  const count = incident.domains.length;
  const verdict = describeVerdict(incident.verdict);
  if (count > 1 && isOurResolver(incident.verdict)) return `${verdict}, for ${count} domains`;
  const label = domainLabels(incident.groups);
  const first = incident.domains[0] === undefined ? 'no domain' : label(incident.domains[0]);
  return `${cleanText(count > 1 ? `${first} and ${count - 1} more` : first)}: ${verdict}`;
}

/** "after 45 s on average, 1 min 2 s at most". */
export function describeDelay(delay: DeliveryDelay): string {
  return `after ${formatDuration(delay.meanMs)} on average, ${formatDuration(delay.maxMs)} at most`;
}

/**
 * "4 delivered later (after 42 s on average, 49 s at most), 0 bounced, 0 expired, 0 still
 * queued". A recipient's outcome is counted once, with the incident of its first failure: an
 * incident whose recipients all first failed in another says so instead of four zeros.
 */
export function incidentOutcomes(incident: Incident): string {
  const { outcomes, deliveryDelay } = incident;
  const total = outcomeTotal(outcomes);
  if (total === 0 && incident.messages > 0) {
    return 'counted with the incident where these recipients first failed';
  }

  const later = deliveryDelay === undefined ? '' : ` (${describeDelay(deliveryDelay)})`;
  // Fewer outcomes than messages: some recipients first failed under another incident.
  const rest =
    total < incident.messages ? '; the rest with the incident where they first failed' : '';
  return (
    `${outcomes['delivered-later']} delivered later${later}, ${outcomes.bounced} bounced, ` +
    `${outcomes.expired} expired, ` +
    `${outcomes.removed === 0 ? '' : `${outcomes.removed} removed from the queue, `}` +
    `${outcomes['still-queued']} still queued${rest}`
  );
}

/** "Of 20 recipients deferred or bounced, 8 were delivered later (after 45 s on average,
 *  1 min 2 s at most), 3 bounced, 6 expired and 3 are still queued." */
export function describeOutcomes(
  outcomes: Analysis['outcomes'],
  delay?: Analysis['deliveryDelay'],
): string {
  const total = outcomeTotal(outcomes);
  if (total === 0) return 'No deferred or bounced recipient was followed to an outcome.';
  const later = delay === undefined ? '' : ` (${describeDelay(delay)})`;
  return (
    `Of ${total} recipient${plural(total)} deferred or bounced, ${outcomes['delivered-later']} ` +
    `${outcomes['delivered-later'] === 1 ? 'was' : 'were'} delivered later${later}, ` +
    `${outcomes.bounced} bounced, ${outcomes.expired} expired` +
    `${outcomes.removed === 0 ? '' : `, ${outcomes.removed} removed from the queue`} and ` +
    `${outcomes['still-queued']} ${outcomes['still-queued'] === 1 ? 'is' : 'are'} still queued.`
  );
}

/** Whether the remote replies of the incident (its groups' examples) are about our PTR record
 *  or HELO name: all of them, some, or none. */
function repliesAboutOurNames(incident: Incident): 'all' | 'some' | 'none' {
  const examples = incident.groups.flatMap((group) => group.examples);
  const about = examples.filter((example) => isReplyAboutOurNames(example)).length;
  if (about === 0) return 'none';
  return about === examples.length ? 'all' : 'some';
}

function outcomeTotal(outcomes: Analysis['outcomes']): number {
  return Object.values(outcomes).reduce((sum, count) => sum + count, 0);
}

function plural(count: number): string {
  return count === 1 ? '' : 's';
}

/** "1 incident", "3 incidents". */
function counted(count: number, noun: string): string {
  return `${count} ${noun}${plural(count)}`;
}

/** What to try when the re-check could not decide, by why it could not. */
function inconclusiveNextStep(detail: string | undefined): string {
  if (detail === 'budget') return 'Give it more time (--budget) or check fewer domains at once.';
  if (detail === 'invalid-name') {
    return 'The log names a domain that is not a valid host name; look at the sending application.';
  }

  if (detail === 'tcp-timeout') {
    return (
      'Run it again with a longer --timeout. If DNS over TCP still gets no reply, the name ' +
      'servers (or a firewall in front of them) drop TCP port 53, which RFC 7766 requires ' +
      "them to serve: tell the domain's DNS operator."
    );
  }

  return (
    'Run it again where DNS on port 53 is reachable, ' +
    'or add a reference resolver (--resolver ADDR).'
  );
}
