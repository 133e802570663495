import test from 'ava';
import fc from 'fast-check';
import { createOutcomeTracker, type OutcomeTracker } from '../../src/group/outcomes.js';
import type { Cause, DeliveryEvent, MessageOutcome, Status } from '../../src/model.js';
import { at, fixtureEnd, readFixture, type FixtureItem } from './helpers.js';

function follow(items: readonly FixtureItem[], maxOpen?: number) {
  const outcomes: MessageOutcome[] = [];
  const tracker = createOutcomeTracker(
    (outcome) => outcomes.push(outcome),
    maxOpen === undefined ? {} : { maxOpen },
  );
  for (const item of items) {
    if (item.kind === 'event') tracker.addEvent(item.event);
    else tracker.addRecord(item.record);
  }

  return { outcomes, tracker };
}

function byRecipient(outcomes: readonly MessageOutcome[]): Map<string, MessageOutcome> {
  return new Map(outcomes.map((outcome) => [outcome.recipient, outcome]));
}

function attemptsFor(items: readonly FixtureItem[], recipient: string): number {
  return items.filter((item) => item.kind === 'event' && item.event.recipient === recipient).length;
}

test('a Postfix message deferred for two days across midnight is delivered later', async (t) => {
  const items = await readFixture('postfix-two-days.log');
  const { outcomes } = follow(items);
  const outcome = byRecipient(outcomes).get('j.smith@northwind.test');

  t.like(outcome, {
    host: 'mailhost',
    queueId: '3F1A2186110',
    domain: 'northwind.test',
    cause: 'dns-tempfail',
    outcome: 'delivered-later',
    firstDeferred: at('2026-12-01T22:40:10Z'),
    at: at('2026-12-03T22:45:12Z'),
  });
  t.is(outcome!.at - outcome!.firstDeferred, (2 * 86_400 + 5 * 60 + 2) * 1000);
  t.is(outcome!.attempts, attemptsFor(items, 'j.smith@northwind.test'));
  t.true(outcome!.attempts > 40);
});

test('a Postfix qmgr expiry closes the open recipients of its queue id as expired', async (t) => {
  const { outcomes } = follow(await readFixture('postfix-two-days.log'));

  t.like(byRecipient(outcomes).get('accounts@contoso.test'), {
    queueId: '5C3A5186065',
    outcome: 'expired',
    firstDeferred: at('2026-12-01T22:41:03Z'),
    at: at('2026-12-03T23:34:24Z'),
  });
});

test('a Postfix message bounced after deferrals keeps the cause that deferred it', async (t) => {
  const { outcomes } = follow(await readFixture('postfix-two-days.log'));

  t.like(byRecipient(outcomes).get('info@adventure-works.test'), {
    outcome: 'bounced',
    cause: 'dns-tempfail',
    firstDeferred: at('2026-12-02T09:15:00Z'),
    at: at('2026-12-02T10:00:00Z'),
    attempts: 4,
  });
});

test('Postfix recipients still deferred when the log ends are counted still queued', async (t) => {
  const items = await readFixture('postfix-two-days.log');
  const { outcomes, tracker } = follow(items);

  t.is(tracker.openCount, 2);
  tracker.finish(fixtureEnd(items));
  t.is(tracker.openCount, 0);
  const final = byRecipient(outcomes);
  t.like(final.get('helpdesk@contoso.test'), {
    outcome: 'still-queued',
    at: at('2026-12-03T23:34:24Z'),
    attempts: 4,
  });
  t.like(final.get('office@margie.test'), { outcome: 'still-queued', cause: 'connection' });
});

test('deferred or bounced recipients get one outcome each, per message', async (t) => {
  const items = await readFixture('postfix-two-days.log');
  const { outcomes, tracker } = follow(items);
  tracker.finish(fixtureEnd(items));

  t.deepEqual(outcomes.map((outcome) => outcome.recipient).sort(), [
    'accounts@contoso.test',
    // Bounced at its first attempt (null MX): an outcome too, with nothing deferred before it.
    'hello@wingtip.test',
    'helpdesk@contoso.test',
    'info@adventure-works.test',
    'j.smith@northwind.test',
    'office@margie.test',
    'purchasing@fourthcoffee.test',
  ]);
  t.like(byRecipient(outcomes).get('hello@wingtip.test'), {
    outcome: 'bounced',
    firstDeferred: at('2026-12-02T08:01:09Z'),
    at: at('2026-12-02T08:01:09Z'),
  });
  t.like(byRecipient(outcomes).get('purchasing@fourthcoffee.test'), {
    queueId: '6C402186068',
    outcome: 'delivered-later',
    firstDeferred: at('2026-12-02T14:00:05Z'),
    at: at('2026-12-02T14:05:10Z'),
  });
});

