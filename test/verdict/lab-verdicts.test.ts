// Verdicts from real diagnoses: the DNS re-check runs against the lab (NSD and unbound on
// loopback), once through the plain resolver, once through the validating one, and once with
// the resolver stopped; then the lab-1 logs are analysed end to end against the same lab.

import path from 'node:path';
import { fileURLToPath } from 'node:url';

import test from 'ava';

import { diagnoseDomains } from '../../src/dns/diagnose.js';
import type { DnsCheckOptions, DomainDiagnosis, ServerAddress } from '../../src/dns/types.js';
import type { Cause, Group, VerdictKind } from '../../src/model.js';
import { analyseLogs } from '../../src/pipeline/analyse.js';
import { decideVerdicts, type GroupEvidence, type LogContext } from '../../src/verdict/decide.js';
import { checkDnsLab, startDnsLab, type DnsLab, type LabDomainRole } from '../helpers/dns-lab.js';

interface LabRun {
  readonly lab: DnsLab;
  readonly plain: ReadonlyMap<string, DomainDiagnosis>;
  readonly validating: ReadonlyMap<string, DomainDiagnosis>;
  /** The plain resolver as ours, the validating one as the reference. */
  readonly validatingReference: ReadonlyMap<string, DomainDiagnosis>;
  readonly stopped: ReadonlyMap<string, DomainDiagnosis>;
  /** Groups of each lab-1 sample, analysed with the plain resolver as the local one. */
  readonly samples: ReadonlyMap<string, readonly Group[]>;
}

type Expected = readonly [kind: VerdictKind, detail?: string];

const SAMPLES = ['postfix-mail.log', 'exim-mainlog', 'sendmail-mail.log'];
const SAMPLE_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../samples');
// Generous limits: a loaded machine must not turn a slow answer into a verdict.
const CHECK: DnsCheckOptions = { timeoutMs: 2000, attempts: 2, concurrency: 20 };
const WINDOW = Date.UTC(2026, 11, 3, 18);
const LAST_FAILURE = Date.UTC(2026, 11, 3, 18, 34, 16);
const NO_LOG: LogContext = { windows: new Map(), lastSentByDomain: new Map() };

/** The lab-1 window: 7 domains failed with dns-tempfail, 3 got mail; fourthcoffee did later. */
const LAB_1_LOG: LogContext = {
  windows: new Map([[WINDOW, { dnsTempfailDomains: 7, sentDomains: 3 }]]),
  lastSentByDomain: new Map([
    [
      'fourthcoffee.test',
      {
        recoveries: [
          {
            lastFailure: LAST_FAILURE,
            pastDnsAt: Date.UTC(2026, 11, 3, 18, 34, 35),
            pastDnsBy: 'sent',
            deliveredAt: Date.UTC(2026, 11, 3, 18, 34, 35),
          },
        ],
        forgottenUpTo: -Infinity,
        pendingFailure: undefined,
      },
    ],
  ]),
};

const hasLab = checkDnsLab(test);
const labTest = hasLab ? test : test.skip;
let run: LabRun | undefined;

test.before(async () => {
  if (!hasLab) return;

  const lab = await startDnsLab();
  run = { lab, ...(await checkLab(lab)) };
});

test.after.always(async () => {
  await run?.lab.stop();
});

const decides = test.macro({
  exec(t, role: LabDomainRole, cause: Cause, expected: Expected) {
    const { lab, plain } = started();
    const verdict = verdictFor(lab.domains[role], cause, plain, NO_LOG);

    t.deepEqual([verdict.kind, verdict.detail], [expected[0], expected[1]], verdict.reason);
    t.truthy(verdict.checkedAt);
    t.true((verdict.probes?.length ?? 0) > 0);
    t.deepEqual(verdict.basis?.slice(0, 1), ['probes']);
  },
  title: (given, role: LabDomainRole, cause: Cause, expected: Expected) =>
    given ?? `the lab's ${role} domain failing with ${cause} is ${expected.join(' ')}`,
});

