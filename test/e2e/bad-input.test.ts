import test from 'ava';
import { spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  closeSync,
  existsSync,
  lstatSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { parseNdjson, ROOT, runCli } from '../helpers/cli.js';

const POSTFIX = readFileSync(join(ROOT, 'samples', 'postfix-mail.log'));
const DIR = mkdtempSync(join(tmpdir(), 'mxtriage-bad-'));

test.after.always(() => {
  rmSync(DIR, { recursive: true, force: true });
});

function summaryOf(stdout: string): Record<string, unknown> {
  const records = parseNdjson(stdout);
  return records.find((record) => record['type'] === 'summary') ?? {};
}

function file(name: string, content: string | Buffer): string {
  const path = join(DIR, name);
  writeFileSync(path, content);
  return path;
}

test('a missing file is named, the other inputs are still reported, and the exit code is 1', async (t) => {
  const missing = join(DIR, 'no-such.log');
  const result = await runCli([
    '--offline',
    '--format',
    'ndjson',
    missing,
    'samples/postfix-mail.log',
  ]);
  t.is(result.code, 1);
  t.regex(result.stderr, new RegExp(`${missing}`));
  t.notRegex(result.stderr, /\n\s+at /);
  t.is(summaryOf(result.stdout)['linesRead'], 467);
});

test('a directory, a binary file and a corrupt gzip each get a clear message', async (t) => {
  const binary = file('binary.log', Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 0, 0, 1, 2, 3, 0, 0]));
  const gzip = gzipSync(POSTFIX);
  const truncated = file('mail.log.2.gz', gzip.subarray(0, Math.floor(gzip.length / 2)));
  const result = await runCli(['--offline', '--format', 'ndjson', DIR, binary, truncated]);
  t.is(result.code, 1);
  t.regex(result.stderr, /director/i);
  t.regex(result.stderr, /binary/i);
  t.regex(result.stderr, /mail\.log\.2\.gz.*(truncated|corrupt)/i);
  t.notRegex(result.stderr, /\n\s+at /);
  const summary = summaryOf(result.stdout);
  t.true((summary['linesRead'] as number) > 0, 'the lines before the damage are read');
});

test('a gzip file is read by its magic bytes whatever its name', async (t) => {
  const path = file('renamed.txt', gzipSync(POSTFIX));
  const result = await runCli(['--offline', '--format', 'ndjson', path]);
  t.is(result.code, 0, result.stderr);
  t.is(summaryOf(result.stdout)['linesRead'], 467);
});

test('stdin is read when the file is -', async (t) => {
  const result = await runCli(['--offline', '--format', 'ndjson', '-'], { stdin: POSTFIX });
  t.is(result.code, 0, result.stderr);
  t.is(summaryOf(result.stdout)['linesRead'], 467);
});

test('CRLF endings and a last line without newline give the same groups', async (t) => {
  const crlf = file(
    'crlf.log',
    POSTFIX.toString('utf8').replace(/\n/g, '\r\n').replace(/\r\n$/, ''),
  );
  const plain = await runCli(['--offline', '--format', 'ndjson', 'samples/postfix-mail.log']);
  const windows = await runCli(['--offline', '--format', 'ndjson', crlf]);
  const groups = (stdout: string) =>
    parseNdjson(stdout)
      .filter((record) => record['type'] === 'group')
      .map((record) => [record['domain'], record['cause'], record['attempts']]);
  t.deepEqual(groups(windows.stdout), groups(plain.stdout));
  t.is(summaryOf(windows.stdout)['linesNotUnderstood'], 0);
});

test('empty input is a report of nothing, not an error', async (t) => {
  const empty = file('empty.log', '');
  const result = await runCli(['--offline', empty]);
  t.is(result.code, 0, result.stderr);
  t.regex(result.stdout, /0 read/);
  t.regex(result.stdout, /No deferrals or bounces/);

  const ndjson = await runCli(['--offline', '--format', 'ndjson', empty]);
  t.deepEqual(summaryOf(ndjson.stdout)['inputs'], [empty]);
});

