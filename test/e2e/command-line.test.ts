import test from 'ava';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseNdjson, ROOT, runCli } from '../helpers/cli.js';

// Nothing here may reach a real DNS server: every DNS role points at a closed loopback port.
const NOWHERE = ['--local-resolver', '127.0.0.1:9', '--root', '127.0.0.1:9', '--timeout', '300'];

test('options given before the command name apply to the command', async (t) => {
  const result = await runCli([...NOWHERE, 'check', '--format', 'ndjson', 'example.test']);
  t.is(result.code, 0, result.stderr);
  const [check] = parseNdjson(result.stdout);
  const verdict = check?.['verdict'] as { kind: string; probes?: { server: string }[] };
  t.is(verdict.kind, 'inconclusive');
  t.true((verdict.probes ?? []).every((probe) => probe.server.startsWith('127.0.0.1:9')));
});

test('an option before the command that the command does not take is a usage error', async (t) => {
  const result = await runCli(['--window', '5m', 'check', 'example.test']);
  t.is(result.code, 2);
  t.regex(result.stderr, /Option --window does not apply to 'mxtriage check'/);
});

test('--offline before summary switches the re-check off', async (t) => {
  const result = await runCli([
    '--offline',
    'summary',
    '--format',
    'ndjson',
    '--since',
    '2020-01-01',
    'samples/postfix-mail.log',
  ]);
  t.is(result.code, 0, result.stderr);
  const groups = parseNdjson(result.stdout).filter((record) => record['type'] === 'group');
  t.true(groups.length > 0);
  t.true(groups.every((group) => (group['verdict'] as { kind: string }).kind === 'not-checked'));
});

test('events accepts --offline, which scripts pass to every command', async (t) => {
  const result = await runCli(['events', '--offline', 'samples/exim-mainlog']);
  t.is(result.code, 0, result.stderr);
  // 207: the sample's 150 `==`, 18 `**` and 39 `=>` lines (awk '{print $4}' | sort | uniq -c).
  t.is(parseNdjson(result.stdout).length, 207);
});

test('an input that could not be opened is listed only among the problems', async (t) => {
  const result = await runCli([
    '--offline',
    '--format',
    'json',
    '/no/such.log',
    'samples/exim-mainlog',
  ]);
  const summary = (JSON.parse(result.stdout) as { summary: Record<string, unknown> }).summary;
  t.deepEqual(summary['inputs'], ['samples/exim-mainlog']);
  t.deepEqual(
    (summary['inputErrors'] as { input: string }[]).map((error) => error.input),
    ['/no/such.log'],
  );
});

test('a journald record whose MESSAGE was left out says how to export it', async (t) => {
  const record =
    '{"__REALTIME_TIMESTAMP":"1764786772000000","_HOSTNAME":"mx","SYSLOG_IDENTIFIER":"postfix/smtp","_PID":"12","MESSAGE":null}\n' +
    '{"__REALTIME_TIMESTAMP":"1764786773000000","_HOSTNAME":"mx","SYSLOG_IDENTIFIER":"kernel","MESSAGE":null}\n' +
    '{"__REALTIME_TIMESTAMP":"1764786774000000","_HOSTNAME":"mx","MESSAGE":null}\n';
  const result = await runCli(['--offline', '--format', 'json', '-'], { stdin: record });
  const summary = (JSON.parse(result.stdout) as { summary: Record<string, unknown> }).summary;
  // The mail server's, and one whose program is not known either.
  t.is(summary['linesNotUnderstood'], 2);
  t.deepEqual(summary['notUnderstoodBy'], {
    'journald (MESSAGE left out: export with journalctl --all)': 2,
  });
  // Another program's long message is one of its lines, not a mail line lost.
  t.deepEqual(summary['otherProgramsBy'], { kernel: 1 });
});

const tooLong = test.macro({
  async exec(t, option: string, value: string) {
    const result = await runCli([...NOWHERE, 'check', option, value, 'example.test']);

    t.is(result.code, 2);
    t.is(
      result.stderr.trim(),
      `mxtriage: Invalid ${option} value: ${value}: allowed are times up to 2147483647 ms ` +
        '(about 24.8 days, such as 24d)',
    );
    t.false(result.stderr.includes('TimeoutOverflowWarning'));
    t.is(result.stdout, '');
  },
  title: (_given, option, value) =>
    `${option} ${value}, longer than a timer can wait, is a usage error`,
});

