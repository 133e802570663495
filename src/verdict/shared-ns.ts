// The provider-outage test: domains in different zones whose authoritative servers all fail and
// that share a name server (by name or by address) failed because that shared set failed.

import type { DomainDiagnosis } from '../dns/types.js';
import type { Finding } from './assess.js';

export interface SharedOutage {
  /** Every failing domain that shares a name server with this one, this one included. */
  readonly domains: readonly string[];
  /** The shared name server names (or addresses when the names differ). */
  readonly nameServers: readonly string[];
}

/** Details of `recipient-dns` that mean every authoritative server of the domain fails. */
const WHOLLY_FAILING = new Set(['unreachable', 'lame', 'servfail', 'edns-or-tcp']);

/** Domain → its shared outage, for the domains that share failing name servers. */
export function findSharedOutages(
  diagnoses: ReadonlyMap<string, DomainDiagnosis>,
  findings: ReadonlyMap<string, Finding>,
): Map<string, SharedOutage> {
  const failing = [...diagnoses.values()].filter((diagnosis) =>
    isWhollyFailing(findings.get(diagnosis.domain)),
  );
  const byServer = indexByServer(failing);
  const outages = new Map<string, SharedOutage>();

  for (const diagnosis of failing) {
    const outage = sharedOutageOf(diagnosis, byServer, diagnoses);
    if (outage !== undefined) outages.set(diagnosis.domain, outage);
  }

  return outages;
}

function isWhollyFailing(finding: Finding | undefined): boolean {
  return finding?.kind === 'recipient-dns' && WHOLLY_FAILING.has(finding.detail ?? '');
}

/** Name server key (`name ns1.example.test`, `address 192.0.2.1`) → failing domains using it. */
function indexByServer(failing: readonly DomainDiagnosis[]): Map<string, Set<string>> {
  const index = new Map<string, Set<string>>();

  for (const diagnosis of failing) {
    for (const key of serverKeys(diagnosis)) {
      const domains = index.get(key) ?? new Set<string>();
      domains.add(diagnosis.domain);
      index.set(key, domains);
    }
  }

  return index;
}

function serverKeys(diagnosis: DomainDiagnosis): string[] {
  return diagnosis.delegation.nameServers.flatMap((server) => [
    `name ${server.name}`,
    ...server.addresses.map((address) => `address ${address}`),
  ]);
}

function sharedOutageOf(
  diagnosis: DomainDiagnosis,
  byServer: ReadonlyMap<string, ReadonlySet<string>>,
  diagnoses: ReadonlyMap<string, DomainDiagnosis>,
): SharedOutage | undefined {
  const domains = new Set<string>();
  const shared = new Set<string>();

  for (const key of serverKeys(diagnosis)) {
    const users = [...(byServer.get(key) ?? [])].filter((domain) => domain !== diagnosis.domain);
    if (users.length === 0) continue;

    users.forEach((domain) => domains.add(domain));
    shared.add(key);
  }

  // Two domains in one zone (a.example.test, b.example.test) are one outage, not a provider's.
  const zones = new Set([...domains, diagnosis.domain].map((domain) => zoneOf(diagnoses, domain)));
  if (domains.size === 0 || zones.size < 2) return undefined;

  domains.add(diagnosis.domain);
  return { domains: [...domains].sort(), nameServers: sharedNames(shared) };
}

function zoneOf(diagnoses: ReadonlyMap<string, DomainDiagnosis>, domain: string): string {
  return diagnoses.get(domain)?.delegation.zone ?? domain;
}

/** Names when any name is shared, else the shared addresses. */
function sharedNames(keys: ReadonlySet<string>): string[] {
  const names = [...keys].filter((key) => key.startsWith('name ')).map((key) => key.slice(5));
  const addresses = [...keys]
    .filter((key) => key.startsWith('address '))
    .map((key) => key.slice(8));

  return (names.length > 0 ? names : addresses).sort();
}