test('a 1 MB line and invalid UTF-8 are counted, and the lines after them are read', async (t) => {
  const lines = POSTFIX.toString('utf8').split('\n');
  const huge = `Dec  3 18:32:52 mailhost postfix/smtp[446]: ${'x'.repeat(1024 * 1024)}`;
  const invalid = Buffer.from(
    'Dec  3 18:32:52 mailhost postfix/smtp[446]: \xff\xfe broken\n',
    'latin1',
  );
  const content = Buffer.concat([
    Buffer.from(`${lines.slice(0, 10).join('\n')}\n${huge}\n`),
    invalid,
    Buffer.from(lines.slice(10).join('\n')),
  ]);
  const result = await runCli(['--offline', '--format', 'ndjson', file('huge.log', content)]);
  t.is(result.code, 0, result.stderr);
  const summary = summaryOf(result.stdout);
  t.is(summary['linesRead'], 469);
  t.is(summary['linesNotUnderstood'], 2);
  t.is((summary['statuses'] as Record<string, number>)['sent'], 31);
});

test('a journal record stamped past the year 9999 is counted, and the records around it are read', async (t) => {
  const message = (line: string) => line.slice(line.indexOf(': ') + 2);
  const [first = '', second = ''] = POSTFIX.toString('utf8')
    .split('\n')
    .filter((line) => line.includes(' postfix/smtp[') && line.includes('status=deferred'));
  const record = (microseconds: string, line: string) =>
    JSON.stringify({
      __REALTIME_TIMESTAMP: microseconds,
      _HOSTNAME: 'mailhost',
      SYSLOG_IDENTIFIER: 'postfix/smtp',
      SYSLOG_PID: '446',
      MESSAGE: message(line),
    });
  const journal = file(
    'journal.json',
    [
      record('1796322772000000', first),
      record('99999999999999999999', second),
      record('1796322773000000', second),
      '',
    ].join('\n'),
  );

  const main = await runCli(['--offline', '--format', 'ndjson', journal]);
  t.is(main.code, 0, main.stderr);
  t.like(summaryOf(main.stdout), { linesRead: 3, linesNotUnderstood: 1, events: 2 });
  const events = await runCli(['events', journal]);
  t.is(events.code, 0, events.stderr);
  t.is(parseNdjson(events.stdout).length, 2);
});

test('--show-unparsed lists its samples in line order and says how many more there are', async (t) => {
  const delivery =
    POSTFIX.toString('utf8')
      .split('\n')
      .find((line) => line.includes(' to=<')) ?? '';
  const odd = delivery.replace(/status=\w+/, 'status=weird');
  const long = `${delivery.slice(0, 60)}${'x'.repeat(70 * 1024)}`;
  const log = file('samples.log', [odd, odd, long, odd, odd, ''].join('\n'));

  const result = await runCli(['--offline', '--show-unparsed', '3', log]);
  const shown = result.stderr
    .split('\n')
    .filter((line) => line.startsWith('not understood') || line.startsWith('input warning'))
    .map((line) => /:(\d+): /.exec(line)?.[1]);
  t.deepEqual(shown, ['1', '2', '3']);
  t.regex(result.stderr, /3 more not shown/);
});

test('--show-unparsed shows the control characters of a damaged line as escapes', async (t) => {
  const delivery =
    POSTFIX.toString('utf8')
      .split('\n')
      .find((line) => line.includes(' to=<')) ?? '';
  // A NUL inside the status word, and a right-to-left override inside the recipient's domain.
  const damaged = delivery
    .replace('status=deferred', 'status=def\u0000erred')
    .replace('@northwind.test', '@north\u202ewind.test');
  const log = file('damaged.log', `${damaged}\n`);

  const result = await runCli(['--offline', '--show-unparsed', '1', log]);
  const shown = result.stderr.split('\n').find((line) => line.startsWith('not understood'));
  t.truthy(shown, result.stderr);
  t.true(shown!.includes('status=def\\x00erred'), shown);
  t.true(shown!.includes('@north\\u202ewind.test'), shown);
  t.false(/[\u0000\u202e]/.test(result.stderr));
});