test(tooLong, '--budget', '25d');
test(tooLong, '--timeout', '100000000000');

test('every zero form of --budget checks nothing and claims no check', async (t) => {
  for (const zero of ['0', '0s', '0ms']) {
    const result = await runCli([
      ...NOWHERE,
      'check',
      '--format',
      'ndjson',
      '--budget',
      zero,
      'example.test',
    ]);

    t.is(result.code, 0, result.stderr);
    t.deepEqual(parseNdjson(result.stdout), [
      {
        type: 'check',
        domain: 'example.test',
        verdict: {
          kind: 'not-checked',
          reason: 'the re-check budget is 0 ms: no DNS query was made',
        },
      },
    ]);
  }
});

test('a domain named twice in other spellings is checked once, with a warning', async (t) => {
  const result = await runCli([
    ...NOWHERE,
    'check',
    '--format',
    'ndjson',
    '--budget',
    '0',
    'example.test',
    'EXAMPLE.TEST.',
    'Example.Test',
  ]);

  t.is(result.code, 0, result.stderr);
  t.deepEqual(
    parseNdjson(result.stdout).map((record) => record['domain']),
    ['example.test'],
  );
  t.regex(
    result.stderr,
    /warning: EXAMPLE\.TEST\. is the same domain as example\.test: checked once/,
  );
  t.regex(
    result.stderr,
    /warning: Example\.Test is the same domain as example\.test: checked once/,
  );
});

test('a missing --root-hints file is a usage error with --offline too', async (t) => {
  const result = await runCli([
    '--offline',
    '--root-hints',
    '/no/such/named.root',
    'samples/postfix-mail.log',
  ]);

  t.is(result.code, 2);
  t.is(result.stderr, 'mxtriage: Invalid --root-hints value: /no/such/named.root: no such file\n');
});

// --offline: `public` names real resolvers on the internet, and no test may ask them.
test('--resolver PUBLIC is accepted through the command line', async (t) => {
  for (const spelling of ['public', 'PUBLIC', ' Public ']) {
    const result = await runCli([
      'check',
      '--offline',
      '--format',
      'ndjson',
      '--resolver',
      spelling,
      'example.test',
    ]);

    t.is(result.code, 0, result.stderr);
    t.deepEqual(parseNdjson(result.stdout), [
      {
        type: 'check',
        domain: 'example.test',
        verdict: { kind: 'not-checked', reason: 'the DNS re-check was switched off (--offline)' },
      },
    ]);
  }
});

test('a bad server address names the option it was given to', async (t) => {
  const hint = 'an IP address with an optional port, such as 192.0.2.53 or [2001:db8::53]:5353';
  for (const [option, value, message] of [
    ['--resolver', 'dns.example', `dns.example: use public or ${hint}`],
    ['--local-resolver', 'dns.example', `dns.example: use ${hint}`],
    ['--root', '127.0.0.1:0', '127.0.0.1:0: use a port from 1 to 65535'],
  ] as const) {
    const result = await runCli(['check', '--offline', option, value, 'example.test']);

    t.is(result.code, 2, option);
    t.is(result.stderr, `mxtriage: Invalid ${option} value: ${message}\n`);
  }
});

test("--version prints package.json's version, also under another package's npm", async (t) => {
  const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    version: string;
  };
  const result = await runCli(['--version'], { env: { npm_package_version: '9.9.9' } });

  t.is(result.code, 0, result.stderr);
  t.is(result.stdout, `${version}\n`);
});

test('the help for --since names every form it takes, now included', async (t) => {
  const result = await runCli(['--help']);
  const help = result.stdout.replace(/\s+/g, ' ');

  t.is(result.code, 0, result.stderr);
  t.true(
    help.includes(
      '--since <time> ignore events before: ISO date or time, today, yesterday, now, 2h (ago)',
    ),
  );
});

test('the check table is 160 columns wide off a terminal, as the main table is', async (t) => {
  const result = await runCli(['check', '--offline', 'example.test']);
  const border = result.stdout.split('\n')[0] ?? '';

  t.is(result.code, 0, result.stderr);
  // The reason column takes what the domain and verdict columns leave of 160, at least 40.
  t.is(/─+┐$/.exec(border)?.[0].length, 160 - 50 + 1);
});

