// Recipients bounced at their first attempt are outcomes too: an incident made only of bounces
// counts them as bounced, and the totals stay the sum of the incidents'.

import path from 'node:path';
import { fileURLToPath } from 'node:url';

import test from 'ava';

import { createOutcomeTracker } from '../../src/group/outcomes.js';
import type { DeliveryEvent, MessageOutcome } from '../../src/model.js';
import { analyseLogs } from '../../src/pipeline/analyse.js';

const SAMPLES = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../samples');
const T0 = Date.UTC(2026, 11, 3, 18, 33, 0);

const countsBounces = test.macro({
  async exec(t, sample: string, bouncedDomains: readonly string[]) {
    const { analysis } = await analyseLogs([path.join(SAMPLES, sample)], {
      envelope: { year: 2026, timeZone: 'UTC' },
      windowMs: 3_600_000,
    });
    const byDomain = new Map(analysis.incidents.map((incident) => [incident.domains[0], incident]));

    for (const domain of bouncedDomains) {
      const incident = byDomain.get(domain);
      t.is(incident?.outcomes.bounced, incident?.messages, domain);
      t.true((incident?.outcomes.bounced ?? 0) > 0, domain);
    }

    const summed = { 'delivered-later': 0, bounced: 0, expired: 0, removed: 0, 'still-queued': 0 };
    for (const incident of analysis.incidents) {
      for (const kind of Object.keys(summed) as (keyof typeof summed)[]) {
        summed[kind] += incident.outcomes[kind];
      }
    }

    t.deepEqual(analysis.outcomes, summed);
    // Every bounce line of these logs is one recipient's last word: each is one outcome.
    t.is(analysis.outcomes.bounced, analysis.summary.statuses.bounced);
  },
  title: (given, sample: string) =>
    given ?? `the lab-1 ${sample} counts recipients bounced at their first attempt as bounced`,
});

test(countsBounces, 'postfix-mail.log', [
  'adventure-works.test',
  'tailspin.test',
  'wingtip.test',
  'litware.test',
  'lucerne.test',
]);
test(countsBounces, 'exim-mainlog', ['adventure-works.test', 'wingtip.test', 'litware.test']);
test(countsBounces, 'sendmail-mail.log', ['adventure-works.test', 'wingtip.test']);

test('a Sendmail bounce logged before its hand-off is counted once, for the deferral', (t) => {
  const outcomes: MessageOutcome[] = [];
  const tracker = createOutcomeTracker((outcome) => outcomes.push(outcome));
  tracker.addEvent(sendmail('6B3IXldN001185', 0, 'deferred', 'dns-tempfail'));
  tracker.addEvent(sendmail('6B3IYZ2K001372', 48, 'bounced', 'remote-reject'));
  tracker.addRecord({
    kind: 'message-handoff',
    time: T0 + 48_000,
    mta: 'sendmail',
    host: 'mailhost',
    queueId: '6B3IXldN001185',
    recipient: 'j.smith@northwind.test',
    newQueueId: '6B3IYZ2K001372',
    source: { file: 'mail.log', line: 131 },
  });
  tracker.finish(T0 + 600_000);

  t.like(outcomes, [{ outcome: 'bounced', firstDeferred: T0, cause: 'dns-tempfail' }]);
  t.is(outcomes.length, 1);
});

test('a Sendmail bounce no hand-off claims is bounced at once', (t) => {
  const outcomes: MessageOutcome[] = [];
  const tracker = createOutcomeTracker((outcome) => outcomes.push(outcome));
  tracker.addEvent(sendmail('6B3IYZ2K001372', 0, 'bounced', 'remote-reject'));
  tracker.addEvent(sendmail('6B3IYZ2K001399', 120, 'sent', 'other'));
  t.like(outcomes, [{ queueId: '6B3IYZ2K001372', outcome: 'bounced', firstDeferred: T0 }]);
  tracker.finish(T0 + 600_000);

  t.is(outcomes.length, 1);
});

function sendmail(
  queueId: string,
  second: number,
  status: DeliveryEvent['status'],
  cause: DeliveryEvent['cause'],
): DeliveryEvent {
  const texts: Record<string, string> = {
    deferred: 'queued',
    bounced: '550 5.1.1 <j.smith@northwind.test>... User unknown',
    sent: 'Sent (OK id=1)',
  };

  return {
    time: T0 + second * 1000,
    host: 'mailhost',
    mta: 'sendmail',
    daemon: 'sendmail',
    queueId,
    recipient: 'j.smith@northwind.test',
    domain: 'northwind.test',
    status,
    cause,
    isRepeat: false,
    text: texts[status] ?? '',
    source: { file: 'mail.log', line: 100 + second },
  };
}
