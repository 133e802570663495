// Judging one query outcome: what the reply means (answer, NODATA, referral, lame, ...), and
// turning it into evidence (a Probe) and condensed replies.

import type { Answer, DecodedPacket } from 'dns-packet';

import type { Probe } from '../model.js';
import { normalizeName } from './query.js';
import type { QueryOutcome } from './query.js';
import { formatServer } from './resolv-conf.js';
import type { MxRecord, ProbeResult, Reply } from './types.js';

export interface ClassifyContext {
  /** The server should be authoritative (no RD asked): judge AA and referrals. */
  readonly authoritative: boolean;
  /** The zone the server was asked as a server of; a referral not below it is upward. */
  readonly zone?: string;
}

/** A delegation found in a reply's authority section. */
export interface Referral {
  /** The child zone, normalised. */
  readonly zone: string;
  readonly nameServers: readonly string[];
  /** Glue addresses by name server name. */
  readonly glue: ReadonlyMap<string, readonly string[]>;
  readonly hasDs: boolean;
}

const RCODE_RESULTS: Readonly<Record<string, ProbeResult>> = {
  SERVFAIL: 'servfail',
  REFUSED: 'refused',
  FORMERR: 'formerr',
  NOTIMP: 'notimp',
  NXDOMAIN: 'nxdomain',
};

const STATUS_RESULTS: Readonly<Record<string, ProbeResult>> = {
  timeout: 'timeout',
  'tcp-timeout': 'tcp-timeout',
  unreachable: 'unreachable',
  truncated: 'truncated',
  'bad-response': 'bad-response',
};

const FLAG_NAMES = ['qr', 'aa', 'tc', 'rd', 'ra', 'ad', 'cd'] as const;

/** A server that rejects EDNS (RFC 6891 §7): asked again without it, as resolvers do. */
export function isEdnsRejected(result: ProbeResult): boolean {
  return result === 'formerr' || result === 'notimp';
}

/** What a query outcome means for the question asked. */
export function classifyOutcome(outcome: QueryOutcome, context: ClassifyContext): ProbeResult {
  const response = outcome.response;

  if (outcome.status !== 'response' || response === undefined) {
    return STATUS_RESULTS[outcome.status] ?? 'bad-response';
  }

  const rcode = rcodeOf(response);

  if (rcode !== 'NOERROR') {
    return RCODE_RESULTS[rcode] ?? 'other-rcode';
  }

  if (hasAnswerFor(response, outcome.question.name, outcome.question.type)) {
    return context.authoritative && !response.flag_aa ? 'not-authoritative' : 'answer';
  }

  return classifyEmpty(response, outcome.question.name, context);
}

/** The response code name, `NOERROR` when dns-packet gives none. */
export function rcodeOf(response: DecodedPacket): string {
  return (response as { rcode?: string }).rcode ?? 'NOERROR';
}

/** The delegation in a reply without answers: NS records in authority, no SOA. */
export function findReferral(response: DecodedPacket): Referral | undefined {
  const authorities = response.authorities ?? [];
  const nsRecords = authorities.filter((record) => record.type === 'NS');
  const first = nsRecords[0];

  if (first === undefined || authorities.some((record) => record.type === 'SOA')) {
    return undefined;
  }

  const zone = normalizeName(first.name);
  const nameServers = uniqueNames(
    nsRecords.filter((record) => normalizeName(record.name) === zone),
  );

  return {
    zone,
    nameServers,
    glue: collectGlue(response.additionals ?? [], new Set(nameServers)),
    hasDs: authorities.some(
      (record) => record.type === 'DS' && normalizeName(record.name) === zone,
    ),
  };
}

/** Whether `name` equals `zone` or lies below it. */
export function isAtOrBelow(name: string, zone: string): boolean {
  return zone === '.' || name === zone || name.endsWith(`.${zone}`);
}

/** Evidence for one query. */
export function toProbe(
  outcome: QueryOutcome,
  role: Probe['role'],
  result: ProbeResult,
  serverName?: string,
): Probe {
  const response = outcome.response;

  return {
    role,
    server: formatServer(outcome.server),
    ...(serverName === undefined ? {} : { serverName }),
    question: { name: outcome.question.name, type: outcome.question.type },
    result,
    ...(response === undefined
      ? {}
      : {
          rcode: rcodeOf(response),
          flags: flagsOf(response),
          answers: (response.answers ?? []).map(formatRecord),
        }),
    transport: outcome.transport,
    ms: outcome.ms,
  };
}

/**
 * Evidence for one query: when a truncated UDP reply sent the question on to TCP, that reply
 * first (result `truncated`, over UDP), so that what TCP came to is not the only trace.
 */
export function toProbes(
  outcome: QueryOutcome,
  role: Probe['role'],
  result: ProbeResult,
  serverName?: string,
): Probe[] {
  const probe = toProbe(outcome, role, result, serverName);
  const truncated = outcome.truncatedReply;

  if (truncated === undefined) {
    return [probe];
  }

  const udp = { ...outcome, ...truncated, transport: 'udp' as const };

  return [toProbe(udp, role, 'truncated', serverName), probe];
}

/** The condensed reply kept in views. */
export function toReply(outcome: QueryOutcome, result: ProbeResult): Reply {
  const response = outcome.response;

  return {
    result,
    ...(response === undefined ? {} : { rcode: rcodeOf(response) }),
    records: (response?.answers ?? []).map(formatRecord),
    authenticated: response?.flag_ad === true,
    transport: outcome.transport,
    ms: outcome.ms,
  };
}