test('an unreadable file is reported by name', async (t) => {
  if (process.getuid?.() === 0) {
    t.pass('running as root: every file is readable, so this case cannot happen here');
    return;
  }

  const path = file('secret.log', POSTFIX);
  chmodSync(path, 0o000);
  const result = await runCli(['--offline', path]);
  t.is(result.code, 1);
  t.regex(result.stderr, /secret\.log/);
});

test('bad usage exits 2 and names the option and the allowed values', async (t) => {
  const window = await runCli(['--offline', '--window', '7m', 'samples/postfix-mail.log']);
  t.is(window.code, 2);
  t.regex(window.stderr, /--window value: 7m/);
  const format = await runCli(['--format', 'yaml', 'samples/postfix-mail.log']);
  t.is(format.code, 2);
  t.regex(format.stderr, /yaml.*table, ndjson, json/s);
  const noKind = await runCli(['--offline', '--fail-on', ' , ', 'samples/postfix-mail.log']);
  t.is(noKind.code, 2);
  t.regex(noKind.stderr, /--fail-on value: it names no kind: allowed kinds are local-resolver/);
  const failOn = await runCli(['--offline', '--fail-on', 'sky-fell', 'samples/postfix-mail.log']);
  t.is(failOn.code, 2);
  t.regex(failOn.stderr, /--fail-on value: sky-fell: allowed kinds are local-resolver/);
});

const saidInOurWords = test.macro({
  async exec(t, args: string[], message: string) {
    const result = await runCli(args);

    t.is(result.code, 2);
    t.is(result.stderr, `mxtriage: ${message}\n`);
    t.is(result.stdout, '');
  },
  title: (_given, args: string[]) =>
    `a usage error the option parser finds in 'mxtriage ${args.join(' ')}' is said in our words`,
});

test(
  saidInOurWords,
  ['--format', 'xml', 'samples/postfix-mail.log'],
  'Invalid --format value: xml: allowed are table, ndjson, json, markdown, html, prometheus',
);
test(
  saidInOurWords,
  ['check', '--format', 'markdown', 'example.test'],
  'Invalid --format value: markdown: allowed are table, ndjson, json',
);
test(
  saidInOurWords,
  ['--fromat', 'json', 'samples/postfix-mail.log'],
  'Unknown option --fromat: did you mean --format?',
);
test(
  saidInOurWords,
  ['--offline', '--quiet', 'samples/postfix-mail.log'],
  'Unknown option --quiet: it is an option of mxtriage summary',
);
test(
  saidInOurWords,
  ['check', '--window=5m', 'example.test'],
  'Unknown option --window=5m: it is an option of mxtriage and mxtriage summary',
);
test(
  saidInOurWords,
  ['check', '--bogus', 'example.test'],
  'Unknown option --bogus: mxtriage check --help shows every option',
);
test(
  saidInOurWords,
  ['--offline', '--format'],
  'Missing value for --format: allowed are table, ndjson, json, markdown, html, prometheus',
);
test(
  saidInOurWords,
  ['summary', '--state'],
  'Missing value for --state: mxtriage summary --help says what it takes',
);
test(
  saidInOurWords,
  ['check'],
  'Missing argument: domains: use mxtriage check [options] <domains...>',
);

test('an output pipe closed early ends the run quietly with exit 0', async (t) => {
  const big = file('big.log', Buffer.concat(Array.from({ length: 60 }, () => POSTFIX)));
  const result = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
    const command = `node --import tsx test/helpers/run-cli.ts events '${big}' | head -n 1 >/dev/null`;
    const child = spawn('bash', ['-c', `${command}; exit \${PIPESTATUS[0]}`], { cwd: ROOT });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code) => resolve({ code, stderr }));
  });
  t.is(result.stderr, '');
  t.is(result.code, 0);
});