test('Exim deferrals end as expired, delivered later or still queued', async (t) => {
  const items = await readFixture('exim-mainlog');
  const { outcomes, tracker } = follow(items);
  tracker.finish(fixtureEnd(items));
  const final = byRecipient(outcomes);

  t.is(outcomes.length, 4);
  t.like(final.get('j.smith@northwind.test'), {
    host: '',
    queueId: '1xZBbw-00007K-30',
    outcome: 'expired',
    firstDeferred: at('2026-12-03T18:32:52Z'),
    at: at('2026-12-03T18:35:25Z'),
  });
  t.like(final.get('r.wilson@fourthcoffee.test'), {
    outcome: 'delivered-later',
    firstDeferred: at('2026-12-03T18:33:56Z'),
    at: at('2026-12-03T18:34:35Z'),
  });
  // `all hosts ... have been failing for a long time` is Exim's retry cutoff passing: the retry
  // rules gave up, as with `retry timeout exceeded`, so the message expired. Its 15 attempts are
  // the 14 `==` lines and the final `**` line.
  t.like(final.get('t.brown@margie.test'), {
    outcome: 'expired',
    at: at('2026-12-03T18:35:36Z'),
    attempts: 15,
  });
  t.like(final.get('orders@proseware.test'), {
    outcome: 'still-queued',
    cause: 'remote-tempfail',
    at: at('2026-12-03T18:35:36Z'),
  });
});

test('a Sendmail queue timeout expires the message; a queued one is delivered later', async (t) => {
  const items = await readFixture('sendmail-mail.log');
  const { outcomes, tracker } = follow(items);
  tracker.finish(fixtureEnd(items));
  const final = byRecipient(outcomes);

  t.is(outcomes.length, 2);
  t.like(final.get('t.brown@margie.test'), {
    queueId: '6B3IX5k3001034',
    outcome: 'expired',
    cause: 'connection',
    at: at('2026-12-03T18:35:35Z'),
    // Ten `stat=Deferred` lines, then the queue timeout notice, which the parser turns into the
    // recipient's `expired` delivery.
    attempts: 11,
  });
  t.like(final.get('labuser@sender.test'), {
    queueId: '6B3IY5mh001229',
    outcome: 'delivered-later',
    at: at('2026-12-03T18:34:35Z'),
  });
});

const T0 = at('2026-12-03T18:32:52Z');

function deferral(queueId: string, seconds: number, overrides: Partial<DeliveryEvent> = {}) {
  return makeEvent(queueId, seconds, 'deferred', 'dns-tempfail', overrides);
}

function makeEvent(
  queueId: string,
  seconds: number,
  status: Status,
  cause: Cause,
  overrides: Partial<DeliveryEvent> = {},
): DeliveryEvent {
  return {
    time: T0 + seconds * 1000,
    host: 'mailhost',
    mta: 'postfix',
    daemon: 'smtp',
    queueId,
    recipient: 'j.smith@northwind.test',
    domain: 'northwind.test',
    status,
    text: 'Host or domain name not found. Name service error for name=northwind.test type=MX: Host not found, try again',
    cause,
    isRepeat: false,
    source: { file: 'mail.log', line: seconds + 1 },
    ...overrides,
  };
}

function collect(maxOpen?: number): { outcomes: MessageOutcome[]; tracker: OutcomeTracker } {
  const outcomes: MessageOutcome[] = [];
  const options = maxOpen === undefined ? {} : { maxOpen };
  return { outcomes, tracker: createOutcomeTracker((outcome) => outcomes.push(outcome), options) };
}

const deletedCases = [
  ['postfix-deleted.log', 'accounts@contoso.test', '2026-12-03T09:25:40Z'],
  ['exim-deleted', 'orders@proseware.test', '2026-12-03T18:36:02Z'],
] as const;

for (const [fixture, recipient, removedAt] of deletedCases) {
  test(`a deferred message deleted from the queue is removed (${fixture})`, async (t) => {
    const items = await readFixture(fixture);
    const { outcomes, tracker } = follow(items);

    t.is(tracker.openCount, 0);
    t.deepEqual(
      outcomes.map((outcome) => [outcome.recipient, outcome.outcome, outcome.at]),
      [[recipient, 'removed', at(removedAt)]],
    );
  });
}