/** MX records for the question's name, following a CNAME chain inside the answer. */
export function extractMx(outcome: QueryOutcome): MxRecord[] {
  const answers = outcome.response?.answers ?? [];
  const owner = chainEnd(answers, normalizeName(outcome.question.name));

  return answers.flatMap((record) =>
    record.type === 'MX' && normalizeName(record.name) === owner
      ? [{ preference: record.data.preference ?? 0, exchange: normalizeName(record.data.exchange) }]
      : [],
  );
}

/** What {@link extractAddresses} finds: addresses, the alias gone through, and whether the
 *  alias chain in the answer loops (then `cname` is the name's own alias, and no address). */
export interface FoundAddresses {
  readonly addresses: string[];
  readonly cname?: string;
  readonly isAliasLoop?: true;
}

/** Addresses (A or AAAA, as asked) for the question's name, and the alias it went through. */
export function extractAddresses(outcome: QueryOutcome): FoundAddresses {
  const answers = outcome.response?.answers ?? [];
  const name = normalizeName(outcome.question.name);
  const chain = followChain(answers, name);

  if (chain.isLoop) {
    return { addresses: [], cname: chain.links[0] ?? name, isAliasLoop: true };
  }

  const owner = chain.links[chain.links.length - 1] ?? name;
  const addresses = answers.flatMap((record) =>
    (record.type === 'A' || record.type === 'AAAA') && normalizeName(record.name) === owner
      ? [record.data]
      : [],
  );

  return owner === name ? { addresses } : { addresses, cname: owner };
}

/** A record in presentation form without TTL and class: `example.test MX 10 mx.example.test`. */
export function formatRecord(record: Answer): string {
  return `${normalizeName(record.name)} ${record.type} ${formatData(record)}`;
}

function classifyEmpty(
  response: DecodedPacket,
  name: string,
  context: ClassifyContext,
): ProbeResult {
  const referral = response.flag_aa ? undefined : findReferral(response);

  if (referral !== undefined) {
    return isDownward(referral.zone, normalizeName(name), context.zone)
      ? 'referral'
      : 'upward-referral';
  }

  return context.authoritative && !response.flag_aa ? 'not-authoritative' : 'nodata';
}

function isDownward(child: string, name: string, zone: string | undefined): boolean {
  const isBelowZone = zone === undefined || (child !== zone && isAtOrBelow(child, zone));

  return isBelowZone && isAtOrBelow(name, child);
}

/** Records of the type for the name or the end of its alias chain, or an alias of the name. */
function hasAnswerFor(response: DecodedPacket, name: string, type: string): boolean {
  const answers = response.answers ?? [];
  const asked = normalizeName(name);
  const owner = chainEnd(answers, asked);

  return answers.some((record) => {
    const recordOwner = normalizeName(record.name);

    return (
      (recordOwner === owner && record.type === type) ||
      (recordOwner === asked && record.type === 'CNAME')
    );
  });
}

/** Where the CNAME chain in the answer section from `name` ends. */
function chainEnd(answers: readonly Answer[], name: string): string {
  const { links } = followChain(answers, name);

  return links[links.length - 1] ?? name;
}

/**
 * The alias targets from `name` on, at most 8 links; `isLoop` when a target is a name already
 * passed (a chain that leads back into itself ends nowhere: no resolver gets an address).
 */
function followChain(
  answers: readonly Answer[],
  name: string,
): { links: string[]; isLoop: boolean } {
  const links: string[] = [];
  const seen = new Set([name]);
  let owner = name;

  while (links.length < 8) {
    const alias = answers.find(
      (record) => record.type === 'CNAME' && normalizeName(record.name) === owner,
    );

    if (alias === undefined || alias.type !== 'CNAME') {
      return { links, isLoop: false };
    }

    owner = normalizeName(alias.data);

    if (seen.has(owner)) {
      return { links, isLoop: true };
    }

    seen.add(owner);
    links.push(owner);
  }

  return { links, isLoop: false };
}

function uniqueNames(records: readonly Answer[]): string[] {
  const names = records.flatMap((record) =>
    record.type === 'NS' ? [normalizeName(record.data)] : [],
  );

  return [...new Set(names)];
}

function collectGlue(
  additionals: readonly Answer[],
  nameServers: ReadonlySet<string>,
): Map<string, string[]> {
  const glue = new Map<string, string[]>();

  for (const record of additionals) {
    const owner = normalizeName(record.name);

    if ((record.type === 'A' || record.type === 'AAAA') && nameServers.has(owner)) {
      glue.set(owner, [...(glue.get(owner) ?? []), record.data]);
    }
  }

  return glue;
}

function flagsOf(response: DecodedPacket): string[] {
  const set = {
    qr: response.flag_qr,
    aa: response.flag_aa,
    tc: response.flag_tc,
    rd: response.flag_rd,
    ra: response.flag_ra,
    ad: response.flag_ad,
    cd: response.flag_cd,
  };

  return FLAG_NAMES.filter((flag) => set[flag]);
}

function formatData(record: Answer): string {
  switch (record.type) {
    case 'A':
    case 'AAAA':
    case 'CNAME':
    case 'DNAME':
    case 'NS':
    case 'PTR':
      return record.type === 'A' || record.type === 'AAAA'
        ? record.data
        : normalizeName(record.data);
    case 'MX':
      return `${record.data.preference ?? 0} ${normalizeName(record.data.exchange)}`;
    case 'SOA':
      return [
        normalizeName(record.data.mname),
        normalizeName(record.data.rname),
        record.data.serial ?? 0,
      ].join(' ');
    case 'RRSIG':
      return (
        `${record.data.typeCovered} ${record.data.algorithm} ${record.data.keyTag} ` +
        `${record.data.signersName} expires ${record.data.expiration}`
      );
    case 'DS':
      return `${record.data.keyTag} ${record.data.algorithm} ${record.data.digestType}`;
    case 'TXT':
      return JSON.stringify(String(record.data));
    default:
      return '';
  }
}