test('a --postfix-queue-dir without a resolv.conf copy is a usage error, online or not', async (t) => {
  for (const mode of [NOWHERE, ['--offline']]) {
    const result = await runCli([
      ...mode,
      'check',
      '--postfix-queue-dir',
      '/no/such/spool',
      'example.test',
    ]);

    t.is(result.code, 2);
    t.regex(
      result.stderr,
      /Invalid --postfix-queue-dir value: \/no\/such\/spool: no such directory/,
    );
  }
});

test('the Markdown and HTML reports show times in --timezone', async (t) => {
  const args = ['--offline', '--year', '2026', '--timezone', 'Europe/Berlin'];
  const markdown = await runCli([...args, '--format', 'markdown', 'samples/postfix-mail.log']);
  const html = await runCli([...args, '--format', 'html', 'samples/postfix-mail.log']);

  t.is(markdown.code, 0, markdown.stderr);
  // The sample's year-less stamps are read as Berlin's wall clock too, and shown as they were
  // written, with the offset: in UTC the report would say 17:32:52 to 17:36:10.
  t.regex(markdown.stdout, /^- \*\*Period:\*\* 2026-12-03 18:32:52 to 18:36:10 \+01:00 \(/m);
  t.regex(markdown.stdout, /^- \*\*Times in:\*\* Europe\/Berlin$/m);
  t.is(html.code, 0, html.stderr);
  t.regex(html.stdout, /<dd>2026-12-03 18:32:52 to 18:36:10 \+01:00 \(/);
});

test('-o with an empty value or a directory name is a usage error', async (t) => {
  for (const [command, value, shown] of [
    [[], '', '""'],
    [['summary'], '', '""'],
    [[], 'reports/', 'reports/'],
  ] as const) {
    const result = await runCli([...command, '--offline', '-o', value, 'samples/postfix-mail.log']);
    t.is(result.code, 2);
    t.is(result.stderr, `mxtriage: Invalid -o value: ${shown}: give a file name\n`);
    t.is(result.stdout, '');
  }
});

test('--state naming no file, stdout, a directory or a pipe is a usage error at once', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'mxtriage-fifo-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const fifo = join(dir, 'state.fifo');
  execFileSync('mkfifo', [fifo]);
  for (const [value, reason] of [
    ['', '"": give a file name'],
    ['states/', 'states/: give a file name'],
    ['-', '-: give a file name (a state is read and written back, which a pipe cannot be)'],
    ['samples', 'samples: a directory; give a file name'],
    ['/dev/null', '/dev/null: not a regular file; give a file name'],
    [fifo, `${fifo}: not a regular file; give a file name`],
  ] as const) {
    const result = await runCli([
      'summary',
      '--offline',
      '--state',
      value,
      'samples/postfix-mail.log',
    ]);
    t.is(result.code, 2);
    t.is(result.stderr, `mxtriage: Invalid --state value: ${reason}\n`);
    t.is(result.stdout, '', 'no report before the error');
  }
});

test('-o naming a directory is a usage error before any log is read', async (t) => {
  const result = await runCli(['--offline', '-o', 'samples', 'samples/postfix-mail.log']);

  t.is(result.code, 2);
  t.is(result.stderr, 'mxtriage: Invalid -o value: samples: a directory; give a file name\n');
});

test('a mistyped command read as a file name gets a hint', async (t) => {
  const result = await runCli(['chek', 'example.test']);

  t.is(result.code, 1);
  t.true(
    result.stderr.includes(
      'mxtriage: warning: chek is no file here and looks like a command: ' +
        'did you mean mxtriage check?\n',
    ),
    result.stderr,
  );
  // A real file name that is no command gets no such hint.
  t.false((await runCli(['--offline', 'samples/postfix-mail.log'])).stderr.includes('looks like'));
});

test('check names an IDN by its A-label with the Unicode form it was given in', async (t) => {
  const table = await runCli(['check', '--budget', '0', 'bücher.test']);
  const ndjson = await runCli(['check', '--budget', '0', '--format', 'ndjson', 'bücher.test']);

  t.is(table.code, 0, table.stderr);
  t.regex(table.stdout, /│ xn--bcher-kva\.test \(bücher\.test\) │/);
  const [record] = parseNdjson(ndjson.stdout);
  t.is(record?.['domain'], 'xn--bcher-kva.test');
  t.is(record?.['domainDisplay'], 'bücher.test');
});
