import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import test from 'ava';
import { formatServer } from '../../src/dns/resolv-conf.js';
import { emptyOutcomeCounts } from '../../src/group/incidents.js';
import type { Verdict } from '../../src/model.js';
import { adviseIncident } from '../../src/output/advice.js';
import { parseNdjson, runCli } from '../helpers/cli.js';
import { checkDnsLab, startDnsLab, type DnsLab, type ServerAddress } from '../helpers/dns-lab.js';

// End to end against real DNS servers: the lab-1 logs name domains that live in the lab's
// private test zones, served by NSD and resolved by unbound on loopback.

const labRuns = checkDnsLab(test);
let lab: DnsLab | undefined;

test.before(async () => {
  if (labRuns) lab = await startDnsLab();
});

test.after.always(async () => {
  await lab?.stop();
});

function dnsArgs(local: string): string[] {
  const running = lab as DnsLab;
  return ['--local-resolver', local, '--root-hints', running.rootHintsFile, '--timeout', '1500'];
}

function verdictsByDomainAndCause(stdout: string): Record<string, string> {
  const verdicts: Record<string, string> = {};
  for (const record of parseNdjson(stdout)) {
    if (record['type'] !== 'group') continue;
    const verdict = record['verdict'] as { kind: string; detail?: string };
    const shown = verdict.detail === undefined ? verdict.kind : `${verdict.kind}/${verdict.detail}`;
    verdicts[`${String(record['domain'])} ${String(record['cause'])}`] = shown;
  }

  return verdicts;
}

const runsTest = labRuns ? test : test.skip;

runsTest(
  'each group of the Postfix sample gets the verdict that was true of its domain',
  async (t) => {
    const running = lab as DnsLab;
    const result = await runCli([
      '--format',
      'ndjson',
      ...dnsArgs(formatServer(running.resolver)),
      'samples/postfix-mail.log',
    ]);
    t.is(result.code, 0, result.stderr);
    const verdicts = verdictsByDomainAndCause(result.stdout);

    t.is(verdicts['northwind.test dns-tempfail'], 'recipient-dns/unreachable');
    t.is(verdicts['contoso.test dns-tempfail'], 'recipient-dns/lame');
    t.is(verdicts['adventure-works.test dns-notfound'], 'domain-missing');
    t.is(verdicts['tailspin.test dns-nodata'], 'no-mail-host');
    t.is(verdicts['wingtip.test null-mx'], 'null-mx');
    t.is(verdicts['litware.test mx-unresolvable'], 'mx-unresolvable/no-address');
    t.is(verdicts['proseware.test remote-tempfail'], 'remote-policy');
    t.is(verdicts['fourthcoffee.test dns-tempfail'], 'recovered/local-resolver');
    t.is(verdicts['woodgrove.test dns-tempfail'], 'recovered/local-resolver');
    t.is(verdicts['margie.test connection'], 'not-checked');
  },
);

runsTest(
  'a period cut short of the recovery keeps its verdicts: later lines still show it',
  async (t) => {
    const running = lab as DnsLab;
    // The resolver outage of the sample, from its first failure to just before mail flowed
    // again at 18:34:35 (samples/README.md).
    const period = ['--since', '2026-12-03T18:33:46Z', '--until', '2026-12-03T18:34:32Z'];
    const result = await runCli([
      '--format',
      'ndjson',
      ...period,
      ...dnsArgs(formatServer(running.resolver)),
      'samples/postfix-mail.log',
    ]);
    t.is(result.code, 0, result.stderr);
    const verdicts = verdictsByDomainAndCause(result.stdout);
    const summary = parseNdjson(result.stdout).find((record) => record['type'] === 'summary');

    t.is(verdicts['fourthcoffee.test dns-tempfail'], 'recovered/local-resolver');
    t.is(verdicts['woodgrove.test dns-tempfail'], 'recovered/local-resolver');
    t.is(verdicts['contoso.test dns-tempfail'], 'recipient-dns/lame');
    // The period's own counts: mail delivered after it is still queued in its outcomes.
    t.like(summary, { outcomes: { 'delivered-later': 0, 'still-queued': 19 } });
  },
);