test('terminal control characters in log text never reach the terminal raw', async (t) => {
  const hostile =
    'Dec  3 18:40:00 mailhost postfix/smtp[446]: 1A2B3C4D5E: to=<x@evil.test>, relay=mx.evil.test[127.0.9.9]:25, ' +
    'delay=1, delays=0/0/0/1, dsn=4.7.0, status=deferred (host mx.evil.test[127.0.9.9] said: 451 4.7.0 ' +
    '\u001b]0;pwned\u0007\u001b[2J\u009b31m try later (in reply to RCPT TO command))\n';
  const path = file('hostile.log', hostile);
  for (const format of ['table', 'ndjson']) {
    const result = await runCli(['--offline', '--format', format, path]);
    t.is(result.code, 0, result.stderr);
    t.notRegex(result.stdout, /[\u001b\u0007\u009b]/);
    t.regex(result.stdout, /try later/);
  }
});

test('a recipient domain with control characters is shown with them escaped, not as another name', async (t) => {
  const line = POSTFIX.toString('utf8')
    .split('\n')
    .find((text) => text.includes('to=<j.smith@northwind.test>'));
  const spoof = (line ?? '').replace('@northwind.test>', '@north\u001b[31mwind.test>');
  const path = file('spoof.log', `${line}\n${spoof}\n`);
  for (const format of ['table', 'markdown']) {
    const result = await runCli(['--offline', '--format', format, path]);
    t.is(result.code, 0, result.stderr);
    t.notRegex(result.stdout, /\u001b/);
    t.regex(result.stdout, /north\\+u001b\\?\[31mwind\.test/, format);
  }

  const events = parseNdjson((await runCli(['events', path])).stdout);
  t.deepEqual(
    events.map((event) => [event['recipient'], event['domain']]),
    [
      ['j.smith@northwind.test', 'northwind.test'],
      ['j.smith@north\u001b[31mwind.test', 'north\u001b[31mwind.test'],
    ],
  );
});

test('a domain with a bidi override is its own domain everywhere, escaped, never raw', async (t) => {
  const line = POSTFIX.toString('utf8')
    .split('\n')
    .find((text) => text.includes('to=<j.smith@northwind.test>'));
  const spoof = (line ?? '').replace('@northwind.test>', '@north\u202ewind.test>');
  const path = file('bidi.log', `${line}\n${spoof}\n`);
  for (const format of ['table', 'markdown', 'html', 'ndjson', 'json', 'prometheus']) {
    const result = await runCli(['--offline', '--format', format, path]);
    t.is(result.code, 0, result.stderr);
    t.false(result.stdout.includes('\u202e'), format);
    t.regex(result.stdout, /north\\+u202ewind\.test/, format);
  }

  const ndjson = parseNdjson((await runCli(['--offline', '--format', 'ndjson', path])).stdout);
  const groups = ndjson.filter((record) => record['type'] === 'group');
  t.deepEqual(groups.map((group) => group['domain']).sort(), [
    'northwind.test',
    'north\u202ewind.test',
  ]);
});

test('an IDN is named alike in every human report: A-label, then Unicode', async (t) => {
  const line = POSTFIX.toString('utf8')
    .split('\n')
    .find((text) => text.includes('to=<j.smith@northwind.test>'));
  const path = file('idn.log', `${(line ?? '').replace('@northwind.test>', '@bücher.example>')}\n`);
  const label = 'xn--bcher-kva.example (bücher.example)';
  for (const args of [
    [],
    ['--format', 'markdown'],
    ['--format', 'html'],
    ['summary', '--since', '2026-12-01'],
  ]) {
    const result = await runCli(['--offline', '--year', '2026', ...args, path]);
    t.is(result.code, 0, result.stderr);
    t.true(result.stdout.includes(label), args.join(' '));
    t.false(/xn--bcher-kva\.example(?! \(bücher)/.test(result.stdout), args.join(' '));
  }
});

test('a program name with escape sequences is counted with them escaped, in every report', async (t) => {
  const entry = (identifier: string, message: string) =>
    JSON.stringify({
      __REALTIME_TIMESTAMP: '1796322772000000',
      _HOSTNAME: 'mailhost',
      SYSLOG_IDENTIFIER: identifier,
      MESSAGE: message,
    });
  const path = file(
    'programs.json',
    `${entry('postfix/\u001b[2J\u001b[31msmtp', 'no record shape')}\n${entry('dove\u001b[2Jcot', 'x')}\n`,
  );
  for (const format of ['table', 'markdown', 'prometheus', 'summary']) {
    const args = format === 'summary' ? ['summary', '--since', '2020-01-01'] : ['--format', format];
    const result = await runCli([...args, '--offline', path]);
    t.is(result.code, 0, result.stderr);
    t.notRegex(result.stdout, /\u001b/, format);
  }

  const json = await runCli(['--offline', '--format', 'json', path]);
  const summary = (JSON.parse(json.stdout) as { summary: Record<string, unknown> }).summary;
  t.deepEqual(summary['notUnderstoodBy'], { 'postfix/"\\u001b[2J\\u001b[31msmtp"': 1 });
  t.deepEqual(summary['otherProgramsBy'], { '"dove\\u001b[2Jcot"': 1 });
});

test('with no file and no /var/log/mail.log, the error names the path and where else to look', async (t) => {
  if (existsSync('/var/log/mail.log')) {
    t.pass('this machine has a /var/log/mail.log, so the default log is read instead');
    return;
  }

  const result = await runCli(['--offline']);
  t.is(result.code, 1);
  t.regex(result.stderr, /No such file: \/var\/log\/mail\.log/);
  t.regex(result.stderr, /\/var\/log\/maillog/);
  t.regex(result.stderr, /'journalctl --all -o json \| mxtriage -'/);
});

test('when no input could be read, no report says nothing failed', async (t) => {
  const missing = join(DIR, 'gone.log');
  const [table, summary, markdown] = await Promise.all([
    runCli(['--offline', missing]),
    runCli(['summary', '--offline', missing]),
    runCli(['--offline', '--format', 'markdown', missing]),
  ]);

  for (const result of [table, summary, markdown]) {
    t.is(result.code, 1);
    t.false(/No deferrals or bounces|nothing failed|nothing was deferred/.test(result.stdout));
  }

  t.regex(table.stdout, /\nNo input could be read \(see the input problems above\)/);
  t.regex(summary.stdout, /\nNo input could be read \(see the input problems above\)/);
  t.regex(markdown.stdout, /No input could be read: nothing is known of deferrals or bounces\./);
  t.regex(markdown.stdout, /No incident known: no input could be read\./);

  // With another input read, the report says it is not the whole story.
  const partial = await runCli(['--offline', '--format', 'markdown', missing, '-'], { stdin: '' });
  t.regex(partial.stdout, /1 input could not be read, so this is not the whole story\./);
  t.regex(partial.stdout, /No incident in the inputs read; 1 could not be read\./);
});

test('a line break in a file name cannot write a line of its own on stderr', async (t) => {
  const missing = join(DIR, 'gone\nmxtriage: all inputs read.log');
  const result = await runCli(['--offline', missing]);

  t.is(result.code, 1);
  t.is(result.stderr, `mxtriage: No such file: ${DIR}/gone\\x0amxtriage: all inputs read.log\n`);
});

test('zero-filled blocks left by a crash lose no line', async (t) => {
  const lines = POSTFIX.toString('utf8').split('\n');
  lines[100] = `${'\u0000'.repeat(20_000)}${lines[100] ?? ''}`;
  lines[200] = `\u0000${lines[200] ?? ''}`;
  const result = await runCli([
    '--offline',
    '--format',
    'ndjson',
    file('crashed.log', lines.join('\n')),
  ]);
  t.is(result.code, 0, result.stderr);
  const summary = summaryOf(result.stdout);
  t.is(summary['linesRead'], 467);
  t.is(summary['linesNotUnderstood'], 0);
  t.is(summary['inputWarnings'], 2);
  t.deepEqual(summary['statuses'], { sent: 31, deferred: 82, bounced: 10, expired: 8 });
});

test('input warnings are counted in every human report and in Prometheus', async (t) => {
  const lines = POSTFIX.toString('utf8').split('\n');
  lines[100] = `${'\u0000'.repeat(8192)}${lines[100] ?? ''}`;
  const crashed = file('crashed-reports.log', lines.join('\n'));
  const output = async (args: string[]) => (await runCli(['--offline', ...args, crashed])).stdout;

  t.regex(
    await output([]),
    /from other programs, 1 input warning \(on stderr with --show-unparsed N\)/,
  );
  t.regex(await output(['--format', 'markdown']), /not understood, 1 input warning/);
  t.regex(await output(['--format', 'html']), /not understood, 1 input warning/);
  t.regex(await output(['--format', 'prometheus']), /^mxtriage_input_warnings 1$/m);
  t.regex(
    await output(['summary', '--since', '2026-12-01']),
    /^1 input warning: damaged or cut lines/m,
  );
});

test('a message that expired with no recipient in the log is counted, not dropped', async (t) => {
  const lines = POSTFIX.toString('utf8').split('\n');
  const expiry = lines.find((line) => line.includes('status=expired')) ?? '';
  const path = file('expired-only.log', `${expiry}\n`);
  const ndjson = await runCli(['--offline', '--format', 'ndjson', path]);
  const table = await runCli(['--offline', path]);

  t.like(summaryOf(ndjson.stdout), {
    expiredUnnamed: 1,
    statuses: { sent: 0, deferred: 0, bounced: 0, expired: 0 },
  });
  t.regex(table.stdout, /^Attempts: {2}none \(and 1 message queued before the log began\)$/m);
});

test('-o or --state naming a log being read is a usage error, and the log is left as it was', async (t) => {
  const log = file('kept.log', POSTFIX);
  const link = join(DIR, 'kept-link.log');
  symlinkSync(log, link);

  for (const args of [
    ['--offline', '-o', log, log],
    ['--offline', '-o', link, log],
    ['summary', '--offline', '--state', log, log],
  ]) {
    const result = await runCli(args);
    t.is(result.code, 2, args.join(' '));
    t.regex(result.stderr, /it is the log .*kept\.log being read, which it would replace/);
  }

  t.deepEqual(readFileSync(log), POSTFIX);
});

test('a file given twice under two names is read once, with a warning', async (t) => {
  const log = file('twice.log', POSTFIX);
  const again = `${DIR}/./twice.log`;
  const result = await runCli(['--offline', '--format', 'ndjson', log, again, log]);
  t.is(result.code, 0, result.stderr);
  t.is(summaryOf(result.stdout)['linesRead'], 467);
  t.is(result.stderr.match(/is the same input as .*twice\.log: read once/g)?.length, 2);
});

test('a failed write to stdout is one line and exit 1, not a stack trace', async (t) => {
  if (!existsSync('/dev/full')) return t.pass('no /dev/full on this machine');
  const full = openSync('/dev/full', 'w');
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(ROOT, 'test/helpers/run-cli.ts'),
      '--offline',
      'samples/postfix-mail.log',
    ],
    { cwd: ROOT, stdio: ['ignore', full, 'pipe'] },
  );
  const stderr: Buffer[] = [];
  child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk));
  const [code] = (await once(child, 'close')) as [number];
  closeSync(full);

  const text = Buffer.concat(stderr).toString('utf8');
  t.is(code, 1);
  t.regex(text, /^mxtriage: Cannot write the output to stdout: the disk is full\n$/);
});

