import test from 'ava';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseNdjson, ROOT, runCli, type CliResult } from '../helpers/cli.js';

// Golden triplets: a log written by a real mail server (samples/), the command, and the
// expected NDJSON (test/golden/lab-1/). UPDATE_GOLDEN=1 rewrites the expected files; review
// the diff against samples/README.md before committing one.

const SAMPLES = ['postfix-mail.log', 'exim-mainlog', 'sendmail-mail.log'] as const;

/** What was true of each recipient domain while the samples were written (samples/README.md),
 *  as the cause the Postfix log shows for it. */
const POSTFIX_CAUSES: Record<string, string[]> = {
  'northwind.test': ['dns-tempfail', 'expired'],
  'contoso.test': ['dns-tempfail', 'expired'],
  'adventure-works.test': ['dns-notfound'],
  'tailspin.test': ['dns-nodata'],
  'wingtip.test': ['null-mx'],
  'litware.test': ['mx-unresolvable'],
  'proseware.test': ['dns-tempfail', 'expired', 'remote-tempfail'],
  'lucerne.test': ['remote-reject'],
  'margie.test': ['connection', 'dns-tempfail', 'expired'],
  'woodgrove.test': ['dns-tempfail'],
  'fourthcoffee.test': ['dns-tempfail'],
  'sender.test': ['dns-tempfail'],
};

/** Where the other mail servers' logs differ: Exim logs `Unrouteable address` for no-data and
 *  NXDOMAIN alike. In the Sendmail capture, northwind and contoso were retried silently from the
 *  client queue (no expiry logged), and proseware and margie show no deferral from the resolver
 *  outage. */
const EXPECTED_CAUSES: Record<(typeof SAMPLES)[number], Record<string, string[]>> = {
  'postfix-mail.log': POSTFIX_CAUSES,
  'exim-mainlog': { ...POSTFIX_CAUSES, 'tailspin.test': ['dns-notfound'] },
  'sendmail-mail.log': {
    ...POSTFIX_CAUSES,
    'northwind.test': ['dns-tempfail'],
    'contoso.test': ['dns-tempfail'],
    'proseware.test': ['expired', 'remote-tempfail'],
    'margie.test': ['connection', 'expired'],
  },
};

/** Each sample's `--offline --year 2026 --format ndjson` run, made once for both its checks. */
const offlineRuns = new Map<string, Promise<CliResult>>();

function offlineRun(sample: (typeof SAMPLES)[number]): Promise<CliResult> {
  let run = offlineRuns.get(sample);
  if (run === undefined) {
    run = runCli(['--offline', '--year', '2026', '--format', 'ndjson', join('samples', sample)]);
    offlineRuns.set(sample, run);
  }

  return run;
}

for (const sample of SAMPLES) {
  test(`the ${sample} sample groups every domain under the cause that was true of it`, async (t) => {
    const result = await offlineRun(sample);
    t.is(result.code, 0, result.stderr);
    const groups = parseNdjson(result.stdout).filter((record) => record['type'] === 'group');
    const causes: Record<string, string[]> = {};
    for (const group of groups) {
      const domain = group['domain'] as string;
      causes[domain] = [...(causes[domain] ?? []), group['cause'] as string].sort();
    }

    t.deepEqual(causes, EXPECTED_CAUSES[sample]);
  });

  test(`the ${sample} sample matches its golden NDJSON`, async (t) => {
    const result = await offlineRun(sample);
    t.is(result.code, 0, result.stderr);
    const actual = parseNdjson(result.stdout).map(withoutRunTime);
    const golden = join(ROOT, 'test', 'golden', 'lab-1', `${sample}.ndjson`);
    if (process.env['UPDATE_GOLDEN'] === '1') {
      writeFileSync(golden, actual.map((record) => JSON.stringify(record)).join('\n') + '\n');
    }

    t.deepEqual(actual, parseNdjson(readFileSync(golden, 'utf8')));
  });
}

test('every line of the three samples is understood', async (t) => {
  const paths = SAMPLES.map((sample) => join('samples', sample));
  const result = await runCli(['--offline', '--format', 'json', ...paths]);
  const document = JSON.parse(result.stdout) as { summary: Record<string, unknown> };
  t.is(document.summary['linesRead'], 467 + 382 + 171);
  t.is(document.summary['linesNotUnderstood'], 0);
  t.is(document.summary['linesOtherPrograms'], 0);
});

function withoutRunTime(record: Record<string, unknown>): Record<string, unknown> {
  const { generatedAt: _generatedAt, ...rest } = record;
  return rest;
}