runsTest('every group carries its probes as evidence in NDJSON', async (t) => {
  const running = lab as DnsLab;
  const result = await runCli([
    '--format',
    'ndjson',
    ...dnsArgs(formatServer(running.resolver)),
    'samples/exim-mainlog',
  ]);
  const northwind = parseNdjson(result.stdout).find(
    (record) => record['domain'] === 'northwind.test' && record['cause'] === 'dns-tempfail',
  );
  const verdict = northwind?.['verdict'] as { probes?: { role: string; server: string }[] };
  t.truthy(verdict.probes?.some((probe) => probe.role === 'local'));
  t.truthy(verdict.probes?.some((probe) => probe.role === 'authoritative'));
  t.true((verdict.probes ?? []).every((probe) => probe.server.startsWith('127.')));
});

runsTest('with our resolver stopped, a healthy domain is a local-resolver failure', async (t) => {
  const running = lab as DnsLab;
  const result = await runCli([
    'check',
    '--format',
    'ndjson',
    ...dnsArgs(formatServer(running.deadResolver)),
    'fourthcoffee.test',
  ]);
  const [check] = parseNdjson(result.stdout);
  const verdict = check?.['verdict'] as { kind: string; detail?: string; reason?: string };
  t.is(verdict.kind, 'local-resolver');
  t.is(verdict.detail, 'down');
  t.regex(verdict.reason ?? '', new RegExp(running.deadResolver.address.replace(/\./g, '\\.')));
});

runsTest('mxtriage check names the fault of each lab domain', async (t) => {
  const running = lab as DnsLab;
  const domains = running.domains;
  const result = await runCli([
    'check',
    '--format',
    'ndjson',
    ...dnsArgs(formatServer(running.resolver)),
    domains.working,
    domains.partial,
    domains.mxCname,
    domains.mxIpLiteral,
    domains.providerOutageA,
    domains.providerOutageB,
  ]);
  t.is(result.code, 0, result.stderr);
  const kinds = Object.fromEntries(
    parseNdjson(result.stdout).map((record) => {
      const verdict = record['verdict'] as { kind: string; detail?: string };
      return [
        record['domain'],
        verdict.detail ? `${verdict.kind}/${verdict.detail}` : verdict.kind,
      ];
    }),
  );
  t.is(kinds[domains.working], 'healthy');
  t.is(kinds[domains.partial], 'recipient-dns/partial');
  t.is(kinds[domains.mxCname], 'mx-unresolvable/cname');
  t.is(kinds[domains.mxIpLiteral], 'mx-unresolvable/ip-literal');
  t.is(kinds[domains.providerOutageA], 'provider-outage/unreachable');
  t.is(kinds[domains.providerOutageB], 'provider-outage/unreachable');
});

runsTest('a broken DNSSEC signature is told apart through a validating resolver', async (t) => {
  const running = lab as DnsLab;
  const result = await runCli([
    'check',
    '--format',
    'ndjson',
    ...dnsArgs(formatServer(running.resolver)),
    '--resolver',
    formatServer(running.validatingResolver),
    running.domains.dnssecBroken,
  ]);
  const [check] = parseNdjson(result.stdout);
  t.is((check?.['verdict'] as { kind: string }).kind, 'recipient-dnssec');
});

test('when nothing can be reached the verdict is inconclusive, quickly', async (t) => {
  const result = await runCli([
    'check',
    '--format',
    'ndjson',
    '--local-resolver',
    '127.0.0.1:9',
    '--root',
    '127.0.0.1:9',
    '--timeout',
    '500',
    'example.test',
  ]);
  const [check] = parseNdjson(result.stdout);
  const verdict = check?.['verdict'] as { kind: string; reason?: string; probes?: unknown[] };
  t.is(verdict.kind, 'inconclusive');
  t.regex(verdict.reason ?? '', /reach/i);
  t.true((verdict.probes ?? []).length <= 4, 'a few probes, not a wall of timeouts');
});

