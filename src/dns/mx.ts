// The domain's mail hosts: which MX records hold, null MX, each host's addresses through our
// resolver and through our own walk, and the implicit MX when there is none.

import { isIP } from 'node:net';

import type { MxFinding } from './resolvers.js';
import type { AddressLookup, MxHost, MxRecord, MxView } from './types.js';

/** Definite MX results by source; the first present one, in this order, is taken. */
export interface MxSources {
  readonly authoritative?: MxFinding;
  readonly local?: MxFinding;
  readonly reference?: MxFinding;
}

/** Ways to look up a name's addresses; each gives undefined when it cannot be asked. */
export interface AddressLookups {
  readonly local: (name: string) => Promise<AddressLookup | undefined>;
  readonly iterative: (name: string) => Promise<AddressLookup | undefined>;
}

const SOURCE_ORDER = ['authoritative', 'local', 'reference'] as const;

/** Builds the MX view for `domain` from the findings, looking up every host's addresses. */
export async function buildMxView(
  domain: string,
  sources: MxSources,
  lookups: AddressLookups,
): Promise<MxView> {
  const source = SOURCE_ORDER.find((name) => sources[name] !== undefined);
  const finding = source === undefined ? undefined : sources[source];

  if (source === undefined || finding === undefined) {
    return { source: 'none', records: [], isNullMx: false, hosts: [] };
  }

  const records = sortRecords(finding.records);
  const isNullMx = isNullMxSet(records);
  const exchanges = isNullMx ? [] : uniqueExchanges(records);
  const hosts = await Promise.all(exchanges.map((record) => lookUpHost(record, lookups)));
  const implicit = finding.result === 'nodata' ? await lookUpBoth(domain, lookups) : undefined;

  return {
    source,
    result: finding.result,
    records,
    isNullMx,
    hosts,
    ...(implicit === undefined ? {} : { implicit }),
  };
}

/** RFC 7505: a single MX whose exchange is the root says the domain takes no mail. */
export function isNullMxSet(records: readonly MxRecord[]): boolean {
  return records.length === 1 && records[0]?.exchange === '.';
}

/** An exchange written as an address (`192.0.2.1`, `[192.0.2.1]`), which MX must not hold. */
export function isIpLiteral(exchange: string): boolean {
  const bare =
    exchange.startsWith('[') && exchange.endsWith(']') ? exchange.slice(1, -1) : exchange;

  return isIP(bare) !== 0;
}

async function lookUpHost(record: MxRecord, lookups: AddressLookups): Promise<MxHost> {
  const base = { name: record.exchange, preference: record.preference };

  if (isIpLiteral(record.exchange)) {
    return { ...base, isIpLiteral: true, status: 'ip-literal' };
  }

  const [local, iterative] = await Promise.all([
    lookups.local(record.exchange),
    lookups.iterative(record.exchange),
  ]);

  return {
    ...base,
    isIpLiteral: false,
    ...(local === undefined ? {} : { local }),
    ...(iterative === undefined ? {} : { iterative }),
    status: hostStatus([local, iterative]),
  };
}

/** The implicit MX: the domain's own address, looked up both ways; the walk's view wins. */
async function lookUpBoth(
  domain: string,
  lookups: AddressLookups,
): Promise<AddressLookup | undefined> {
  const [local, iterative] = await Promise.all([lookups.local(domain), lookups.iterative(domain)]);

  if (iterative !== undefined && iterative.status !== 'failed') {
    return iterative;
  }

  return local ?? iterative;
}

/** An alias anywhere counts; else any path that resolves; else the most definite failure. */
function hostStatus(lookups: readonly (AddressLookup | undefined)[]): MxHost['status'] {
  const statuses = lookups.flatMap((lookup) => (lookup === undefined ? [] : [lookup.status]));

  for (const status of ['cname', 'resolves', 'nxdomain', 'nodata'] as const) {
    if (statuses.includes(status)) {
      return status;
    }
  }

  return 'failed';
}

function sortRecords(records: readonly MxRecord[]): MxRecord[] {
  return [...records].sort(
    (a, b) => a.preference - b.preference || a.exchange.localeCompare(b.exchange),
  );
}

function uniqueExchanges(records: readonly MxRecord[]): MxRecord[] {
  const seen = new Set<string>();

  return records.filter((record) => {
    const isNew = record.exchange !== '.' && !seen.has(record.exchange);

    seen.add(record.exchange);

    return isNew;
  });
}
