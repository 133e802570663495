// The lab-1 story (samples/README.md) as the analysis the report formats receive: 5-minute
// windows, our resolver stopped from 18:33:46 to 18:34:32, northwind.test's name servers down,
// contoso.test lame, and the permanent failures of the other test domains.

import { buildIncidents, createOutcomeTally } from '../../src/group/incidents.js';
import type {
  Analysis,
  Cause,
  Group,
  MessageOutcome,
  OutcomeKind,
  Probe,
  Verdict,
} from '../../src/model.js';
import { makeGroup } from '../group/helpers.js';

export const WINDOW_MS = 5 * 60_000;
const CHECKED_AT = '2026-12-03T18:40:00.000Z';

/** Reply texts from a hostile remote server: markup, script, an attribute break-out, escapes. */
export const HOSTILE_TEXTS = [
  '451 4.7.0 <script>window.__pwned = 1</script> try again later',
  '451 4.7.1 "><img src=x onerror="window.__pwned = 2"> greylisted',
  '451 4.3.0 \x1b[31mRED\x1b[0m \x1b]0;owned\x07 busy | **bold** [link](http://127.0.0.1/)',
];

function probe(
  role: Probe['role'],
  server: string,
  question: string,
  result: string,
  extra: Partial<Probe> = {},
): Probe {
  const [name = '', type = 'MX'] = question.split(' ');
  return { role, server, question: { name, type }, result, transport: 'udp', ms: 12, ...extra };
}

export const LOCAL_DOWN: Verdict = {
  kind: 'local-resolver',
  detail: 'down',
  checkedAt: CHECKED_AT,
  reason:
    'local resolver 127.0.0.1:53: timeout; our own resolution from the root answers MX ' +
    '(2 authoritative servers)',
  basis: ['probes', 'breadth'],
  probes: [
    probe('local', '127.0.0.1:53', 'fourthcoffee.test MX', 'timeout', { ms: 2000 }),
    probe('iterative', '127.0.1.1:53', 'fourthcoffee.test MX', 'referral'),
    probe('authoritative', '127.0.2.1:53', 'fourthcoffee.test MX', 'answer', {
      serverName: 'ns1.fourthcoffee.test',
      rcode: 'NOERROR',
      answers: ['fourthcoffee.test MX 10 mail.fourthcoffee.test'],
    }),
  ],
};

export const LOCAL_LEAN: Verdict = {
  kind: 'recovered',
  detail: 'local-resolver',
  checkedAt: CHECKED_AT,
  reason: 'every probe answers now; 7 domains failed in the same window and recovered together',
  basis: ['probes', 'breadth', 'later-delivery'],
};

export const NORTHWIND_DOWN: Verdict = {
  kind: 'recipient-dns',
  detail: 'unreachable',
  checkedAt: CHECKED_AT,
  reason: 'all 2 authoritative servers time out; local resolver 127.0.0.1:53: SERVFAIL',
  basis: ['probes'],
  probes: [
    probe('local', '127.0.0.1:53', 'northwind.test MX', 'servfail', { rcode: 'SERVFAIL' }),
    probe('authoritative', '127.0.3.1:53', 'northwind.test MX', 'timeout', {
      serverName: 'ns1.northwind.test',
      ms: 2000,
    }),
    probe('authoritative', '127.0.3.2:53', 'northwind.test MX', 'timeout', {
      serverName: 'ns2.northwind.test',
      ms: 2000,
    }),
  ],
};

export const CONTOSO_LAME: Verdict = {
  kind: 'recipient-dns',
  detail: 'lame',
  checkedAt: CHECKED_AT,
  reason: 'authoritative server ns1.contoso.test (127.0.3.9:53): REFUSED',
  basis: ['probes'],
  probes: [
    probe('authoritative', '127.0.3.9:53', 'contoso.test MX', 'refused', {
      serverName: 'ns1.contoso.test',
      rcode: 'REFUSED',
    }),
    probe('authoritative', '127.0.3.9:53', 'contoso.test SOA', 'refused', {
      serverName: 'ns1.contoso.test',
      rcode: 'REFUSED',
    }),
  ],
};

function verdict(kind: Verdict['kind'], reason: string, extra: Partial<Verdict> = {}): Verdict {
  return { kind, checkedAt: CHECKED_AT, reason, basis: ['probes'], ...extra };
}

interface GroupSpec {
  readonly domain: string;
  readonly cause: Cause;
  readonly window: '18:30' | '18:35';
  readonly attempts: number;
  readonly messages: number;
  readonly verdict: Verdict;
  readonly examples?: readonly string[];
}

