import test from 'ava';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Analysis } from '../../src/model.js';
import { escapeLabelValue, formatPrometheus } from '../../src/output/prometheus.js';
import { requireProgram } from '../helpers/programs.js';
import { labAnalysis } from './helpers.js';

const GOLDEN = new URL('../golden/report.prom', import.meta.url);
const NODE_EXPORTER = '/usr/bin/prometheus-node-exporter';

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const LABEL_VALUE = '"(?:[^"\\\\\\n]|\\\\[\\\\"n])*"';
const SAMPLE = new RegExp(
  `^(${NAME})(?:\\{(?:[a-zA-Z_]\\w*=${LABEL_VALUE})(?:,[a-zA-Z_]\\w*=${LABEL_VALUE})*\\})? ` +
    '(-?[0-9.e+-]+|NaN|[+-]Inf)$',
);

/** Checks the text exposition format line by line; returns the samples by metric name. */
function parseExposition(text: string): Map<string, string[]> {
  if (!text.endsWith('\n')) throw new Error('no final line feed');
  const samples = new Map<string, string[]>();
  const typed = new Set<string>();
  let current = '';
  for (const line of text.slice(0, -1).split('\n')) {
    const comment = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line);
    if (comment !== null) {
      const [, kind, name, rest] = comment as unknown as string[];
      if (kind === 'HELP' && (samples.has(name!) || typed.has(name!))) {
        throw new Error(`family ${name} twice`);
      }

      if (kind === 'TYPE') {
        if (rest !== 'gauge') throw new Error(`type ${rest}`);
        typed.add(name!);
      }

      current = name!;
      samples.set(name!, samples.get(name!) ?? []);
      continue;
    }

    const sample = SAMPLE.exec(line);
    if (sample === null) throw new Error(`not a sample: ${line}`);
    if (sample[1] !== current || !typed.has(current)) throw new Error(`out of family: ${line}`);
    samples.get(current)!.push(line);
  }

  return samples;
}

test('the lab metrics match the golden file', (t) => {
  const text = formatPrometheus(labAnalysis());
  if (process.env['UPDATE_GOLDEN'] === '1') writeFileSync(GOLDEN, text);

  t.is(text, readFileSync(GOLDEN, 'utf8'));
});

test('every family has HELP and TYPE and a mxtriage_ name, and samples parse', (t) => {
  const families = parseExposition(formatPrometheus(labAnalysis()));

  t.true([...families.keys()].every((name) => name.startsWith('mxtriage_')));
  t.deepEqual([...families.keys()].sort(), [
    'mxtriage_bounces',
    'mxtriage_deferrals',
    'mxtriage_events_out_of_order',
    'mxtriage_expirations',
    'mxtriage_incidents',
    'mxtriage_input_warnings',
    'mxtriage_inputs_unreadable',
    'mxtriage_last_run_timestamp_seconds',
    'mxtriage_lines_not_understood',
    'mxtriage_lines_not_understood_by_source',
    'mxtriage_lines_read',
    'mxtriage_message_outcomes',
    'mxtriage_period_end_timestamp_seconds',
    'mxtriage_period_start_timestamp_seconds',
    'mxtriage_verdict_groups',
  ]);
});

test('deferrals and bounces are summed over windows by domain and cause', (t) => {
  const families = parseExposition(formatPrometheus(labAnalysis()));

  t.true(
    families
      .get('mxtriage_deferrals')!
      .includes('mxtriage_deferrals{domain="northwind.test",cause="dns-tempfail"} 18'),
  );
  t.true(
    families
      .get('mxtriage_bounces')!
      .includes('mxtriage_bounces{domain="wingtip.test",cause="null-mx"} 3'),
  );
  t.is(families.get('mxtriage_deferrals')!.length, 9);
  t.is(families.get('mxtriage_bounces')!.length, 5);
});

test('a domain with control characters is a series of its own, not merged into a look-alike', (t) => {
  const analysis = labAnalysis();
  const real = analysis.groups.find((group) => group.domain === 'northwind.test')!;
  const lookAlike = { ...real, domain: 'north\u001b[31mwind.test' };
  const families = parseExposition(
    formatPrometheus({ ...analysis, groups: [...analysis.groups, lookAlike] }),
  );
  const series = families
    .get('mxtriage_deferrals')!
    .filter((sample) => sample.includes('wind.test') && sample.includes('dns-tempfail'));

  t.deepEqual(series, [
    `mxtriage_deferrals{domain="\\"north\\\\u001b[31mwind.test\\"",cause="dns-tempfail"} ${real.statuses.deferred}`,
    'mxtriage_deferrals{domain="northwind.test",cause="dns-tempfail"} 18',
  ]);
});

test('a domain that spells out an escape is a series of its own, not the escaped one', (t) => {
  const analysis = labAnalysis();
  const real = analysis.groups.find((group) => group.domain === 'northwind.test')!;
  const spelled = { ...real, domain: '"north\\u001b[31mwind.test"' };
  const escaped = { ...real, domain: 'north\u001b[31mwind.test' };
  const families = parseExposition(formatPrometheus({ ...analysis, groups: [spelled, escaped] }));
  const series = families.get('mxtriage_deferrals')!;

  t.is(series.length, 2);
  t.is(new Set(series).size, 2);
});