runsTest(
  'with the root unreachable, a healthy domain says once which view was not made',
  async (t) => {
    const running = lab as DnsLab;
    const result = await runCli([
      'check',
      '--format',
      'ndjson',
      '--local-resolver',
      formatServer(running.resolver),
      '--root',
      '127.0.0.1:1',
      '--timeout',
      '1500',
      running.domains.working,
    ]);
    const [check] = parseNdjson(result.stdout);
    const verdict = check?.['verdict'] as { kind: string; reason?: string };

    t.is(verdict.kind, 'healthy');
    t.regex(
      verdict.reason ?? '',
      /^the resolvers answer \(local resolver \S+: answers; MX hosts resolve\); /,
    );
    t.regex(
      verdict.reason ?? '',
      /our own resolution from the root could not be made: no root server answered/,
    );
    t.is(verdict.reason?.split('port 53 to the outside looks blocked').length, 2, verdict.reason);
    t.false(verdict.reason?.includes('every probe answers'));
  },
);

/** A Postfix queue directory whose etc/resolv.conf names `servers`, removed after `run`. */
async function withQueueDirectory<T>(
  servers: readonly ServerAddress[],
  run: (directory: string) => Promise<T>,
): Promise<T> {
  const directory = await mkdtemp(path.join(tmpdir(), 'mxtriage-spool-'));
  try {
    await mkdir(path.join(directory, 'etc'));
    const lines = servers.map((server) => `nameserver ${server.address}\n`).join('');
    await writeFile(path.join(directory, 'etc', 'resolv.conf'), lines);
    return await run(directory);
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}

/** `mxtriage check` of the lab's working domain, with a Postfix chroot copy naming `servers`. */
async function checkWithChrootCopy(
  running: DnsLab,
  servers: readonly ServerAddress[],
): Promise<Verdict> {
  const result = await withQueueDirectory(servers, (directory) =>
    runCli([
      'check',
      '--format',
      'ndjson',
      ...dnsArgs(formatServer(running.resolver)),
      '--postfix-queue-dir',
      directory,
      running.domains.working,
    ]),
  );
  const [check] = parseNdjson(result.stdout);
  return check?.['verdict'] as Verdict;
}

runsTest(
  'a chroot copy that differs from /etc/resolv.conf and fails is a stale chroot, named so in reason and advice',
  async (t) => {
    const running = lab as DnsLab;
    // The copy names the lab's stopped resolver on port 53: only loopback is ever asked.
    const dead = { address: running.deadResolver.address, port: 53 };
    const verdict = await checkWithChrootCopy(running, [dead]);

    t.is(verdict.kind, 'local-resolver', verdict.reason);
    t.is(verdict.detail, 'stale-chroot');
    t.regex(
      verdict.reason ?? '',
      /chroot copy \S+\/etc\/resolv\.conf differs from \/etc\/resolv\.conf/,
    );
    t.regex(verdict.reason ?? '', /while our resolvers \(--local-resolver\) answer/);
    t.true((verdict.probes ?? []).every((probe) => probe.server.startsWith('127.')));

    const [advice] = adviseIncident({
      id: 'stale',
      domains: [running.domains.working],
      causeFamily: 'dns',
      causes: ['dns-tempfail'],
      start: 0,
      end: 0,
      peakWindowStart: 0,
      peakAttempts: 1,
      attempts: 1,
      messages: 1,
      outcomes: emptyOutcomeCounts(),
      verdict,
      groups: [],
    });
    t.regex(advice ?? '', /chroot copy \S+\/etc\/resolv\.conf differs from \/etc\/resolv\.conf,/);
  },
);

runsTest(
  'a chroot copy that differs but whose resolver answers is noted in the reason',
  async (t) => {
    const running = lab as DnsLab;
    // resolv.conf names no port, so the copy names a lab server on port 53 that answers for the
    // domain: the provider's NSD, which serves its zone.
    const verdict = await checkWithChrootCopy(running, [running.nameServers.provider]);

    t.is(verdict.kind, 'healthy', verdict.reason);
    t.regex(verdict.reason ?? '', /Postfix's chroot copy \S+ differs from \/etc\/resolv\.conf/);
  },
);