const DNS_TEXT = (domain: string) =>
  `Host or domain name not found. Name service error for name=${domain} type=MX: Host not found, try again`;

function spec(
  domain: string,
  cause: Cause,
  window: GroupSpec['window'],
  attempts: number,
  messages: number,
  verdictOf: Verdict,
  examples?: readonly string[],
): GroupSpec {
  return {
    domain,
    cause,
    window,
    attempts,
    messages,
    verdict: verdictOf,
    ...(examples === undefined ? {} : { examples }),
  };
}

const NOT_CHECKED: Verdict = { kind: 'not-checked' };

const MARGIE_TEXTS = ['connect to mail.margie.test[127.0.5.9]:25: Connection refused'];
const PROSEWARE_TEXTS = [
  'host mx.proseware.test[127.0.5.1] said: 451 4.7.0 <orders@proseware.test>: Recipient address ' +
    'rejected: Temporarily deferred by local policy, try again later (in reply to RCPT TO command)',
];

const SPECS: readonly GroupSpec[] = [
  spec('northwind.test', 'dns-tempfail', '18:30', 14, 4, NORTHWIND_DOWN),
  spec('northwind.test', 'dns-tempfail', '18:35', 4, 3, NORTHWIND_DOWN),
  spec('northwind.test', 'expired', '18:35', 3, 3, NOT_CHECKED, ['retry timeout exceeded']),
  spec('contoso.test', 'dns-tempfail', '18:30', 12, 4, CONTOSO_LAME),
  spec('contoso.test', 'dns-tempfail', '18:35', 3, 3, CONTOSO_LAME),
  spec('fourthcoffee.test', 'dns-tempfail', '18:30', 9, 4, LOCAL_DOWN),
  spec('woodgrove.test', 'dns-tempfail', '18:30', 6, 2, LOCAL_DOWN),
  spec('sender.test', 'dns-tempfail', '18:30', 5, 3, LOCAL_DOWN),
  spec('margie.test', 'dns-tempfail', '18:30', 4, 2, LOCAL_LEAN),
  spec('proseware.test', 'dns-tempfail', '18:30', 4, 2, LOCAL_LEAN),
  spec('margie.test', 'connection', '18:30', 15, 3, NOT_CHECKED, MARGIE_TEXTS),
  spec('margie.test', 'connection', '18:35', 5, 3, NOT_CHECKED, MARGIE_TEXTS),
  spec('proseware.test', 'remote-tempfail', '18:30', 20, 3, NOT_CHECKED, PROSEWARE_TEXTS),
  spec('proseware.test', 'remote-tempfail', '18:35', 6, 3, NOT_CHECKED, PROSEWARE_TEXTS),
  spec(
    'adventure-works.test',
    'dns-notfound',
    '18:30',
    3,
    3,
    verdict('domain-missing', 'the test TLD servers answer NXDOMAIN for adventure-works.test'),
  ),
  spec(
    'tailspin.test',
    'dns-nodata',
    '18:30',
    3,
    3,
    verdict('no-mail-host', 'no MX and no address at the apex'),
  ),
  spec('wingtip.test', 'null-mx', '18:30', 3, 3, verdict('null-mx', 'MX 0 .')),
  spec(
    'litware.test',
    'mx-unresolvable',
    '18:30',
    3,
    3,
    verdict('mx-unresolvable', 'MX host mx-old.litware.test: NXDOMAIN', {
      detail: 'nxdomain',
      probes: [probe('local', '127.0.0.1:53', 'mx-old.litware.test A', 'nxdomain')],
    }),
  ),
  spec('lucerne.test', 'remote-reject', '18:30', 3, 3, NOT_CHECKED, [
    'host mx.lucerne.test[127.0.5.2] said: 550 5.1.1 <former.employee@lucerne.test>: Recipient address rejected: User unknown in virtual mailbox table (in reply to RCPT TO command)',
  ]),
];

function groupOf(entry: GroupSpec): Group {
  const status = statusOf(entry.cause);
  return makeGroup(entry.domain, entry.cause, `2026-12-03T${entry.window}:00Z`, {
    windowMs: WINDOW_MS,
    attempts: entry.attempts,
    messages: entry.messages,
    recipients: entry.messages,
    statuses: { sent: 0, deferred: 0, bounced: 0, expired: 0, [status]: entry.attempts },
    firstSeen:
      Date.parse(`2026-12-03T${entry.window}:00Z`) + (entry.window === '18:30' ? 172_000 : 20_000),
    lastSeen:
      Date.parse(`2026-12-03T${entry.window}:00Z`) + (entry.window === '18:30' ? 290_000 : 140_000),
    hosts: ['mailhost'],
    mtas: ['exim', 'postfix', 'sendmail'],
    examples: entry.examples ?? [DNS_TEXT(entry.domain)],
    verdict: entry.verdict,
  });
}