labTest(decides, 'working', 'dns-tempfail', ['recovered']);
labTest(decides, 'unreachable', 'dns-tempfail', ['recipient-dns', 'unreachable']);
labTest(decides, 'partial', 'dns-tempfail', ['recipient-dns', 'partial']);
labTest(decides, 'lame', 'dns-tempfail', ['recipient-dns', 'lame']);
labTest(decides, 'nxdomain', 'dns-notfound', ['domain-missing']);
labTest(decides, 'noMailHost', 'dns-nodata', ['no-mail-host']);
labTest(decides, 'nullMx', 'null-mx', ['null-mx']);
labTest(decides, 'mxNoAddress', 'mx-unresolvable', ['mx-unresolvable', 'no-address']);
labTest(decides, 'mxCname', 'mx-unresolvable', ['mx-unresolvable', 'cname']);
labTest(decides, 'mxIpLiteral', 'mx-unresolvable', ['mx-unresolvable', 'ip-literal']);
labTest(decides, 'providerOutageA', 'dns-tempfail', ['provider-outage', 'unreachable']);
labTest(decides, 'providerOutageB', 'dns-tempfail', ['provider-outage', 'unreachable']);
labTest(decides, 'signed', 'dns-tempfail', ['recovered']);
labTest(decides, 'working', 'remote-dns', ['relay-resolver']);
labTest(decides, 'unreachable', 'remote-dns', ['recipient-dns', 'unreachable']);

labTest('a non-validating resolver does not see the broken DNSSEC domain fail', (t) => {
  const { lab, plain } = started();

  t.is(verdictFor(lab.domains.dnssecBroken, 'dns-tempfail', plain, NO_LOG).kind, 'recovered');
});

labTest('the reasons name the failing lab servers and what they said', (t) => {
  const { lab, plain } = started();
  const net = lab.root.address.split('.').slice(0, 3).join('.');
  const unreachable = verdictFor(lab.domains.unreachable, 'dns-tempfail', plain, NO_LOG);
  const lame = verdictFor(lab.domains.lame, 'dns-tempfail', plain, NO_LOG);
  const outage = verdictFor(lab.domains.providerOutageA, 'dns-tempfail', plain, NO_LOG);

  t.regex(unreachable.reason ?? '', new RegExp(`ns1\\.northwind\\.test ${net}\\.21: `));
  t.regex(unreachable.reason ?? '', new RegExp(`ns2\\.northwind\\.test ${net}\\.22: `));
  t.regex(lame.reason ?? '', new RegExp(`ns1\\.contoso\\.test ${net}\\.5: REFUSED`));
  t.regex(outage.reason ?? '', /adatum\.test, treyresearch\.test\) share the name servers/);
});

labTest('a sender domain that resolves in the lab recovered; a broken one is sender-dns', (t) => {
  const { lab, plain } = started();
  const fine = senderVerdict(lab.domains.sender, plain);
  const broken = senderVerdict(lab.domains.unreachable, plain);

  t.deepEqual([fine.kind, fine.detail], ['recovered', 'sender-dns']);
  t.deepEqual([broken.kind, broken.detail], ['sender-dns', 'unreachable']);
});

labTest(
  'with the validating resolver as ours, the broken signatures are the recipient DNSSEC',
  (t) => {
    const { lab, validating } = started();
    const broken = verdictFor(lab.domains.dnssecBroken, 'dns-tempfail', validating, NO_LOG);
    const signed = verdictFor(lab.domains.signed, 'dns-tempfail', validating, NO_LOG);

    t.is(broken.kind, 'recipient-dnssec', broken.reason);
    t.regex(broken.reason ?? '', /SERVFAIL, answers with checking disabled \(CD\)/);
    t.regex(broken.reason ?? '', /blueyonder\.test is signed \(DS in zone test\)/);
    t.is(signed.kind, 'recovered');
  },
);