test('a deferred message requeued under a new id is followed there (postsuper -r)', async (t) => {
  const items = await readFixture('postfix-requeued.log');
  const { outcomes, tracker } = follow(items);

  t.is(tracker.openCount, 0);
  t.deepEqual(
    outcomes.map((outcome) => [outcome.queueId, outcome.outcome, outcome.at, outcome.attempts]),
    [['5D6E7F8091', 'delivered-later', at('2026-12-03T09:31:04Z'), 2]],
  );
});

test('a bounce whose cause is expiry counts as expired', (t) => {
  const { outcomes, tracker } = collect();
  tracker.addEvent(deferral('1xZBbw-00007K-30', 0, { mta: 'exim', host: '' }));
  tracker.addEvent(
    makeEvent('1xZBbw-00007K-30', 153, 'bounced', 'expired', { mta: 'exim', host: '' }),
  );

  t.like(outcomes[0], { outcome: 'expired', cause: 'dns-tempfail', attempts: 2 });
});

test('the same queue id on two hosts is two messages', (t) => {
  const { outcomes, tracker } = collect();
  tracker.addEvent(deferral('AFF09186110', 0, { host: 'mx1' }));
  tracker.addEvent(deferral('AFF09186110', 1, { host: 'mx2' }));
  tracker.addEvent(makeEvent('AFF09186110', 30, 'sent', 'other', { host: 'mx2' }));
  tracker.finish(T0 + 60_000);

  t.deepEqual(
    outcomes.map((outcome) => [outcome.host, outcome.outcome]),
    [
      ['mx2', 'delivered-later'],
      ['mx1', 'still-queued'],
    ],
  );
});

test('a deferred recipient handed to another queue is followed under its new queue id', (t) => {
  const { outcomes, tracker } = collect();
  const sendmail = { mta: 'sendmail', daemon: 'sendmail' } as const;
  tracker.addEvent(deferral('6B3IXldN001185', 0, sendmail));
  tracker.addRecord({
    kind: 'message-handoff',
    time: T0 + 48_000,
    mta: 'sendmail',
    host: 'mailhost',
    queueId: '6B3IXldN001185',
    recipient: 'j.smith@northwind.test',
    newQueueId: '6B3IYZ2K001372',
    source: { file: 'mail.log', line: 130 },
  });
  tracker.addEvent(makeEvent('6B3IYZ2K001372', 48, 'sent', 'other', sendmail));
  tracker.finish(T0 + 60_000);

  t.like(outcomes, [
    { queueId: '6B3IYZ2K001372', outcome: 'delivered-later', firstDeferred: T0, at: T0 + 48_000 },
  ]);
  t.is(outcomes.length, 1);
});

test('a hand-off logged after the daemon delivered the message still finds the delivery', (t) => {
  const { outcomes, tracker } = collect();
  const sendmail = { mta: 'sendmail', daemon: 'sendmail' } as const;
  const handoff = (newQueueId: string, second: number) =>
    tracker.addRecord({
      kind: 'message-handoff',
      time: T0 + second * 1000,
      mta: 'sendmail',
      host: 'mailhost',
      queueId: '6B3IXldN001185',
      recipient: 'j.smith@northwind.test',
      newQueueId,
      source: { file: 'mail.log', line: 131 },
    });
  tracker.addEvent(deferral('6B3IXldN001185', 0, sendmail));
  tracker.addEvent(makeEvent('6B3IYZ2K001372', 48, 'sent', 'other', sendmail));
  handoff('6B3IYZ2K001372', 48);
  tracker.finish(T0 + 60_000);

  t.like(outcomes, [
    { queueId: '6B3IYZ2K001372', outcome: 'delivered-later', firstDeferred: T0, at: T0 + 48_000 },
  ]);
  t.is(outcomes.length, 1);
});

test('a delivery long before a hand-off under the same queue id is not taken for its fate', (t) => {
  const { outcomes, tracker } = collect();
  const sendmail = { mta: 'sendmail', daemon: 'sendmail' } as const;
  tracker.addEvent(deferral('6B3IXldN001185', 0, sendmail));
  tracker.addEvent(makeEvent('6B3IYZ2K001372', 1, 'sent', 'other', sendmail));
  tracker.addRecord({
    kind: 'message-handoff',
    time: T0 + 600_000,
    mta: 'sendmail',
    host: 'mailhost',
    queueId: '6B3IXldN001185',
    recipient: 'j.smith@northwind.test',
    newQueueId: '6B3IYZ2K001372',
    source: { file: 'mail.log', line: 131 },
  });
  tracker.finish(T0 + 700_000);

  t.like(outcomes, [{ queueId: '6B3IYZ2K001372', outcome: 'still-queued' }]);
});