test('summary --state with stdin is a usage error: stdin has no place to resume from', async (t) => {
  const result = await runCli(['summary', '--offline', '--state', join(DIR, 'stdin.json'), '-'], {
    stdin: POSTFIX,
  });
  t.is(result.code, 2);
  t.regex(result.stderr, /Invalid --state with -/);
  t.false(existsSync(join(DIR, 'stdin.json')));
});

test('summary --state with --until is a usage error: later lines would be saved as read', async (t) => {
  const state = join(DIR, 'until.json');
  const result = await runCli([
    'summary',
    '--offline',
    '--state',
    state,
    '--until',
    '2026-12-03T18:34',
    'samples/postfix-mail.log',
  ]);
  t.is(result.code, 2);
  t.regex(result.stderr, /Invalid --until with --state/);
  t.false(existsSync(state));
});

test('an escape sequence in a bad option value is shown escaped in the message', async (t) => {
  const result = await runCli([
    '--format',
    '\x1b]52;c;aGk=\x07x\x1b[31m',
    'samples/postfix-mail.log',
  ]);
  t.is(result.code, 2);
  t.is(
    result.stderr,
    'mxtriage: Invalid --format value: \\x1b]52;c;aGk=\\x07x\\x1b[31m: allowed are table, ' +
      'ndjson, json, markdown, html, prometheus\n',
  );
  t.notRegex(result.stderr, /\x1b/);
});

