import test from 'ava';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Analysis } from '../../src/model.js';
import { analyseLogs, type AnalyseOptions } from '../../src/pipeline/analyse.js';

const SAMPLE = fileURLToPath(new URL('../../samples/postfix-mail.log', import.meta.url));
const LINES = readFileSync(SAMPLE, 'utf8').trimEnd().split('\n');
const OPTIONS: AnalyseOptions = { envelope: { year: 2026, timeZone: 'UTC' }, windowMs: 300_000 };

const dir = mkdtempSync(join(tmpdir(), 'mxtriage-analyse-'));
test.after.always(() => rmSync(dir, { recursive: true, force: true }));

function writeLog(name: string, lines: readonly string[]): string {
  const path = join(dir, name);
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

/** Each expired group as domain, cause and statuses. */
function expiredGroups(analysis: Analysis): string[] {
  return analysis.groups
    .filter((group) => group.statuses.expired > 0)
    .map((group) => `${group.domain} ${group.cause} ${JSON.stringify(group.statuses)}`);
}

test('an expiry of recipients deferred in an earlier run is an expired event', async (t) => {
  // The sample's 8 qmgr expiries (`status=expired, returned to sender`) are at lines 396-461,
  // each after its message's deferrals; the earlier run ends before the first of them.
  const split = LINES.findIndex((line) => line.includes('status=expired'));
  const earlier = writeLog('earlier.log', LINES.slice(0, split));
  const later = writeLog('later.log', LINES.slice(split));

  const first = await analyseLogs([earlier], { ...OPTIONS, keepOpen: 1000 });
  const second = await analyseLogs([later], { ...OPTIONS, carried: first.stillOpen ?? [] });
  const whole = await analyseLogs([SAMPLE], OPTIONS);

  t.is(whole.analysis.summary.statuses.expired, 8);
  t.is(second.analysis.summary.statuses.expired, 8);
  t.is(second.analysis.summary.expiredUnnamed, 0);
  t.is(second.analysis.outcomes.expired, 8);
  t.deepEqual(expiredGroups(second.analysis), expiredGroups(whole.analysis));
});

test('an expiry of a message with no recipient seen deferred stays unnamed', async (t) => {
  const expiry = LINES.find((line) => line.includes('status=expired')) ?? '';
  const log = writeLog('expiry-only.log', [expiry]);

  const { analysis } = await analyseLogs([log], OPTIONS);

  t.is(analysis.summary.statuses.expired, 0);
  t.is(analysis.summary.expiredUnnamed, 1);
  t.deepEqual(analysis.groups, []);
});

test('a message delivered after --until is still queued there, not removed', async (t) => {
  const until = Date.parse('2026-12-03T18:34:30Z');
  const cut = await analyseLogs([SAMPLE], { ...OPTIONS, until });
  const whole = await analyseLogs([SAMPLE], OPTIONS);

  t.like(cut.analysis.outcomes, { removed: 0, 'delivered-later': 0, 'still-queued': 19 });
  t.like(whole.analysis.outcomes, { removed: 0, 'delivered-later': 11, 'still-queued': 0 });
});
