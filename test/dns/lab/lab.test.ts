// The lab behaves as designed, seen with dig, an independent client: each domain gives the
// answer or the failure its role promises, through the plain and the validating resolver.

import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';

import test from 'ava';

import { findProgram } from './binaries.js';
import { labPerFile, startDnsLab, type ServerAddress } from '../../helpers/dns-lab.js';

interface DigResult {
  /** `NOERROR`, `SERVFAIL`, ... or `no-reply` when dig got no answer (timeout, refused). */
  readonly status: string;
  readonly flags: readonly string[];
  /** Answer records as `TYPE rdata`, e.g. `MX 10 mx1.woodgrove.test.`. */
  readonly answers: readonly string[];
}

const run = promisify(execFile);
const { labTest, started } = labPerFile(test);

labTest('a working domain has an MX whose host has an address in the lab', async (t) => {
  const { domains, resolver, root } = started();
  const mx = await dig(resolver, domains.working, 'MX');
  const host = await dig(resolver, `mx1.${domains.working}`, 'A');

  t.is(mx.status, 'NOERROR');
  t.deepEqual(mx.answers, ['MX 10 mx1.woodgrove.test.']);
  t.deepEqual(host.answers, [`A ${net(root)}.103`]);
});

labTest('the lab-1 domains whose faults were not DNS resolve', async (t) => {
  const { domains, resolver } = started();
  const names = [
    domains.recoveredAfterLocalOutage,
    domains.sender,
    domains.remotePolicy,
    domains.remoteReject,
    domains.connectionRefused,
  ];
  const results = await Promise.all(names.map((name) => dig(resolver, name, 'MX')));

  t.deepEqual(
    results.map((result) => [result.status, result.answers.length]),
    names.map(() => ['NOERROR', 1]),
  );
});

labTest('a domain whose name servers are all down gets no answer or SERVFAIL', async (t) => {
  const { domains, resolver, validatingResolver } = started();
  const results = await Promise.all([
    dig(resolver, domains.unreachable, 'MX'),
    dig(validatingResolver, domains.unreachable, 'MX'),
  ]);

  // unbound drops the reply when resolving takes longer than its discard-timeout.
  for (const result of results) t.true(['no-reply', 'SERVFAIL'].includes(result.status));
});

labTest('both provider-outage domains name the same two silent name servers', async (t) => {
  const { domains, nameServers, resolver, root } = started();
  const delegations = await Promise.all(
    [domains.providerOutageA, domains.providerOutageB].map((name) =>
      digServer(nameServers.tld, name, 'NS'),
    ),
  );
  const hosts = await Promise.all(
    ['ns1.humongous.test', 'ns2.humongous.test'].map((name) => dig(resolver, name, 'A')),
  );
  const mx = await dig(resolver, domains.providerOutageA, 'MX');

  t.deepEqual(delegations[0], delegations[1]);
  t.deepEqual(delegations[0], ['NS ns1.humongous.test.', 'NS ns2.humongous.test.']);
  t.deepEqual(
    hosts.map((host) => host.answers),
    [[`A ${net(root)}.31`], [`A ${net(root)}.32`]],
  );
  t.true(['no-reply', 'SERVFAIL'].includes(mx.status));
  t.is(
    (await dig({ address: `${net(root)}.31`, port: 53 }, domains.providerOutageA, 'MX')).status,
    'no-reply',
  );
});

labTest('a domain with one of two name servers down still resolves', async (t) => {
  const { domains, resolver, nameServers, root } = started();
  const direct = await dig(nameServers.provider, domains.partial, 'MX', ['+norecurse']);
  const silent = await dig({ address: `${net(root)}.23`, port: 53 }, domains.partial, 'MX');
  const resolved = await digUntilAnswered(resolver, domains.partial);

  t.true(direct.flags.includes('aa'));
  t.deepEqual(direct.answers, ['MX 10 mx.fabrikam.test.']);
  t.is(silent.status, 'no-reply');
  t.deepEqual(resolved.answers, ['MX 10 mx.fabrikam.test.']);
});

labTest('a lame delegation is refused by its server and fails through the resolver', async (t) => {
  const { domains, resolver, nameServers } = started();
  const direct = await dig(nameServers.lame, domains.lame, 'MX', ['+norecurse']);
  const resolved = await dig(resolver, domains.lame, 'MX');

  t.is(direct.status, 'REFUSED');
  t.is(resolved.status, 'SERVFAIL');
});

labTest('a domain that is not delegated does not exist', async (t) => {
  const { domains, resolver, validatingResolver } = started();
  const plain = await dig(resolver, domains.nxdomain, 'MX');
  const validated = await dig(validatingResolver, domains.nxdomain, 'MX');

  t.is(plain.status, 'NXDOMAIN');
  t.is(validated.status, 'NXDOMAIN');
  t.true(validated.flags.includes('ad'), 'the signed test. zone proves the name does not exist');
});

labTest('a zone with only SOA and NS has no MX and no address', async (t) => {
  const { domains, resolver } = started();
  const results = await Promise.all(
    ['MX', 'A', 'AAAA'].map((type) => dig(resolver, domains.noMailHost, type)),
  );

  t.deepEqual(
    results.map((result) => [result.status, result.answers.length]),
    [
      ['NOERROR', 0],
      ['NOERROR', 0],
      ['NOERROR', 0],
    ],
  );
});