function statusOf(cause: Cause): 'deferred' | 'bounced' | 'expired' {
  if (cause === 'expired') return 'expired';
  const permanent: readonly Cause[] = ['dns-notfound', 'dns-nodata', 'null-mx', 'mx-unresolvable'];
  return permanent.includes(cause) || cause === 'remote-reject' ? 'bounced' : 'deferred';
}

/** Deferred recipients of the lab and what became of them. */
const OUTCOMES: readonly [string, Cause, OutcomeKind, string, number][] = [
  ['northwind.test', 'dns-tempfail', 'expired', '18:32:52', 153],
  ['northwind.test', 'dns-tempfail', 'expired', '18:33:00', 145],
  ['northwind.test', 'dns-tempfail', 'still-queued', '18:33:05', 255],
  ['contoso.test', 'dns-tempfail', 'expired', '18:32:53', 177],
  ['contoso.test', 'dns-tempfail', 'expired', '18:33:01', 169],
  ['fourthcoffee.test', 'dns-tempfail', 'delivered-later', '18:33:46', 49],
  ['fourthcoffee.test', 'dns-tempfail', 'delivered-later', '18:33:56', 39],
  ['woodgrove.test', 'dns-tempfail', 'delivered-later', '18:33:47', 48],
  ['sender.test', 'dns-tempfail', 'delivered-later', '18:34:05', 30],
  ['margie.test', 'connection', 'expired', '18:32:58', 157],
  ['margie.test', 'connection', 'bounced', '18:33:05', 151],
  ['proseware.test', 'remote-tempfail', 'expired', '18:32:56', 174],
  ['proseware.test', 'remote-tempfail', 'still-queued', '18:33:04', 256],
];

export function labAnalysis(overrides: { examples?: readonly string[] } = {}): Analysis {
  const groups = SPECS.map((entry) =>
    groupOf(
      overrides.examples && entry.examples === PROSEWARE_TEXTS
        ? { ...entry, examples: overrides.examples }
        : entry,
    ),
  );
  const tally = createOutcomeTally(WINDOW_MS);
  for (const [domain, cause, outcome, time, delay] of OUTCOMES) {
    tally.add(messageOutcome(domain, cause, outcome, time, delay));
  }

  const totals = { sent: 61, deferred: 0, bounced: 0, expired: 0 };
  for (const group of groups) {
    totals.deferred += group.statuses.deferred;
    totals.bounced += group.statuses.bounced;
    totals.expired += group.statuses.expired;
  }

  const totalDelay = tally.totalDelay();
  return {
    generatedAt: Date.parse('2026-12-03T18:40:05Z'),
    summary: {
      periodStart: Date.parse('2026-12-03T18:32:52Z'),
      periodEnd: Date.parse('2026-12-03T18:37:20Z'),
      inputs: ['samples/postfix-mail.log', 'samples/exim-mainlog', 'samples/sendmail-mail.log'],
      inputErrors: [],
      linesRead: 1020,
      linesNotUnderstood: 3,
      notUnderstoodBy: { 'postfix/postfix-script': 1, 'postfix/master': 1, 'exim/exim': 1 },
      linesOtherPrograms: 0,
      otherProgramsBy: {},
      handoffs: 38,
      eventsOutsidePeriod: 0,
      eventsOutOfOrder: 0,
      expiredUnnamed: 0,
      inputWarnings: 0,
      events: totals.sent + totals.deferred + totals.bounced + totals.expired,
      statuses: totals,
      groups: groups.length,
      domains: new Set(groups.map((group) => group.domain)).size,
      windowMs: WINDOW_MS,
    },
    groups,
    incidents: buildIncidents(groups, tally, WINDOW_MS),
    outcomes: tally.total(),
    ...(totalDelay === undefined ? {} : { deliveryDelay: totalDelay }),
  };
}

function messageOutcome(
  domain: string,
  cause: Cause,
  outcome: OutcomeKind,
  time: string,
  delaySeconds: number,
): MessageOutcome {
  const firstDeferred = Date.parse(`2026-12-03T${time}Z`);
  return {
    host: 'mailhost',
    queueId: `Q${time.replace(/:/g, '')}`,
    recipient: `postmaster@${domain}`,
    domain,
    firstDeferred,
    cause,
    outcome,
    at: firstDeferred + delaySeconds * 1000,
    attempts: 3,
  };
}
