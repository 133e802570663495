import test from 'ava';

import {
  describeBreadth,
  findLaterDelivery,
  readBreadth,
  type Breadth,
} from '../../src/verdict/log-evidence.js';

const shapes = test.macro((t, failing: number, delivered: number, shape: Breadth['shape']) => {
  t.is(readBreadth({ dnsTempfailDomains: failing, sentDomains: delivered }).shape, shape);
});

test('six failing domains against three delivered is wide (lab-1)', shapes, 6, 3, 'wide');
test('three failing domains against three delivered is wide', shapes, 3, 3, 'wide');
test('three failing domains against four delivered tells nothing', shapes, 3, 4, 'none');
test('two failing domains are too few to be wide', shapes, 2, 0, 'none');
test('one failing domain among forty delivered is narrow', shapes, 1, 40, 'narrow');
test('two failing domains against three delivered is narrow', shapes, 2, 3, 'narrow');
test('two failing domains against two delivered tells nothing', shapes, 2, 2, 'none');
test('a window with only deliveries tells nothing', shapes, 0, 12, 'none');

test('a window missing from the log tells nothing', (t) => {
  t.deepEqual(readBreadth(undefined), { shape: 'none', failing: 0, delivered: 0 });
});

test('the breadth reads as a sentence with singulars and plurals', (t) => {
  t.is(
    describeBreadth({ shape: 'wide', failing: 6, delivered: 3 }),
    'in that window 6 domains failed with dns-tempfail and 3 were delivered',
  );
  t.is(
    describeBreadth({ shape: 'none', failing: 1, delivered: 1 }),
    'in that window 1 domain failed with dns-tempfail and 1 was delivered',
  );
});

test('a delivery after the last failure is a later delivery, one before or at it is not', (t) => {
  const lastSent = new Map([['fourthcoffee.test', 2_000]]);

  t.is(findLaterDelivery(lastSent, 'fourthcoffee.test', 1_999), 2_000);
  t.is(findLaterDelivery(lastSent, 'fourthcoffee.test', 2_000), undefined);
  t.is(findLaterDelivery(lastSent, 'northwind.test', 0), undefined);
});
