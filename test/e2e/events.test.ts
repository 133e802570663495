import test from 'ava';
import { parseNdjson, runCli } from '../helpers/cli.js';

test('mxtriage events prints every delivery event as NDJSON and exits 0', async (t) => {
  const result = await runCli(['events', '--year', '2026', 'samples/sendmail-mail.log']);
  t.is(result.code, 0, result.stderr);
  const events = parseNdjson(result.stdout);
  t.is(events.length, 91);
  t.true(events.every((event) => event['type'] === 'event'));
  const first = events[0] ?? {};
  t.is(first['time'], '2026-12-03T18:32:53.000Z');
  t.is(first['recipient'], 'j.smith@northwind.test');
  t.is(first['cause'], 'dns-tempfail');
  t.deepEqual(first['source'], { file: 'samples/sendmail-mail.log', line: 7 });
});

test('mxtriage events reports unreadable inputs and not-understood lines, and exits 1', async (t) => {
  const log =
    'Dec  3 18:32:53 mailhost postfix/smtp[446]: AFF09186110: to=<a@b.test>, status=weird\n';
  const result = await runCli(['events', '--show-unparsed', '5', '/no/such.log', '-'], {
    stdin: log,
  });
  t.is(result.code, 1);
  t.regex(result.stderr, /No such file: \/no\/such\.log/);
  t.regex(result.stderr, /not understood \(postfix\/smtp\) -:1/);
  t.is(result.stdout, '');
});

test('mxtriage events keeps only events inside --since and --until', async (t) => {
  const result = await runCli([
    'events',
    '--year',
    '2026',
    '--timezone',
    'UTC',
    '--since',
    '2026-12-03T18:33:00',
    '--until',
    '2026-12-03T18:34:00',
    'samples/postfix-mail.log',
  ]);
  const times = parseNdjson(result.stdout).map((event) => event['time'] as string);
  // awk '$3 >= "18:33:00" && $3 < "18:34:00" && / to=</ && /status=/' counts 33 delivery lines
  // in the sample (its qmgr expiries are all after 18:35); the first is stamped 18:33:00.
  t.is(times.length, 33);
  t.is(times[0], '2026-12-03T18:33:00.000Z');
  t.true(times.every((time) => time >= '2026-12-03T18:33:00' && time < '2026-12-03T18:34:00'));
});