test('control characters in a file name show as escapes in errors and JSON', async (t) => {
  const missing = join(DIR, 'ev\x1b[31mil\u202e.log');
  const result = await runCli(['--offline', '--format', 'ndjson', missing]);
  const summary = parseNdjson(result.stdout).find((record) => record['type'] === 'summary');

  t.is(result.code, 1);
  t.true(result.stderr.includes(`No such file: ${DIR}/ev\\x1b[31mil\\u202e.log`));
  t.deepEqual(summary?.['inputErrors'], [{ input: missing, message: `No such file: ${missing}` }]);
  t.false(/[\x1b\u202e]/.test(result.stdout), 'the NDJSON text holds escapes only');
});

test('inputs that go back in time past closed windows are counted and named in the report', async (t) => {
  const later = file('later.log', POSTFIX.toString('utf8').replaceAll('Dec  3 18:', 'Dec  3 21:'));
  const earlier = file('earlier.log', POSTFIX);
  const inOrder = await runCli(['--offline', '--format', 'ndjson', earlier, later]);
  const backwards = await runCli(['--offline', '--format', 'ndjson', later, earlier]);
  const events = summaryOf(inOrder.stdout)['events'] as number;

  t.is(summaryOf(inOrder.stdout)['eventsOutOfOrder'], 0);
  t.is(summaryOf(backwards.stdout)['eventsOutOfOrder'], events / 2);

  const table = await runCli(['--offline', later, earlier]);
  t.regex(table.stdout, /\nOrder: +\d+ delivery events came after their window had closed/);
});

