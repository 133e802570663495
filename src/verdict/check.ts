import type { DomainDiagnosis } from '../dns/types.js';
import type { Verdict } from '../model.js';
import { decideVerdicts, type GroupEvidence } from './decide.js';

/**
 * Verdicts for `mxtriage check`, where no log tells of failures: each domain is judged as if
 * its mail had failed a DNS look-up just now. A domain whose every probe answers is then
 * `healthy` rather than `recovered`, since no failure is known.
 */
export function checkVerdicts(
  domains: readonly string[],
  diagnoses: ReadonlyMap<string, DomainDiagnosis> | undefined,
  now: number,
): Map<string, Verdict> {
  const evidence: GroupEvidence[] = domains.map((domain) => ({
    key: domain,
    domain,
    cause: 'dns-tempfail',
    windowStart: now,
    windowEnd: now,
    lastSeen: now,
    senderDomains: [],
    lookupNames: [],
  }));
  const verdicts = decideVerdicts(evidence, { windows: new Map(), lastSentByDomain: new Map() }, diagnoses);
  const result = new Map<string, Verdict>();
  for (const domain of domains) {
    const verdict = verdicts.get(domain) ?? { kind: 'not-checked' };
    result.set(domain, verdict.kind === 'recovered' ? asHealthy(verdict) : verdict);
  }

  return result;
}

function asHealthy(verdict: Verdict): Verdict {
  const { detail: _detail, basis: _basis, ...rest } = verdict;
  return { ...rest, kind: 'healthy', basis: ['probes'] };
}
