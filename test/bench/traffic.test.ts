import test from 'ava';

import { type GeneratedLog, collectLog } from './collect.js';
import type { Failure } from './traffic.js';

const ALL_FAILURES: readonly Failure[] = [
  'dns-tempfail',
  'mx-tempfail',
  'nxdomain',
  'nodata',
  'null-mx',
  'mx-unresolvable',
  'relay-dns',
  'sender-dns',
  'greylisted',
  'rate-limited',
  'over-quota',
  'server-busy',
  'user-unknown',
  'spam-rejected',
  'refused',
  'timed-out',
  'lost-connection',
  'tls-handshake',
  'tlsa-error',
];

const ATTEMPT_SLACK = 10_000;

const postfixDay = collectLog({ mta: 'postfix', lines: 200_000 });
const eximDay = collectLog({ mta: 'exim', lines: 200_000 });

test('a day of Postfix traffic is about 85% sent, 12% deferred and 3% bounced', async (t) => {
  const { sent, deferred, bounced, expired } = (await postfixDay).manifest.tally.statuses;
  const total = sent + deferred + bounced + expired;

  t.true(sent / total > 0.82 && sent / total < 0.89, `sent ${sent / total}`);
  t.true(deferred / total > 0.09 && deferred / total < 0.15, `deferred ${deferred / total}`);
  t.true(bounced / total > 0.018 && bounced / total < 0.042, `bounced ${bounced / total}`);
});

test('the manifest counts exactly the status records in the Postfix log', async (t) => {
  const log = await postfixDay;
  const count = (pattern: RegExp): number => log.lines.filter((line) => pattern.test(line)).length;
  const { statuses } = log.manifest.tally;

  t.is(count(/ status=sent \(/), statuses.sent);
  t.is(count(/ status=deferred \(/), statuses.deferred);
  t.is(count(/ status=bounced \(/), statuses.bounced);
  t.is(count(/ status=expired, returned to sender$/), statuses.expired);
  t.true(statuses.expired > 0);
});

test('the manifest counts exactly the delivery lines in the Exim log', async (t) => {
  const log = await eximDay;
  const count = (flags: string[]): number =>
    log.lines.filter((line) => flags.includes(line.slice(37, 39))).length;
  const { statuses } = log.manifest.tally;

  t.is(count(['=>', '->']), statuses.sent);
  t.is(count(['==']), statuses.deferred);
  t.is(count(['**']), statuses.bounced);
});

test('every kind of failure appears in a day of traffic of either mail server', async (t) => {
  for (const log of [await postfixDay, await eximDay]) {
    const missing = ALL_FAILURES.filter(
      (failure) => (log.manifest.tally.kinds[failure] ?? 0) === 0,
    );

    t.deepEqual(missing, [], log.manifest.mta);
    t.true(log.manifest.tally.repeats > 0, `${log.manifest.mta} has follow-on deferrals`);
  }
});

test('recipient domains are many, and the most popular gets the most mail', async (t) => {
  const log = await postfixDay;
  const perDomain = countBy(log, / postfix\/smtp\[\d+\]: \w+: to=<[^@]+@([^>]+)>/);
  const ranked = [...perDomain.entries()].sort((a, b) => b[1] - a[1]);

  t.true(perDomain.size > 1000, `${perDomain.size} domains`);
  t.true((ranked[0]?.[1] ?? 0) > 20 * (ranked[500]?.[1] ?? 1), 'Zipf-like head and tail');
});

test('the one-domain outage fails only that domain, and only during its hour', async (t) => {
  const log = await postfixDay;
  const { domainOutage, resolverOutage } = log.manifest.scenario;
  const name = domainOutage.domain;
  const pattern = new RegExp(
    `\\(Host or domain name not found. Name service error for name=${name} type=MX`,
  );
  const failures = timesOf(log, pattern);
  const outside = failures.filter(
    (time) => !within(domainOutage, time) && !within(resolverOutage, time),
  );

  t.true(failures.length > 5, `${failures.length} failures`);
  t.deepEqual(outside, []);
  t.true(
    timesOf(log, new RegExp(`to=<[^>]+@${name}>.* status=sent`)).some(
      (time) => time > domainOutage.end,
    ),
  );
});

test('the resolver outage fails many unrelated domains with the same text for ten minutes', async (t) => {
  const log = await postfixDay;
  const { resolverOutage } = log.manifest.scenario;
  const failing = new Set<string>();

  for (const line of log.lines) {
    const match = /\(Host or domain name not found\. .*name=([^ ]+) type=MX: .* again\)$/.exec(
      line,
    );

    if (match && within(resolverOutage, stamp(line))) {
      failing.add(match[1] ?? '');
    }
  }

  t.true(failing.size > 30, `${failing.size} domains`);
  t.is(resolverOutage.end - resolverOutage.start, 10 * 60_000);
});

test('the provider outage and the sender-domain episode stay inside their periods', async (t) => {
  const log = await postfixDay;
  const { providerOutage, senderDnsOutage } = log.manifest.scenario;
  const provider = timesOf(
    log,
    /\(Host or domain name not found\. .*=mx\d\.hostedmail\.test type=A: Host not found, try again\)$/,
  );
  const sender = timesOf(log, /: 450 4\.1\.8 <[^>]+@sender\.test>: Sender address rejected/);

  t.true(provider.length > 0 && provider.every((time) => within(providerOutage, time)));
  t.true(sender.length > 0 && sender.every((time) => within(senderDnsOutage, time)));
});

test('deferred messages are retried and many are delivered later', async (t) => {
  const log = await postfixDay;
  const deferred = new Set<string>();
  let deliveredLater = 0;

  for (const line of log.lines) {
    const match = / postfix\/(?:smtp|error)\[\d+\]: (\w+): to=<([^>]+)>.* status=(\w+)/.exec(line);
    const key = `${match?.[1]} ${match?.[2]}`;

    if (match?.[3] === 'deferred') {
      deferred.add(key);
    } else if (match?.[3] === 'sent' && deferred.has(key)) {
      deliveredLater += 1;
    }
  }

  t.true(deliveredLater > 500, `${deliveredLater} delivered later`);
});

function countBy(log: GeneratedLog, pattern: RegExp): Map<string, number> {
  const counts = new Map<string, number>();

  for (const line of log.lines) {
    const key = pattern.exec(line)?.[1];

    if (key !== undefined) {
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  }

  return counts;
}

function timesOf(log: GeneratedLog, pattern: RegExp): number[] {
  return log.lines.filter((line) => pattern.test(line)).map(stamp);
}

/** The generated Postfix logs are all of November 2026; the stamp is read as UTC. */
function stamp(line: string): number {
  const [hours, minutes, seconds] = line.slice(7, 15).split(':').map(Number);

  return Date.UTC(2026, 10, Number(line.slice(4, 6)), hours, minutes, seconds);
}

/**
 * Whether a line's stamp falls in a period. Stamps have whole seconds, and a record is written
 * when its attempt ends, up to a few seconds after the attempt was decided in the period.
 */
function within(period: { start: number; end: number }, time: number): boolean {
  return time >= Math.floor(period.start / 1000) * 1000 && time < period.end + ATTEMPT_SLACK;
}