test('-o to a FIFO writes into it and leaves it a FIFO, not a regular file', async (t) => {
  const fifo = join(DIR, 'report.fifo');
  spawnSync('mkfifo', [fifo]);
  if (!existsSync(fifo)) return t.pass('no mkfifo on this machine');
  const reader = spawn('cat', [fifo]);
  const received: Buffer[] = [];
  reader.stdout.on('data', (chunk: Buffer) => received.push(chunk));
  const done = once(reader, 'close');

  const result = await runCli([
    '--offline',
    '--format',
    'json',
    '-o',
    fifo,
    'samples/postfix-mail.log',
  ]);
  await done;

  t.is(result.code, 0, result.stderr);
  t.true(lstatSync(fifo).isFIFO());
  t.is(
    (JSON.parse(Buffer.concat(received).toString('utf8')) as { summary: { linesRead: number } })
      .summary.linesRead,
    467,
  );
});

test('summary -o naming the --state file or its lock is a usage error, so none is lost', async (t) => {
  const state = join(DIR, 'both.json');
  for (const [output, names] of [
    [state, '--state'],
    [`${state}.lock`, "--state's lock"],
  ] as const) {
    const result = await runCli([
      'summary',
      '--offline',
      '--state',
      state,
      '-o',
      output,
      'samples/postfix-mail.log',
    ]);
    t.is(result.code, 2);
    t.true(result.stderr.includes(`Invalid -o ${output}: it is the file ${names} names`));
    t.false(existsSync(output));
  }
});

