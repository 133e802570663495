import test from 'ava';

import { checkVerdicts } from '../../src/verdict/check.js';
import { healthyDiagnosis, resolverCheck, resolverView } from './diagnoses.js';

const NOW = Date.UTC(2026, 11, 3, 19);

test('a checked domain whose every probe answers is healthy, not recovered', (t) => {
  const diagnosis = healthyDiagnosis('woodgrove.test');
  const verdict = checkVerdicts(
    ['woodgrove.test'],
    new Map([['woodgrove.test', diagnosis]]),
    NOW,
  ).get('woodgrove.test');

  t.is(verdict?.kind, 'healthy');
  t.is(verdict?.detail, undefined);
  t.deepEqual(verdict?.basis, ['probes']);
  t.is(verdict?.checkedAt, diagnosis.checkedAt);
  t.regex(verdict?.reason ?? '', /^every probe answers \(the only authoritative server/);
});

test('a checked domain with a fault gets the same verdict as a failing group would', (t) => {
  const diagnosis = healthyDiagnosis('woodgrove.test');
  diagnosis.local = resolverView('/etc/resolv.conf', [resolverCheck('127.0.0.1:53', 'servfail')]);
  const verdict = checkVerdicts(
    ['woodgrove.test'],
    new Map([['woodgrove.test', diagnosis]]),
    NOW,
  ).get('woodgrove.test');

  t.is(verdict?.kind, 'local-resolver');
  t.is(verdict?.detail, 'servfail');
});

test('checked domains are not checked when the re-check is off', (t) => {
  const verdicts = checkVerdicts(['a.test', 'b.test'], undefined, NOW);

  t.deepEqual(
    [...verdicts.values()].map((verdict) => verdict.kind),
    ['not-checked', 'not-checked'],
  );
});

test('a checked name that is no host name is inconclusive, not re-checked', (t) => {
  const verdict = checkVerdicts(['postmaster'], new Map(), NOW).get('postmaster');

  t.is(verdict?.kind, 'inconclusive');
  t.is(verdict?.detail, 'invalid-name');
  t.is(
    verdict?.reason,
    'recipient domain "postmaster" is not a valid domain name: no DNS re-check',
  );
});
