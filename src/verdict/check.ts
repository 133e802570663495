// Verdicts for `mxtriage check DOMAIN...`, where no log tells of failures: each domain is
// judged as if its mail had just failed a DNS look-up, and one whose every probe answers is
// `healthy` rather than `recovered`, since no failure is known.

import type { DomainDiagnosis } from '../dns/types.js';
import type { Verdict } from '../model.js';
import { assessDomain, describeAnswers } from './assess.js';
import { decideVerdicts, type GroupEvidence, type LogContext } from './decide.js';

const NO_LOG: LogContext = { windows: new Map(), lastSentByDomain: new Map() };

/** Domain → verdict; `diagnoses` undefined (`--offline`) gives `not-checked` for each. */
export function checkVerdicts(
  domains: readonly string[],
  diagnoses: ReadonlyMap<string, DomainDiagnosis> | undefined,
  now: number,
): Map<string, Verdict> {
  const evidence = domains.map((domain) => asGroup(domain, now));
  const verdicts = decideVerdicts(evidence, NO_LOG, diagnoses);
  const result = new Map<string, Verdict>();

  for (const domain of domains) {
    const diagnosis = diagnoses?.get(domain);
    const verdict = verdicts.get(domain) ?? { kind: 'not-checked' };
    result.set(
      domain,
      diagnosis !== undefined && verdict.kind === 'recovered' ? healthy(diagnosis) : verdict,
    );
  }

  return result;
}

function asGroup(domain: string, now: number): GroupEvidence {
  return {
    key: domain,
    domain,
    cause: 'dns-tempfail',
    windowStart: now,
    windowEnd: now,
    lastSeen: now,
    senderDomains: [],
    lookupNames: [],
  };
}

function healthy(diagnosis: DomainDiagnosis): Verdict {
  return {
    kind: 'healthy',
    ...(diagnosis.checkedAt === undefined ? {} : { checkedAt: diagnosis.checkedAt }),
    reason: describeAnswers(assessDomain(diagnosis)),
    basis: ['probes'],
    probes: diagnosis.probes,
  };
}