labTest('when our resolver does not validate and answers, a rejecting reference is a note', (t) => {
  const { lab, validatingReference } = started();
  const domain = lab.domains.dnssecBroken;
  const verdict = verdictFor(domain, 'dns-tempfail', validatingReference, NO_LOG);

  t.is(verdict.kind, 'recovered', verdict.reason);
  t.false(verdict.reason?.includes('every probe answers'));
  t.regex(
    verdict.reason ?? '',
    new RegExp(
      `but reference resolver ${server(lab.validatingResolver)} gives SERVFAIL and answers ` +
        'with checking disabled \\(CD\\): ' +
        `validating resolvers reject the DNSSEC signatures of ${domain}`,
    ),
  );
});

labTest('with our resolver stopped, healthy domains are a local resolver that is down', (t) => {
  const { lab, stopped } = started();
  const verdict = verdictFor(lab.domains.working, 'dns-tempfail', stopped, NO_LOG);

  t.deepEqual([verdict.kind, verdict.detail], ['local-resolver', 'down']);
  t.true(verdict.reason?.startsWith(`local resolver ${server(lab.resolver)}: connection refused`));
  t.true(verdict.reason?.endsWith('the only authoritative server address answers MX'));
});

labTest('with our resolver stopped, the lab-1 breadth backs the local resolver verdict', (t) => {
  const { lab, stopped } = started();
  const verdict = verdictFor(
    lab.domains.recoveredAfterLocalOutage,
    'dns-tempfail',
    stopped,
    LAB_1_LOG,
  );

  t.deepEqual([verdict.kind, verdict.detail], ['local-resolver', 'down']);
  t.deepEqual(verdict.basis, ['probes', 'breadth']);
});

labTest(
  'with our resolver stopped, recipient-side faults keep their verdicts, a partial outage not',
  (t) => {
    const { lab, stopped } = started();
    const kinds = (
      [
        ['unreachable', 'dns-tempfail'],
        ['partial', 'dns-tempfail'],
        ['nxdomain', 'dns-notfound'],
        ['noMailHost', 'dns-nodata'],
      ] as const
    ).map(([role, cause]) => {
      const verdict = verdictFor(lab.domains[role], cause, stopped, NO_LOG);
      return [verdict.kind, verdict.detail];
    });

    // One of two servers down does not stop a working resolver; ours refuses every question.
    t.deepEqual(kinds, [
      ['recipient-dns', 'unreachable'],
      ['local-resolver', 'down'],
      ['domain-missing', undefined],
      ['no-mail-host', undefined],
    ]);
  },
);

/** What the lab-1 README says an analyser should conclude, per domain and cause. */
const LAB_1_VERDICTS: Readonly<Record<string, Expected>> = {
  'northwind.test dns-tempfail': ['recipient-dns', 'unreachable'],
  'contoso.test dns-tempfail': ['recipient-dns', 'lame'],
  'adventure-works.test dns-notfound': ['domain-missing'],
  'tailspin.test dns-nodata': ['no-mail-host'],
  'tailspin.test dns-notfound': ['no-mail-host'],
  'wingtip.test null-mx': ['null-mx'],
  'litware.test mx-unresolvable': ['mx-unresolvable', 'no-address'],
  'proseware.test remote-tempfail': ['remote-policy'],
  'fourthcoffee.test dns-tempfail': ['recovered', 'local-resolver'],
  'woodgrove.test dns-tempfail': ['recovered', 'local-resolver'],
};

const analysesSample = test.macro({
  exec(t, sample: string) {
    const groups = started().samples.get(sample) ?? [];
    const found = new Map(groups.map((group) => [`${group.domain} ${group.cause}`, group.verdict]));
    const expected = Object.keys(LAB_1_VERDICTS).filter((key) => found.has(key));

    t.true(expected.includes('fourthcoffee.test dns-tempfail'));
    t.true(expected.includes('northwind.test dns-tempfail'));
    for (const key of expected) {
      const verdict = found.get(key);
      const [kind, detail] = LAB_1_VERDICTS[key] ?? [];
      t.deepEqual([verdict?.kind, verdict?.detail], [kind, detail], key);
    }
  },
  title: (given, sample: string) =>
    given ?? `the lab-1 ${sample} analysed against the lab gets the verdicts its README describes`,
});

