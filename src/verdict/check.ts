// Verdicts for `mxtriage check DOMAIN...`, where no log tells of failures: each domain is
// judged as if its mail had just failed a DNS look-up, and one whose every probe answers is
// `healthy` rather than `recovered`, since no failure is known.

import type { DomainDiagnosis } from '../dns/types.js';
import type { Verdict } from '../model.js';
import { assessDomain, describeAnswers } from './assess.js';
import { decideVerdicts, fromFinding, type GroupEvidence, type LogContext } from './decide.js';

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
    result.set(domain, diagnosis === undefined ? verdict : asChecked(diagnosis, verdict));
  }

  return result;
}

/**
 * Without a log there is no mail of ours to explain: a zone that validating resolvers reject
 * is broken for everyone who validates, even when our own resolver answers it.
 */
function asChecked(diagnosis: DomainDiagnosis, verdict: Verdict): Verdict {
  const finding = assessDomain(diagnosis);
  if (finding.kind === 'recipient-dnssec' && finding.ours !== undefined) {
    const reason = `${finding.reason}; our local resolver answers it: it does not validate`;
    const { detail: _lean, ...checked } = verdict;
    return { ...checked, kind: 'recipient-dnssec', reason, basis: ['probes'] };
  }

  // An MX alias that leads to an address explains no failure in a log (`decide.ts`), but it is
  // still a fault of the domain's DNS when checked alone.
  if (verdict.kind === 'recovered' && finding.kind === 'mx-unresolvable') {
    return fromFinding(diagnosis, finding);
  }

  return verdict.kind === 'recovered' ? healthy(diagnosis) : verdict;
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
    examples: [],
    attempts: 0,
    aboutOurNames: 0,
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