test('verdict kinds, outcomes, unparsed lines and the run time are exposed', (t) => {
  const analysis = labAnalysis();
  const families = parseExposition(formatPrometheus(analysis));

  t.is(families.get('mxtriage_verdict_groups')!.length, 15);
  t.true(
    families
      .get('mxtriage_verdict_groups')!
      .includes('mxtriage_verdict_groups{kind="recipient-dns"} 4'),
  );
  t.true(
    families.get('mxtriage_verdict_groups')!.includes('mxtriage_verdict_groups{kind="healthy"} 0'),
  );
  t.deepEqual(families.get('mxtriage_message_outcomes'), [
    'mxtriage_message_outcomes{outcome="delivered-later"} 4',
    'mxtriage_message_outcomes{outcome="bounced"} 1',
    'mxtriage_message_outcomes{outcome="expired"} 6',
    'mxtriage_message_outcomes{outcome="removed"} 0',
    'mxtriage_message_outcomes{outcome="still-queued"} 2',
  ]);
  t.deepEqual(families.get('mxtriage_lines_not_understood'), ['mxtriage_lines_not_understood 3']);
  t.deepEqual(families.get('mxtriage_last_run_timestamp_seconds'), [
    `mxtriage_last_run_timestamp_seconds ${analysis.generatedAt / 1000}`,
  ]);
});

test('label values escape backslash, quote and line feed; a domain with controls is quoted', (t) => {
  t.is(escapeLabelValue('a\\b"c\nd\x1b[31me'), 'a\\\\b\\"c\\nde');
  const analysis = labAnalysis();
  const odd = { ...analysis.groups[0]!, domain: 'we"ird\\dom\nain.test' };
  const text = formatPrometheus({ ...analysis, groups: [odd] });

  t.notThrows(() => parseExposition(text));
  t.true(text.includes('domain="\\"we\\\\\\"ird\\\\\\\\dom\\\\nain.test\\""'));
});

test('an empty run still gives every family and the run time', (t) => {
  const analysis = labAnalysis();
  const { periodStart: _start, periodEnd: _end, ...summary } = analysis.summary;
  const empty: Analysis = { ...analysis, summary, groups: [], incidents: [] };
  const families = parseExposition(formatPrometheus(empty));

  t.deepEqual(families.get('mxtriage_deferrals'), []);
  t.false(families.has('mxtriage_period_start_timestamp_seconds'));
  t.is(families.get('mxtriage_last_run_timestamp_seconds')!.length, 1);
});

// node_exporter is an extra check of the format, not a part mxtriage runs with: where the
// package is not installed the test is skipped with a warning, except under CI, where it fails.
const hasExporter = requireProgram(test, NODE_EXPORTER, 'prometheus-node-exporter');

(hasExporter ? test : test.skip)(
  'node_exporter reads the file without a scrape error',
  async (t) => {
    const directory = mkdtempSync(join(tmpdir(), 'mxtriage-textfile-'));
    const analysis = labAnalysis();
    const odd = { ...analysis.groups[0]!, domain: 'we"ird\\dom\nain.test' };
    const text = formatPrometheus({ ...analysis, groups: [...analysis.groups, odd] });
    writeFileSync(join(directory, 'mxtriage.prom'), text);
    const port = await freePort();
    const exporter = spawn(
      NODE_EXPORTER,
      [
        '--collector.disable-defaults',
        '--collector.textfile',
        `--collector.textfile.directory=${directory}`,
        `--web.listen-address=127.0.0.1:${port}`,
      ],
      { stdio: 'ignore' },
    );
    t.teardown(() => {
      exporter.kill();
      rmSync(directory, { recursive: true, force: true });
    });

    const metrics = await scrape(`http://127.0.0.1:${port}/metrics`);

    t.regex(metrics, /^node_textfile_scrape_error 0$/m);
    t.regex(metrics, /^mxtriage_deferrals\{cause="dns-tempfail",domain="northwind\.test"\} 18$/m);
    t.regex(metrics, /^mxtriage_lines_not_understood 3$/m);
    t.true(metrics.includes('domain="\\"we\\\\\\"ird\\\\\\\\dom\\\\nain.test\\""'));
  },
);

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** The exporter needs a moment to listen: ask until it answers, a bounded number of times. */
async function scrape(url: string): Promise<string> {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    try {
      const response = await fetch(url);
      if (response.ok) return await response.text();
    } catch {
      // Not listening yet.
    }

    await sleep(100);
  }

  throw new Error(`${url} never answered`);
}

test('inputs that could not be read are counted, so a partial run does not look complete', (t) => {
  const analysis = labAnalysis();
  const partial: Analysis = {
    ...analysis,
    summary: {
      ...analysis.summary,
      inputErrors: [
        { input: '/var/log/mail.log.1', message: 'Permission denied: /var/log/mail.log.1' },
      ],
    },
  };

  t.deepEqual(parseExposition(formatPrometheus(analysis)).get('mxtriage_inputs_unreadable'), [
    'mxtriage_inputs_unreadable 0',
  ]);
  t.deepEqual(parseExposition(formatPrometheus(partial)).get('mxtriage_inputs_unreadable'), [
    'mxtriage_inputs_unreadable 1',
  ]);
});
