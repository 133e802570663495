import test from 'ava';
import {
  appendFileSync,
  chmodSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { parseNdjson, ROOT, runCli } from '../helpers/cli.js';

const LINES = readFileSync(join(ROOT, 'samples', 'postfix-mail.log'), 'utf8')
  .trimEnd()
  .split('\n');
const THIRD = Math.floor(LINES.length / 3);
const PARTS = [LINES.slice(0, THIRD), LINES.slice(THIRD, 2 * THIRD), LINES.slice(2 * THIRD)];

const made: string[] = [];

/** A fresh directory under the system's temporary one, removed when the tests end. */
function temporaryDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

test.after.always(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

function text(lines: readonly string[]): string {
  return `${lines.join('\n')}\n`;
}

/** One `summary --state` run over `files` in `dir`, as NDJSON, whatever its exit code. */
function summaryCli(dir: string, files: string[]): ReturnType<typeof runCli> {
  return runCli([
    'summary',
    '--offline',
    '--format',
    'ndjson',
    '--state',
    join(dir, 'state.json'),
    ...files.map((name) => join(dir, name)),
  ]);
}

async function summaryRun(dir: string, files: string[]): Promise<Record<string, unknown>> {
  const result = await summaryCli(dir, files);
  if (result.code !== 0) throw new Error(`summary failed: ${result.stderr}`);
  return parseNdjson(result.stdout).find((record) => record['type'] === 'summary') ?? {};
}

test('the state file reads each line once across a rename-and-compress logrotate', async (t) => {
  const dir = temporaryDir('mxtriage-rotate-');
  writeFileSync(join(dir, 'mail.log'), text(PARTS[0] ?? []));
  const first = await summaryRun(dir, ['mail.log']);

  appendFileSync(join(dir, 'mail.log'), text((PARTS[1] ?? []).slice(0, 20)));
  renameSync(join(dir, 'mail.log'), join(dir, 'mail.log.1'));
  writeFileSync(join(dir, 'mail.log.1.gz'), gzipSync(readFileSync(join(dir, 'mail.log.1'))));
  renameSync(join(dir, 'mail.log.1'), join(dir, 'moved-away'));
  writeFileSync(join(dir, 'mail.log'), text((PARTS[1] ?? []).slice(20)));
  const second = await summaryRun(dir, ['mail.log.1.gz', 'mail.log']);

  appendFileSync(join(dir, 'mail.log'), text(PARTS[2] ?? []));
  const third = await summaryRun(dir, ['mail.log.1.gz', 'mail.log']);
  const fourth = await summaryRun(dir, ['mail.log.1.gz', 'mail.log']);

  const read = [first, second, third].map((summary) => summary['linesRead'] as number);
  t.deepEqual(read, [PARTS[0]?.length, PARTS[1]?.length, PARTS[2]?.length]);
  t.is(fourth['linesRead'], 0);
  // Inputs with nothing new are still listed: "nothing new" is not "no input".
  t.deepEqual(
    (fourth['inputs'] as string[]).map((input) => input.slice(dir.length + 1)),
    ['mail.log.1.gz', 'mail.log'],
  );
  t.deepEqual(
    readdirSync(dir).filter((name) => name.endsWith('.tmp')),
    [],
    'no temporary state files left behind',
  );
});

test('a rotated copy given plain and compressed, as logrotate compresses it, is read once', async (t) => {
  const dir = temporaryDir('mxtriage-twins-');
  writeFileSync(join(dir, 'mail.log.1'), text(PARTS[0] ?? []));
  writeFileSync(join(dir, 'mail.log.1.gz'), gzipSync(text(PARTS[0] ?? [])));
  writeFileSync(join(dir, 'mail.log'), text(PARTS[1] ?? []));
  const first = await summaryRun(dir, ['mail.log.1', 'mail.log.1.gz', 'mail.log']);

  const main = await runCli([
    '--offline',
    '--format',
    'ndjson',
    '--show-unparsed',
    '1',
    ...['mail.log.1', 'mail.log.1.gz'].map((name) => join(dir, name)),
  ]);

  rmSync(join(dir, 'mail.log.1'));
  appendFileSync(join(dir, 'mail.log'), text(PARTS[2] ?? []));
  const second = await summaryRun(dir, ['mail.log.1.gz', 'mail.log']);

  t.like(first, { linesRead: (PARTS[0]?.length ?? 0) + (PARTS[1]?.length ?? 0), inputWarnings: 1 });
  t.like(second, { linesRead: PARTS[2]?.length, inputWarnings: 0 });
  t.like(parseNdjson(main.stdout).at(-1), { linesRead: PARTS[0]?.length, inputWarnings: 1 });
  t.regex(
    main.stderr,
    /mail\.log\.1\.gz:1: Left out: the same rotated copy as .*mail\.log\.1, which is read/,
  );
});

test('an input that could not be read in one run keeps its checkpoint for the next', async (t) => {
  const dir = temporaryDir('mxtriage-unread-');
  const log = join(dir, 'mail.log');
  writeFileSync(log, text(PARTS[0] ?? []));
  const first = await summaryRun(dir, ['mail.log']);

  // A directory in its place for one run (as a wrong permission would be): it is unreadable.
  renameSync(log, join(dir, 'kept'));
  mkdirSync(log);
  const broken = await summaryCli(dir, ['mail.log']);
  rmSync(log, { recursive: true });
  renameSync(join(dir, 'kept'), log);
  appendFileSync(log, text(PARTS[1] ?? []));
  const third = await summaryRun(dir, ['mail.log']);

  t.is(first['linesRead'], PARTS[0]?.length);
  t.is(broken.code, 1);
  t.is(third['linesRead'], PARTS[1]?.length, 'the lines read before are not read again');
});

test('a rotation while the new log cannot be read yet reads no line twice', async (t) => {
  const dir = temporaryDir('mxtriage-rotated-unread-');
  const log = join(dir, 'mail.log');
  writeFileSync(log, text(PARTS[0] ?? []));
  const first = await summaryRun(dir, ['mail.log']);

  appendFileSync(log, text(PARTS[1] ?? []));
  renameSync(log, join(dir, 'mail.log.1'));
  mkdirSync(log);
  const rotated = await summaryCli(dir, ['mail.log.1', 'mail.log']);
  rmSync(log, { recursive: true });
  writeFileSync(log, text(PARTS[2] ?? []));
  const third = await summaryRun(dir, ['mail.log.1', 'mail.log']);

  t.is(first['linesRead'], PARTS[0]?.length);
  t.is(rotated.code, 1);
  t.is(parseNdjson(rotated.stdout).at(-1)?.['linesRead'], PARTS[1]?.length);
  t.is(third['linesRead'], PARTS[2]?.length);
});

test('the state file survives copytruncate without skipping or repeating lines', async (t) => {
  const dir = temporaryDir('mxtriage-copytruncate-');
  writeFileSync(join(dir, 'mail.log'), text(PARTS[0] ?? []));
  const first = await summaryRun(dir, ['mail.log']);

  appendFileSync(join(dir, 'mail.log'), text(PARTS[1] ?? []));
  writeFileSync(join(dir, 'mail.log.1'), readFileSync(join(dir, 'mail.log')));
  truncateSync(join(dir, 'mail.log'), 0);
  appendFileSync(join(dir, 'mail.log'), text(PARTS[2] ?? []));
  const second = await summaryRun(dir, ['mail.log.1', 'mail.log']);

  t.is(first['linesRead'], PARTS[0]?.length);
  t.is(second['linesRead'], (PARTS[1]?.length ?? 0) + (PARTS[2]?.length ?? 0));
});

test('a resumed run numbers a line not understood by its place in the file', async (t) => {
  const dir = temporaryDir('mxtriage-line-numbers-');
  const log = join(dir, 'mail.log');
  const state = join(dir, 'state.json');
  const args = ['summary', '--offline', '--show-unparsed', '5', '--state', state, log];
  writeFileSync(log, text(PARTS[0] ?? []));
  await runCli(args);
  // A delivery record with a status word no Postfix writes (it writes sent, deferred, bounced
  // and expired): the parser must not guess, so the line is not understood.
  const odd = (PARTS[0]?.find((line) => line.includes(' to=<')) ?? '').replace(
    /status=\w+/,
    'status=weird',
  );
  appendFileSync(log, text([...(PARTS[1] ?? []).slice(0, 10), odd]));

  const result = await runCli(args);
  const expected = (PARTS[0]?.length ?? 0) + 11;
  t.is(result.code, 0, result.stderr);
  t.regex(result.stderr, new RegExp(`not understood \\(postfix/\\w+\\) ${log}:${expected}: `));
});

test('a state file that could not be saved is an error before the logs are read', async (t) => {
  const dir = temporaryDir('mxtriage-state-dir-');
  const state = join(dir, 'missing', 'state.json');
  const result = await runCli([
    'summary',
    '--offline',
    '--state',
    state,
    join(ROOT, 'samples', 'postfix-mail.log'),
  ]);
  t.is(result.code, 1);
  t.is(result.stdout, '', 'no report that would be read again next time');
  t.regex(
    result.stderr,
    new RegExp(
      `Cannot write state file ${state}: the directory ${join(dir, 'missing')} does not exist`,
    ),
  );
});

test('a corrupt or foreign state file is a clear error', async (t) => {
  const dir = temporaryDir('mxtriage-state-');
  writeFileSync(join(dir, 'state.json'), '{"files": [');
  writeFileSync(join(dir, 'mail.log'), text(LINES));
  const corrupt = await runCli([
    'summary',
    '--offline',
    '--state',
    join(dir, 'state.json'),
    join(dir, 'mail.log'),
  ]);
  t.is(corrupt.code, 1);
  t.regex(corrupt.stderr, /state file/i);

  writeFileSync(join(dir, 'state.json'), '{"name": "some other tool"}');
  const foreign = await runCli([
    'summary',
    '--offline',
    '--state',
    join(dir, 'state.json'),
    join(dir, 'mail.log'),
  ]);
  t.is(foreign.code, 1);
  t.regex(foreign.stderr, /Not an mxtriage state file/);
});

test('the cron summary is short, names the worst domains and compares with the last run', async (t) => {
  const dir = temporaryDir('mxtriage-cron-');
  writeFileSync(join(dir, 'mail.log'), text(PARTS[0] ?? []));
  const state = join(dir, 'state.json');
  const args = ['summary', '--offline', '--year', '2026', '--state', state, join(dir, 'mail.log')];
  await runCli(args);
  appendFileSync(join(dir, 'mail.log'), text([...(PARTS[1] ?? []), ...(PARTS[2] ?? [])]));
  const result = await runCli(args);
  t.is(result.code, 0, result.stderr);
  // Counted from the sample with awk: lines 1-155 (PARTS[0]) hold 12 sent, 8 deferred, 10
  // bounced and no expired deliveries, 2 of them failures to northwind.test; lines 156-467 hold
  // 19 sent, 74 deferred, 0 bounced, and 8 recipients expired by qmgr, 13 of them failures to
  // northwind.test and 9 to sender.test, which had none before.
  t.regex(result.stdout, /^mxtriage summary for 2026-12-03/);
  t.regex(
    result.stdout,
    /\nDelivery attempts: 19 \(\+7\) delivered, 74 \(\+66\) deferred, 0 \(-10\) bounced, 8 \(\+8\) expired\.\n/,
  );
  t.regex(result.stdout, /\n {2}northwind\.test: 13 failed attempts \(previously 2\)\n/);
  t.regex(result.stdout, /\n {2}sender\.test: 9 failed attempts \(new\)\n/);
  t.true(result.stdout.split('\n').length < 40);
});

test('deferred in one run and delivered in the next counts as delivered later', async (t) => {
  const dir = temporaryDir('mxtriage-carry-');
  const log = join(dir, 'mail.log');
  const state = join(dir, 'state.json');
  const args = ['summary', '--offline', '--year', '2026', '--state', state, log];
  const outcomes = (stdout: string) => /Deferred or bounced recipients: .*/.exec(stdout)?.[0];
  writeFileSync(log, text(LINES.slice(0, 250)));
  const first = await runCli(args);
  const carried = (JSON.parse(readFileSync(state, 'utf8')) as { open: unknown[] }).open;
  appendFileSync(log, text(LINES.slice(250)));
  const second = await runCli(args);
  const whole = await runCli([
    'summary',
    '--offline',
    '--year',
    '2026',
    '--since',
    '2026-12-01',
    'samples/postfix-mail.log',
  ]);

  // The 10 recipients that bounced at once did so in the first run's lines; the 12 still
  // queued at its end are delivered or expire in the second run, as in one run over the whole.
  t.is(
    outcomes(first.stdout),
    'Deferred or bounced recipients: delivered later 0, bounced 10, expired 0, still queued 12.',
  );
  t.is(carried.length, 12);
  t.is(
    outcomes(second.stdout),
    'Deferred or bounced recipients: delivered later 11, bounced 0, expired 8, still queued 0.',
  );
  t.is(
    outcomes(whole.stdout),
    'Deferred or bounced recipients: delivered later 11, bounced 10, expired 8, still queued 0.',
  );
});

/** A log of the sample's first 250 lines and the state a summary run saved of it. */
async function savedState(prefix: string) {
  const dir = temporaryDir(prefix);
  const log = join(dir, 'mail.log');
  const state = join(dir, 'state.json');
  writeFileSync(log, text(LINES.slice(0, 250)));
  await runCli(['summary', '--offline', '--year', '2026', '--state', state, log]);
  const saved = JSON.parse(readFileSync(state, 'utf8')) as { summary: { statuses: object } };
  return { log, state, saved };
}

test('a state file whose open recipients are not as written is a clear error', async (t) => {
  const { log, state, saved } = await savedState('mxtriage-carry-');
  writeFileSync(state, JSON.stringify({ ...saved, open: [{ host: 'mailhost' }] }));

  const result = await runCli(['summary', '--offline', '--state', state, log]);
  t.is(result.code, 1);
  t.regex(result.stderr, /Corrupt state file .*state\.json: "open" is not a list of recipients/);
});

test("a state file whose last run's totals are not as written is a clear error", async (t) => {
  const { log, state, saved } = await savedState('mxtriage-totals-');
  const broken = [
    { ...saved, summary: 'x' },
    {
      ...saved,
      summary: { ...saved.summary, statuses: { ...saved.summary.statuses, sent: 'lots' } },
    },
    { ...saved, summary: { ...saved.summary, periodStart: 'x' } },
  ];

  for (const content of broken) {
    writeFileSync(state, JSON.stringify(content));
    const result = await runCli(['summary', '--offline', '--state', state, log]);
    t.is(result.code, 1);
    t.regex(
      result.stderr,
      /^mxtriage: Corrupt state file .*state\.json: "summary" is not run totals$/m,
    );
    t.is(readFileSync(state, 'utf8'), JSON.stringify(content), 'the state is left as it was');
  }
});

test('a state file behind a link is saved through it, with its mode kept', async (t) => {
  const dir = temporaryDir('mxtriage-link-');
  const log = join(dir, 'mail.log');
  const real = join(dir, 'real.json');
  const link = join(dir, 'link.json');
  writeFileSync(log, text(LINES.slice(0, 250)));
  await runCli(['summary', '--offline', '--year', '2026', '--state', real, log]);
  chmodSync(real, 0o600);
  symlinkSync(real, link);
  appendFileSync(log, text(LINES.slice(250)));

  const result = await runCli(['summary', '--offline', '--state', link, log]);

  t.is(result.code, 0, result.stderr);
  t.true(lstatSync(link).isSymbolicLink());
  t.is(statSync(real).mode & 0o777, 0o600);
  t.regex(readFileSync(real, 'utf8'), /"offset": [1-9]/);
  t.true(readFileSync(real, 'utf8').includes(`"lines": ${LINES.length}`));
});

test('the summary names the period asked for and its time zone', async (t) => {
  const since = await runCli([
    'summary',
    '--offline',
    '--year',
    '2026',
    '--since',
    '2026-12-03T18:00',
    'samples/postfix-mail.log',
  ]);
  t.regex(
    since.stdout,
    /^mxtriage summary for 2026-12-03 18:00:00 to 2026-12-03 18:36:10 \(UTC\)\n/,
  );

  const zoned = await runCli([
    'summary',
    '--offline',
    '--year',
    '2026',
    '--timezone',
    'Europe/Berlin',
    '--since',
    '2026-12-03T19:00',
    '--until',
    '2026-12-03T20:00',
    'samples/postfix-mail.log',
  ]);
  t.regex(
    zoned.stdout,
    /^mxtriage summary for 2026-12-03 19:00 to 2026-12-03 20:00 \(Europe\/Berlin\)/,
  );

  // An unknown TZ makes the C library use UTC; the label says so instead of "undefined".
  const bogus = await runCli(['--offline', 'samples/postfix-mail.log'], {
    env: { TZ: 'Bogus/Zone' },
  });
  t.regex(bogus.stdout, /^Period: .* \(UTC\)\n/);

  // The zone is named as TZ names it, not by the runtime's canonical name (Asia/Calcutta).
  const kolkata = await runCli(['--offline', 'samples/postfix-mail.log'], {
    env: { TZ: 'Asia/Kolkata' },
  });
  t.regex(kolkata.stdout, /^Period: .* \(Asia\/Kolkata\)\n/);

  const empty = await runCli([
    'summary',
    '--offline',
    '--year',
    '2026',
    '--since',
    '2026-12-04',
    'samples/postfix-mail.log',
  ]);
  const [heading] = empty.stdout.split('\n');
  t.is(
    heading,
    'mxtriage summary for 2026-12-04 00:00 to the end of the logs (UTC) ' +
      '(no delivery records in it; 131 events were outside it)',
  );
});

test('--quiet prints nothing when nothing happened, and the summary defaults to yesterday', async (t) => {
  const args = ['summary', '--offline', '--year', '2020', 'samples/postfix-mail.log'];
  const quiet = await runCli([...args.slice(0, 2), '--quiet', ...args.slice(2)]);
  t.is(quiet.code, 0, quiet.stderr);
  t.is(quiet.stdout, '', 'the sample is dated 2020 here, so yesterday has nothing');
  const loud = await runCli(args);
  t.regex(loud.stdout, /No deferrals or bounces/);
});

test('--quiet still writes the file -o names, so a metrics file never goes stale', async (t) => {
  const dir = temporaryDir('mxtriage-quiet-');
  const metrics = join(dir, 'mxtriage.prom');
  writeFileSync(metrics, 'stale\n');
  const args = ['summary', '--offline', '--quiet', '--year', '2020', '--format', 'prometheus'];

  const result = await runCli([...args, '-o', metrics, 'samples/postfix-mail.log']);

  t.is(result.code, 0, result.stderr);
  t.is(result.stdout, '');
  t.regex(readFileSync(metrics, 'utf8'), /^mxtriage_lines_read 467$/m);

  // `-o -` is stdout, which --quiet keeps silent.
  const stdout = await runCli([...args, '-o', '-', 'samples/postfix-mail.log']);
  t.is(stdout.code, 0, stdout.stderr);
  t.is(stdout.stdout, '');
});

test('--fail-on exits 3 when a group gets one of the named verdict kinds', async (t) => {
  const none = await runCli([
    '--offline',
    '--fail-on',
    'local-resolver',
    'samples/postfix-mail.log',
  ]);
  t.is(none.code, 0);
  const hit = await runCli(['--offline', '--fail-on', 'not-checked', 'samples/postfix-mail.log']);
  t.is(hit.code, 3);
  // Given twice, the kinds add up: the first is not dropped.
  const twice = await runCli([
    '--offline',
    ...['--fail-on', 'not-checked', '--fail-on', 'local-resolver'],
    'samples/postfix-mail.log',
  ]);
  t.is(twice.code, 3);
});

test('--fail-on not-checked ignores groups of causes that are never re-checked', async (t) => {
  // The sample's refused connection: a `connection` group, whose verdict is always not-checked.
  const log = join(temporaryDir('mxtriage-fail-on-'), 'mail.log');
  const lines = readFileSync(join(ROOT, 'samples', 'postfix-mail.log'), 'utf8').split('\n');
  writeFileSync(log, `${lines.slice(68, 70).join('\n')}\n`);

  const result = await runCli(['--offline', '--fail-on', 'not-checked', log]);

  t.is(result.code, 0, result.stdout);
  t.regex(result.stdout, /margie\.test .*│ connection /);
});

test('-o writes the report atomically to a file, and every report format renders', async (t) => {
  const dir = temporaryDir('mxtriage-out-');
  for (const format of ['markdown', 'html', 'prometheus', 'json']) {
    const path = join(dir, `report.${format}`);
    const result = await runCli([
      '--offline',
      '--format',
      format,
      '-o',
      path,
      'samples/exim-mainlog',
    ]);
    t.is(result.code, 0, result.stderr);
    t.is(result.stdout, '');
    t.regex(readFileSync(path, 'utf8'), /northwind\.test/);
  }

  t.deepEqual(
    readdirSync(dir).filter((name) => name.endsWith('.tmp')),
    [],
  );
  const bad = await runCli([
    '--offline',
    '-o',
    join(dir, 'no', 'such', 'dir.html'),
    'samples/exim-mainlog',
  ]);
  t.is(bad.code, 1);
  t.regex(bad.stderr, /Cannot write .*dir\.html/);
});

test('the cron summary gives each cause of a domain its own verdict line', async (t) => {
  const result = await runCli([
    'summary',
    '--offline',
    '--year',
    '2026',
    '--since',
    '2026-12-03',
    '--until',
    '2026-12-04',
    'samples/postfix-mail.log',
  ]);
  t.is(result.code, 0, result.stderr);
  // Offline, each cause shows the log's own words; the header says why, once.
  t.regex(
    result.stdout,
    /\nDNS not re-checked \(--offline\): each cause shows the log's own words\.\n/,
  );
  t.regex(
    result.stdout,
    /margie\.test: 20 failed attempts\n {4}connection \(14\): connect to mail\.margie\.test\[/,
  );
  t.regex(result.stdout, /\n {4}dns-tempfail \(4\): Host or domain name not found\. Name service/);
  t.regex(result.stdout, /\n {4}expired \(2\): expired, returned to sender\n/);
  t.false(result.stdout.includes('switched off'), 'not on every line');
});

test('a last line still being written is left for the next run, then read whole', async (t) => {
  const dir = temporaryDir('mxtriage-partial-');
  const deferral = LINES.findIndex((line) => line.includes('status=deferred'));
  const before = LINES.slice(0, deferral);
  const cut = 120;
  writeFileSync(join(dir, 'mail.log'), `${text(before)}${LINES[deferral]!.slice(0, cut)}`);

  const first = await summaryRun(dir, ['mail.log']);
  t.is(first['linesRead'], before.length);
  t.is(first['linesNotUnderstood'], 0);

  appendFileSync(join(dir, 'mail.log'), `${LINES[deferral]!.slice(cut)}\n`);
  const second = await summaryRun(dir, ['mail.log']);
  t.is(second['linesRead'], 1);
  t.is(second['linesNotUnderstood'], 0);
  t.deepEqual(second['statuses'], { sent: 0, deferred: 1, bounced: 0, expired: 0 });
});

test('--quiet mails an expiry of mail deferred in an earlier run', async (t) => {
  const dir = temporaryDir('mxtriage-expiry-');
  const log = join(dir, 'mail.log');
  const args = ['summary', '--offline', '--year', '2026', '--state', join(dir, 'state.json'), log];
  // Lines 396-400 of the sample: qmgr expires AFF09186110, deferred to j.smith@northwind.test
  // at lines 6, 161 and 188, and the bounce to its sender is queued.
  const expiry = LINES.slice(395, 400);
  writeFileSync(log, text(LINES.slice(0, 395)));
  await runCli(args);
  appendFileSync(log, text(expiry));

  const quiet = await runCli([...args.slice(0, 1), '--quiet', ...args.slice(1)]);
  t.is(quiet.code, 0, quiet.stderr);
  t.regex(quiet.stdout, /, 1 \(\+1\) expired\.\n/);
  t.regex(quiet.stdout, /\n {2}northwind\.test: 1 failed attempt .*\n {4}expired \(1\): /);
});

test('--quiet says nothing about a last line left for the next run', async (t) => {
  const dir = temporaryDir('mxtriage-held-quiet-');
  const log = join(dir, 'mail.log');
  // Lines 1-5 of the sample are a message's pickup, cleanup and qmgr lines: nothing to mail.
  const deferral = LINES.findIndex((line) => line.includes('status=deferred'));
  writeFileSync(log, `${text(LINES.slice(0, deferral))}${LINES[deferral]!.slice(0, 120)}`);
  const args = ['summary', '--offline', '--quiet', '--state', join(dir, 'state.json'), log];

  const held = await runCli(args);
  t.is(held.code, 0, held.stderr);
  t.is(held.stdout, '');
  t.is(held.stderr, '');
});

test('a summary run refuses to overlap another one on the same state file', async (t) => {
  const dir = temporaryDir('mxtriage-lock-');
  const state = join(dir, 'state.json');
  const lock = `${state}.lock`;
  writeFileSync(join(dir, 'mail.log'), text(PARTS[0] ?? []));
  // A running process other than the run: this test's own.
  writeFileSync(lock, `${process.pid}\n`);

  const refused = await runCli(['summary', '--offline', '--state', state, join(dir, 'mail.log')]);
  t.is(refused.code, 1);
  t.is(refused.stdout, '');
  t.regex(
    refused.stderr,
    new RegExp(
      `State file ${state} is in use by another run: ${lock} is held by process ${process.pid}`,
    ),
  );
  t.deepEqual(readdirSync(dir).sort(), ['mail.log', 'state.json.lock']);

  // The lock of a run that was killed: no process has that id (Linux's pid_max is 2^22).
  writeFileSync(lock, '999999999\n');
  const first = await summaryRun(dir, ['mail.log']);
  t.is(first['linesRead'], PARTS[0]?.length);
  t.deepEqual(
    readdirSync(dir).sort(),
    ['mail.log', 'state.json'],
    'the lock is gone after the run',
  );
});

test('a named pipe nothing writes to is reported under --state too', async (t) => {
  const dir = temporaryDir('mxtriage-fifo-');
  const pipe = join(dir, 'pipe');
  spawnSync('mkfifo', [pipe]);
  const log = join(ROOT, 'samples', 'postfix-mail.log');
  const state = join(dir, 'state.json');

  const result = await runCli([
    'summary',
    '--offline',
    '--year',
    '2026',
    '--state',
    state,
    pipe,
    log,
  ]);

  t.is(result.code, 1);
  t.regex(result.stderr, /named pipe .*pipe: no program opened it for writing/);
  t.regex(result.stdout, /Delivery attempts: 31 delivered, 82 deferred, 10 bounced, 8 expired/);
});

test('a message requeued with postsuper -r in a later run is delivered later there', async (t) => {
  const dir = temporaryDir('mxtriage-requeued-');
  const fixture = readFileSync(join(ROOT, 'test/fixtures/outcomes/postfix-requeued.log'), 'utf8');
  const lines = fixture.split('\n');
  writeFileSync(join(dir, 'mail.log'), text(lines.slice(0, 4)));
  const first = await summaryRun(dir, ['mail.log']);

  appendFileSync(join(dir, 'mail.log'), lines.slice(4).join('\n'));
  const second = await summaryRun(dir, ['mail.log']);

  t.like(first, { outcomes: { 'delivered-later': 0, 'still-queued': 1 } });
  t.like(second, { outcomes: { 'delivered-later': 1, 'still-queued': 0 } });
});

test('a message deleted from the queue in a later run is removed there', async (t) => {
  const dir = temporaryDir('mxtriage-deleted-');
  const fixture = readFileSync(join(ROOT, 'test/fixtures/outcomes/postfix-deleted.log'), 'utf8');
  const [deferredPart, removalPart] = [
    fixture.split('\n').slice(0, 5),
    fixture.split('\n').slice(5),
  ];
  writeFileSync(join(dir, 'mail.log'), text(deferredPart));
  const first = await summaryRun(dir, ['mail.log']);

  appendFileSync(join(dir, 'mail.log'), removalPart.join('\n'));
  const second = await summaryRun(dir, ['mail.log']);
  const state = readFileSync(join(dir, 'state.json'), 'utf8');

  t.like(first, { outcomes: { removed: 0, 'still-queued': 1 } });
  t.like(second, { outcomes: { removed: 1, 'still-queued': 0 } });
  t.false(state.includes('accounts@contoso.test'), 'the state no longer follows it');
  const table = await runCli([
    'summary',
    '--offline',
    '--state',
    join(dir, 'other.json'),
    join(dir, 'mail.log'),
  ]);
  t.regex(table.stdout, /expired 0, removed 1, still queued 0\./);
});
