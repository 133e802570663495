import test from 'ava';
import { EXIT, exitCodeFor } from '../../src/cli/exit-codes.js';

const failOn = new Set(['local-resolver', 'recipient-dns'] as const);

test('a run with nothing wrong exits 0, also when --fail-on names no kind it gave', (t) => {
  t.is(exitCodeFor({}), EXIT.ok);
  t.is(exitCodeFor({ kinds: ['recovered', 'healthy'], failOn }), EXIT.ok);
  t.is(exitCodeFor({ kinds: ['local-resolver'] }), EXIT.ok);
});

test('a verdict kind --fail-on names makes the run exit 3', (t) => {
  t.is(exitCodeFor({ kinds: ['healthy', 'recipient-dns'], failOn }), 3);
});

test('an input that could not be read exits 1 unless --fail-on matched', (t) => {
  t.is(exitCodeFor({ inputErrors: 1 }), 1);
  t.is(exitCodeFor({ inputErrors: 2, kinds: ['healthy'], failOn }), 1);
});

test('a --fail-on match exits 3 even when an input could not be read', (t) => {
  t.is(exitCodeFor({ inputErrors: 2, kinds: ['local-resolver'], failOn }), 3);
});