labTest('the MX shapes: null MX, missing host, CNAME and IP literal', async (t) => {
  const { domains, resolver, root } = started();
  const nullMx = await dig(resolver, domains.nullMx, 'MX');
  const missing = await dig(resolver, domains.mxNoAddress, 'MX');
  const missingHost = await dig(resolver, `mx-old.${domains.mxNoAddress}`, 'A');
  const cname = await dig(resolver, domains.mxCname, 'MX');
  const cnameHost = await dig(resolver, `mail.${domains.mxCname}`, 'A');
  const literal = await dig(resolver, domains.mxIpLiteral, 'MX');

  t.deepEqual(nullMx.answers, ['MX 0 .']);
  t.deepEqual(missing.answers, ['MX 10 mx-old.litware.test.']);
  t.is(missingHost.status, 'NXDOMAIN');
  t.deepEqual(cname.answers, ['MX 10 mail.cohowinery.test.']);
  t.deepEqual(cnameHost.answers, [`A ${net(root)}.101`, 'CNAME mx.provider.test.']);
  t.deepEqual(literal.answers, ['MX 10 127.0.0.25.']);
});

labTest(
  'the signed domain validates and the broken one is bogus unless checking is off',
  async (t) => {
    const { domains, resolver, validatingResolver } = started();
    const signed = await dig(validatingResolver, domains.signed, 'MX');
    const broken = await dig(validatingResolver, domains.dnssecBroken, 'MX');
    const brokenUnchecked = await dig(validatingResolver, domains.dnssecBroken, 'MX', ['+cd']);
    const brokenPlain = await dig(resolver, domains.dnssecBroken, 'MX');

    t.true(signed.flags.includes('ad'));
    t.deepEqual(signed.answers, ['MX 10 mx.relecloud.test.']);
    t.is(broken.status, 'SERVFAIL');
    t.deepEqual(brokenUnchecked.answers, ['MX 10 mx.blueyonder.test.']);
    t.deepEqual(brokenPlain.answers, ['MX 10 mx.blueyonder.test.']);
  },
);

labTest('an unsigned domain under the signed TLD validates as insecure', async (t) => {
  const { domains, validatingResolver } = started();
  const result = await dig(validatingResolver, domains.working, 'MX');

  t.is(result.status, 'NOERROR');
  t.false(result.flags.includes('ad'));
});

labTest(
  'the root hints name only the lab root, and the dead resolver answers nothing',
  async (t) => {
    const { rootHintsFile, root, deadResolver, domains } = started();
    const { stdout } = await run('grep', ['-c', ' A ', rootHintsFile]);
    const dead = await dig(deadResolver, domains.working, 'MX');

    t.is(stdout.trim(), '1');
    t.is(root.port, 53);
    t.is(dead.status, 'no-reply');
  },
);

labTest('a stopped lab resolver refuses, and stop() ends every server', async (t) => {
  const own = await startDnsLab();
  const before = await dig(own.resolver, own.domains.working, 'MX');
  await own.stopResolver();
  const stopped = await dig(own.resolver, own.domains.working, 'MX');
  const validating = await dig(own.validatingResolver, own.domains.working, 'MX');
  await own.stop();
  await own.stop();
  const root = await dig(own.root, '.', 'SOA');

  t.is(before.status, 'NOERROR');
  t.is(stopped.status, 'no-reply');
  t.is(validating.status, 'NOERROR');
  t.is(root.status, 'no-reply');
  t.false(existsSync(own.rootHintsFile));
});

function net(server: ServerAddress): string {
  return server.address.split('.').slice(0, 3).join('.');
}

/** Asks one server, as a mail server's resolver library would: 3 s a try, 2 tries. */
async function dig(
  server: ServerAddress,
  name: string,
  type: string,
  extra: readonly string[] = [],
): Promise<DigResult> {
  const program = findProgram('dig') ?? 'dig';
  const args = ['+tries=2', '+time=3', '-p', String(server.port), `@${server.address}`];
  const output = await run(program, [
    ...args,
    name,
    type,
    '+noall',
    '+comments',
    '+answer',
    ...extra,
  ])
    .then((result) => result.stdout)
    .catch((error: { stdout?: string }) => error.stdout ?? '');

  return parseDig(output);
}

/** The answer records of a non-recursive query to an authoritative server. */
async function digServer(server: ServerAddress, name: string, type = 'SOA'): Promise<string[]> {
  const result = await dig(server, name, type, ['+norecurse', '+authority']);
  return [...result.answers];
}

/** A resolver may first try the silent server and drop the reply; ask again, up to 3 times. */
async function digUntilAnswered(server: ServerAddress, name: string): Promise<DigResult> {
  let result = await dig(server, name, 'MX');
  for (let attempt = 1; attempt < 3 && result.status !== 'NOERROR'; attempt++) {
    result = await dig(server, name, 'MX');
  }

  return result;
}

function parseDig(output: string): DigResult {
  const status = /status: ([A-Z]+)/.exec(output)?.[1] ?? 'no-reply';
  const flags = /;; flags: ([a-z ]*);/.exec(output)?.[1]?.trim().split(' ') ?? [];
  const answers = output
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith(';'))
    .map((line) => line.trim().split(/\s+/).slice(3).join(' '))
    .sort();

  return { status, flags, answers };
}
