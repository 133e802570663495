import test from 'ava';

import { compressedTwins, isRotatedCopy, orderInputs } from '../../src/input/order-inputs.js';

const orders = test.macro((t, given: readonly string[], expected: readonly string[]) => {
  t.deepEqual(orderInputs(given), expected);
});

test(
  'a numbered rotated set is read oldest first, the live file last',
  orders,
  ['mail.log.2.gz', 'mail.log', 'mail.log.1'],
  ['mail.log.2.gz', 'mail.log.1', 'mail.log'],
);

test(
  'numbers sort as numbers, not as text',
  orders,
  ['/var/log/mail.log', '/var/log/mail.log.10.gz', '/var/log/mail.log.9.gz', '/var/log/mail.log.1'],
  ['/var/log/mail.log.10.gz', '/var/log/mail.log.9.gz', '/var/log/mail.log.1', '/var/log/mail.log'],
);

test(
  'date-suffixed rotations are read oldest first',
  orders,
  ['maillog', 'maillog-20261201.gz', 'maillog-20261124.gz', 'maillog-20261130'],
  ['maillog-20261124.gz', 'maillog-20261130', 'maillog-20261201.gz', 'maillog'],
);

test(
  'unrelated files keep their order and each set sits where its first member was given',
  orders,
  ['exim-mainlog', 'mail.log', 'other.txt', 'mail.log.1', 'exim-mainlog.1.gz'],
  ['exim-mainlog.1.gz', 'exim-mainlog', 'mail.log.1', 'mail.log', 'other.txt'],
);

test(
  'stdin stays where it was given',
  orders,
  ['mail.log', '-', 'mail.log.1', '-'],
  ['mail.log.1', 'mail.log', '-', '-'],
);

test(
  'files in different directories are different sets',
  orders,
  ['a/mail.log', 'b/mail.log.1', 'a/mail.log.1', 'b/mail.log'],
  ['a/mail.log.1', 'a/mail.log', 'b/mail.log.1', 'b/mail.log'],
);

test('the given list is not changed', (t) => {
  const given = ['mail.log', 'mail.log.1'];
  orderInputs(given);

  t.deepEqual(given, ['mail.log', 'mail.log.1']);
});

test(
  'rotations named by the dateformat -%Y-%m-%d are read oldest first, the live file last',
  orders,
  ['mail.log', 'mail.log-2026-12-03', 'mail.log-2026-12-02.gz', 'mail.log-2026-11-30.gz'],
  ['mail.log-2026-11-30.gz', 'mail.log-2026-12-02.gz', 'mail.log-2026-12-03', 'mail.log'],
);

test('a copy named by the dateformat -%Y-%m-%d is a rotated copy, not a live log', (t) => {
  t.true(isRotatedCopy('/var/log/mail.log-2026-12-02'));
  t.true(isRotatedCopy('/var/log/mail.log-2026-12-02-13.gz'));
  t.false(isRotatedCopy('/var/log/2026-12-02/mail.log'));
});

test('a rotated copy given plain and compressed has its compressed twin named', (t) => {
  const given = ['mail.log.2', 'mail.log.2.gz', 'mail.log.1', 'mail.log', 'mail.log.gz'];
  const dated = ['mail.log-20261201', 'mail.log-20261201.gz', 'mail.log-20261202.gz'];

  const present = () => true;

  t.deepEqual([...compressedTwins(given, present)], [['mail.log.2.gz', 'mail.log.2']]);
  t.deepEqual(
    [...compressedTwins(dated, present)],
    [['mail.log-20261201.gz', 'mail.log-20261201']],
  );
  // Named but gone (compressing has finished): the compressed copy is the one to read.
  t.deepEqual([...compressedTwins(given, (path) => path !== 'mail.log.2')], []);
});