/**
 * Runs `mxtriage ARGS` as `runCli` does, with a reader of stdout that goes away: at once,
 * before anything is written (`| true`), or after the first piece (`| head -1`).
 */
async function runWithReaderGone(
  args: readonly string[],
  when: 'at once' | 'after the first piece',
): Promise<{ code: number | null; stderr: string; received: number }> {
  const runner = join(ROOT, 'test/helpers/run-cli.ts');
  const child = spawn(process.execPath, ['--import', 'tsx', runner, ...args], {
    cwd: ROOT,
    env: { ...process.env, TZ: 'UTC' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let received = 0;
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  if (when === 'at once') child.stdout.destroy();
  else {
    child.stdout.once('data', (chunk: Buffer) => {
      received = chunk.length;
      child.stdout.destroy();
    });
  }

  const [code] = (await once(child, 'close')) as [number | null];
  return { code, stderr, received };
}

test('a reader that closes the pipe early keeps the exit code --fail-on gives', async (t) => {
  const args = ['--offline', '--fail-on', 'not-checked', 'samples/postfix-mail.log'];
  for (const format of ['table', 'ndjson', 'markdown']) {
    const result = await runWithReaderGone([...args, '--format', format], 'at once');
    t.is(result.code, 3, `${format}: ${result.stderr}`);
    t.is(result.stderr, '');
  }

  const check = await runWithReaderGone(
    ['check', '--offline', '--fail-on', 'not-checked', 'a.test'],
    'at once',
  );
  t.is(check.code, 3, check.stderr);
});

test('a pipe closed early does not hide an input that could not be read', async (t) => {
  const missing = join(DIR, 'gone-early.log');
  const main = await runWithReaderGone(
    ['--offline', missing, 'samples/postfix-mail.log'],
    'at once',
  );
  t.is(main.code, 1);
  t.is(main.stderr, `mxtriage: No such file: ${missing}\n`);

  // More events than a pipe holds, so that writing goes on after the reader left.
  const big = file('gone-early-big.log', Buffer.concat(Array.from({ length: 60 }, () => POSTFIX)));
  const events = await runWithReaderGone(['events', big, missing], 'after the first piece');
  t.true(events.received > 0);
  t.is(events.code, 1);
  t.is(events.stderr, `mxtriage: No such file: ${missing}\n`);
});

test('a reader that closes the pipe early, with nothing else wrong, gives exit 0', async (t) => {
  const big = file('gone-early-ok.log', Buffer.concat(Array.from({ length: 60 }, () => POSTFIX)));
  for (const args of [
    ['--offline', big],
    ['events', big],
    ['--offline', '--format', 'ndjson', big],
  ]) {
    const result = await runWithReaderGone(args, 'after the first piece');
    t.is(result.code, 0, `${args.join(' ')}: ${result.stderr}`);
    t.is(result.stderr, '');
  }
});

test('-o names the path and says in words why it cannot be written', async (t) => {
  const notADirectory = file('plain.txt', 'x\n');
  const cases = [
    ['/dev/full', 'the disk is full'],
    [join(notADirectory, 'report.md'), `a part of the path is not a directory: ${notADirectory}`],
    [
      join(DIR, 'none', 'report.md'),
      `the directory ${join(DIR, 'none')} does not exist (create it: mkdir -p ${join(DIR, 'none')})`,
    ],
  ];
  if (existsSync('/proc/self')) cases.push(['/proc/report.md', 'files cannot be created in /proc']);

  for (const [output = '', reason] of cases) {
    const result = await runCli(['--offline', '-o', output, 'samples/postfix-mail.log']);
    t.is(result.code, 1);
    t.is(result.stderr, `mxtriage: Cannot write ${output}: ${reason}\n`);
  }
});
