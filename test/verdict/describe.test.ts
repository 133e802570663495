import test from 'ava';

import {
  count,
  describeResolvers,
  describeResult,
  formatTime,
  zoneLabel,
} from '../../src/verdict/describe.js';
import { resolverCheck } from './diagnoses.js';

test('probe results read as words an administrator knows', (t) => {
  t.deepEqual(
    ['servfail', 'timeout', 'unreachable', 'refused', 'tcp-timeout', 'something-new'].map(
      describeResult,
    ),
    [
      'SERVFAIL',
      'no reply',
      'connection refused or unreachable',
      'REFUSED',
      'truncated over UDP and no reply over TCP',
      'something-new',
    ],
  );
});

test('counts use the plural of nouns ending in s', (t) => {
  t.is(count(1, 'authoritative server address'), '1 authoritative server address');
  t.is(count(2, 'authoritative server address'), '2 authoritative server addresses');
  t.is(count(3, 'reference resolver'), '3 reference resolvers');
});

test('resolvers are listed with what each said', (t) => {
  t.is(
    describeResolvers('local resolver', [resolverCheck('127.0.0.1:53', 'servfail')]),
    'local resolver 127.0.0.1:53: SERVFAIL',
  );
  t.is(
    describeResolvers('local resolver', [
      resolverCheck('127.0.0.1:53', 'timeout'),
      resolverCheck('[::1]:53', 'refused'),
    ]),
    'local resolvers 127.0.0.1:53: no reply, [::1]:53: REFUSED',
  );
});

test('zones and times are written for people', (t) => {
  t.is(zoneLabel('.'), 'the root zone');
  t.is(zoneLabel('test'), 'zone test');
  t.is(zoneLabel(undefined), 'the parent zone');
  t.is(formatTime(Date.UTC(2026, 11, 3, 18, 34, 35, 120)), '2026-12-03T18:34:35Z');
});