test('beyond the cap the oldest open recipient is counted still queued and forgotten', (t) => {
  const { outcomes, tracker } = collect(2);
  tracker.addEvent(deferral('A1', 0));
  tracker.addEvent(deferral('A2', 10));
  tracker.addEvent(deferral('A3', 20));

  t.is(tracker.openCount, 2);
  t.is(tracker.evictedCount, 1);
  t.like(outcomes[0], { queueId: 'A1', outcome: 'still-queued', at: T0 + 20_000 });
  tracker.addEvent(makeEvent('A1', 30, 'sent', 'other'));
  t.is(outcomes.length, 1);
});

const stepArbitrary = fc.record({
  queueId: fc.constantFrom('Q1', 'Q2', 'Q3', 'Q4', 'Q5'),
  recipient: fc.constantFrom('a@northwind.test', 'b@contoso.test'),
  status: fc.constantFrom<Status | 'qmgr-expired' | 'removed'>(
    'deferred',
    'deferred',
    'sent',
    'bounced',
    'expired',
    'qmgr-expired',
    'removed',
  ),
});

type Step = typeof stepArbitrary extends fc.Arbitrary<infer T> ? T : never;

/** The tracker's outcomes as `queue id, recipient, outcome, first deferral, at` (seconds). */
function trackerOutcomes(steps: readonly Step[], maxOpen: number): string[] {
  const { outcomes, tracker } = collect(maxOpen);
  steps.forEach((step, index) => {
    if (step.status === 'removed') {
      tracker.addRecord({
        kind: 'message-done',
        time: T0 + index * 1000,
        mta: 'postfix',
        host: 'mailhost',
        queueId: step.queueId,
        source: { file: 'mail.log', line: index + 1 },
      });
    } else if (step.status === 'qmgr-expired') {
      tracker.addRecord({
        kind: 'message-expired',
        time: T0 + index * 1000,
        mta: 'postfix',
        host: 'mailhost',
        queueId: step.queueId,
        text: 'from=<labuser@sender.test>, status=expired, returned to sender',
        source: { file: 'mail.log', line: index + 1 },
      });
    } else {
      const overrides = { recipient: step.recipient };
      tracker.addEvent(makeEvent(step.queueId, index, step.status, 'dns-tempfail', overrides));
    }

    if (tracker.openCount > maxOpen) throw new Error(`${tracker.openCount} open`);
  });
  tracker.finish(T0 + 3_600_000);
  if (tracker.openCount !== 0) throw new Error('open after finish');

  return outcomes.map(
    (outcome) =>
      `${outcome.queueId} ${outcome.recipient} ${outcome.outcome} ` +
      `${(outcome.firstDeferred - T0) / 1000} ${(outcome.at - T0) / 1000}`,
  );
}

/** The same, from a plain model of the queue: a map in the order recipients were deferred. */
function modelOutcomes(steps: readonly Step[], maxOpen: number): string[] {
  const open = new Map<string, number>();
  const result: string[] = [];
  const close = (key: string, kind: string, time: number) => {
    result.push(`${key} ${kind} ${open.get(key)} ${time}`);
    open.delete(key);
  };
  steps.forEach((step, index) => {
    const key = `${step.queueId} ${step.recipient}`;
    if (step.status === 'qmgr-expired' || step.status === 'removed') {
      const kind = step.status === 'removed' ? 'removed' : 'expired';
      for (const other of [...open.keys()]) {
        if (other.startsWith(`${step.queueId} `)) close(other, kind, index);
      }
    } else if (step.status === 'deferred' && !open.has(key)) {
      open.set(key, index);
      if (open.size > maxOpen) close([...open.keys()][0]!, 'still-queued', index);
    } else if (step.status !== 'deferred' && open.has(key)) {
      close(key, step.status === 'sent' ? 'delivered-later' : step.status, index);
    } else if (step.status === 'bounced') {
      // Bounced at its first attempt: an outcome of its own, at once.
      result.push(`${key} bounced ${index} ${index}`);
    }
  });
  for (const key of [...open.keys()]) close(key, 'still-queued', 3600);

  return result;
}

test('each deferred or bounced recipient gets one outcome, as a model of the queue says', (t) => {
  fc.assert(
    fc.property(
      fc.array(stepArbitrary, { maxLength: 80 }),
      fc.constantFrom(1, 2, 3, 5, 1_000),
      (steps, maxOpen) => {
        t.deepEqual(trackerOutcomes(steps, maxOpen), modelOutcomes(steps, maxOpen));
      },
    ),
  );
});