labTest(analysesSample, 'postfix-mail.log');
labTest(analysesSample, 'exim-mainlog');
labTest(analysesSample, 'sendmail-mail.log');

labTest('the lab-1 recovered domain says it was delivered later and why the lean', (t) => {
  const groups = started().samples.get('postfix-mail.log') ?? [];
  const group = groups.find((candidate) => candidate.domain === 'fourthcoffee.test');

  t.deepEqual(group?.verdict.basis, ['probes', 'breadth', 'later-delivery']);
  t.regex(
    group?.verdict.reason ?? '',
    /the log suggests our resolver: in that window \d+ domains had dns-tempfail failures/,
  );
  t.regex(group?.verdict.reason ?? '', /delivered at 2026-12-03T18:34:35Z/);
});

function started(): LabRun {
  if (run === undefined) throw new Error('The DNS lab did not start');

  return run;
}

/** Every diagnosis the tests need, made while the resolver still runs, then after it stops. */
async function checkLab(lab: DnsLab): Promise<Omit<LabRun, 'lab'>> {
  const { domains } = lab;
  const plain = await diagnose(lab, lab.resolver, Object.values(domains));
  const validating = await diagnose(lab, lab.validatingResolver, [
    domains.dnssecBroken,
    domains.signed,
  ]);
  const validatingReference = await diagnoseDomains(
    [domains.dnssecBroken],
    { ...roles(lab, lab.resolver), reference: [lab.validatingResolver] },
    CHECK,
  );
  const analysed = await Promise.all(SAMPLES.map((sample) => analyseSample(lab, sample)));
  const samples = new Map(SAMPLES.map((sample, index) => [sample, analysed[index] ?? []]));

  await lab.stopResolver();
  const stopped = await diagnose(lab, lab.resolver, [
    domains.working,
    domains.recoveredAfterLocalOutage,
    domains.unreachable,
    domains.partial,
    domains.nxdomain,
    domains.noMailHost,
  ]);

  return { plain, validating, validatingReference, stopped, samples };
}

function diagnose(lab: DnsLab, local: ServerAddress, domains: readonly string[]) {
  return diagnoseDomains(domains, roles(lab, local), CHECK);
}

function roles(lab: DnsLab, local: ServerAddress) {
  return { local: [local], localSource: '--local-resolver', reference: [], roots: [lab.root] };
}

async function analyseSample(lab: DnsLab, sample: string): Promise<readonly Group[]> {
  const { analysis } = await analyseLogs([path.join(SAMPLE_DIR, sample)], {
    envelope: { year: 2026, timeZone: 'UTC' },
    windowMs: 3_600_000,
    dns: { roles: roles(lab, lab.resolver), check: CHECK },
  });

  return analysis.groups;
}

function verdictFor(
  domain: string,
  cause: Cause,
  diagnoses: ReadonlyMap<string, DomainDiagnosis>,
  log: LogContext,
) {
  const verdicts = decideVerdicts([evidence(domain, cause, [])], log, diagnoses);
  const verdict = verdicts.get(`${domain} ${cause}`);
  if (verdict === undefined) throw new Error(`No verdict for ${domain}`);

  return verdict;
}

function senderVerdict(senderDomain: string, diagnoses: ReadonlyMap<string, DomainDiagnosis>) {
  const group = evidence('strict.test', 'sender-dns', [senderDomain]);
  const verdict = decideVerdicts([group], NO_LOG, diagnoses).get(group.key);
  if (verdict === undefined) throw new Error(`No verdict for ${senderDomain}`);

  return verdict;
}

function evidence(domain: string, cause: Cause, senderDomains: readonly string[]): GroupEvidence {
  return {
    key: `${domain} ${cause}`,
    domain,
    cause,
    windowStart: WINDOW,
    windowEnd: WINDOW + 3_600_000,
    lastSeen: LAST_FAILURE,
    senderDomains,
    lookupNames: [domain],
    examples: [],
    attempts: 3,
    aboutOurNames: 0,
  };
}

function server(address: ServerAddress): string {
  return `${address.address}:${address.port}`;
}
