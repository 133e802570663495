// Hand-built diagnoses for the verdict tests, for situations the lab's real servers cannot be
// made to show on demand (a stale chroot copy, a validating reference resolver, a budget that
// ran out). Each starts from a healthy domain served by one name server, and a test changes
// only the part it is about. Addresses are loopback and never contacted.

import type {
  AuthoritativeServer,
  AuthoritativeView,
  DomainDiagnosis,
  MxHost,
  ProbeResult,
  Reply,
  ResolverCheck,
  ResolverView,
} from '../../src/dns/types.js';
import type { Probe } from '../../src/model.js';

export const CHECKED_AT = '2026-12-03T19:00:00.000Z';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

export function reply(result: ProbeResult, records: readonly string[] = []): Reply {
  return {
    result,
    ...(isSilent(result) ? {} : { rcode: rcodeOf(result) }),
    records,
    authenticated: false,
    transport: 'udp',
    ms: 3,
  };
}

/** One recursive resolver's answer to the MX question; `cd` is the same with checking off. */
export function resolverCheck(
  server: string,
  result: ProbeResult,
  options: { cd?: ProbeResult; authenticated?: boolean; domain?: string } = {},
): ResolverCheck {
  const domain = options.domain ?? 'example.test';
  const records = result === 'answer' ? [`${domain} MX 10 mx.${domain}`] : [];
  const checkingDisabled = options.cd === undefined ? undefined : reply(options.cd);

  return {
    server,
    reply: { ...reply(result, records), authenticated: options.authenticated ?? false },
    mx: result === 'answer' ? [{ preference: 10, exchange: `mx.${domain}` }] : [],
    ...(checkingDisabled === undefined ? {} : { checkingDisabled }),
    dnssecFailure: result === 'servfail' && options.cd === 'answer',
  };
}

export function resolverView(source: string, checks: readonly ResolverCheck[]): ResolverView {
  const definite = checks.filter((check) => isDefinite(check.reply.result)).length;
  const status =
    checks.length === 0
      ? 'none'
      : definite === checks.length
        ? 'answers'
        : definite === 0
          ? 'fails'
          : 'mixed';

  return { source, servers: checks, status };
}

/**
 * An authoritative server address and what it said to MX (SOA says the same). A TCP timeout or
 * truncation loop follows a truncated UDP reply, as it does on the wire.
 */
export function authServer(
  name: string,
  address: string,
  result: ProbeResult,
  extra: Partial<Pick<AuthoritativeServer, 'tcp'>> & {
    ednsRetried?: boolean;
    truncatedUdp?: boolean;
  } = {},
): AuthoritativeServer {
  const truncatedUdp = extra.truncatedUdp ?? (result === 'tcp-timeout' || result === 'truncated');
  const mx = { ...reply(result), truncatedUdp, ednsRetried: extra.ednsRetried ?? false };

  return {
    name,
    address,
    port: 53,
    mx,
    soa: { ...mx },
    ...(extra.tcp === undefined ? {} : { tcp: extra.tcp }),
  };
}

export function authoritativeView(servers: readonly AuthoritativeServer[]): AuthoritativeView {
  const definite = servers.filter((server) => isDefinite(server.mx.result));
  const results = new Set(definite.map((server) => server.mx.result));
  const consensus = results.size === 1 ? definite[0]?.mx.result : undefined;

  return {
    servers,
    answering: definite.length,
    failing: servers.length - definite.length,
    agree: results.size <= 1,
    ...(consensus === undefined ? {} : { consensus: consensus as 'answer' }),
    serials: [1],
  };
}

export function mxHost(name: string, status: MxHost['status'], cnameTarget?: string): MxHost {
  const lookup = {
    status: status === 'ip-literal' ? ('resolves' as const) : status,
    addresses: status === 'resolves' ? ['127.0.0.25'] : [],
    ...(cnameTarget === undefined ? {} : { cnameTarget }),
    results: [] as ProbeResult[],
  };

  return { name, preference: 10, isIpLiteral: status === 'ip-literal', iterative: lookup, status };
}

/** A healthy domain: one name server answering, our resolver answering, an MX that resolves. */
export function healthyDiagnosis(domain: string): Mutable<DomainDiagnosis> {
  const nameServer = `ns1.${domain}`;

  return {
    domain,
    checkedAt: CHECKED_AT,
    probes: [probe(domain)],
    local: resolverView('/etc/resolv.conf', [resolverCheck('127.0.0.1:53', 'answer', { domain })]),
    reference: resolverView('reference', []),
    delegation: {
      status: 'delegated',
      zone: domain,
      parentZone: 'test',
      parentNxdomain: false,
      nameServers: [
        {
          name: nameServer,
          addresses: ['127.0.9.1'],
          source: 'glue',
          inBailiwick: true,
          reached: true,
        },
      ],
      path: ['.', 'test', domain],
      signedAtParent: false,
    },
    authoritative: authoritativeView([authServer(nameServer, '127.0.9.1', 'answer')]),
    mx: {
      source: 'authoritative',
      result: 'answer',
      records: [{ preference: 10, exchange: `mx.${domain}` }],
      isNullMx: false,
      hosts: [mxHost(`mx.${domain}`, 'resolves')],
    },
  };
}

/** Name servers of a domain, each with its addresses, as the delegation lists them. */
export function withNameServers(
  diagnosis: Mutable<DomainDiagnosis>,
  servers: readonly { name: string; address: string; result: ProbeResult }[],
): Mutable<DomainDiagnosis> {
  diagnosis.delegation = {
    ...diagnosis.delegation,
    nameServers: servers.map((server) => ({
      name: server.name,
      addresses: [server.address],
      source: 'resolved',
      inBailiwick: false,
      reached: isDefinite(server.result),
    })),
  };
  diagnosis.authoritative = authoritativeView(
    servers.map((server) => authServer(server.name, server.address, server.result)),
  );

  return diagnosis;
}

function probe(domain: string): Probe {
  return {
    role: 'local',
    server: '127.0.0.1:53',
    question: { name: domain, type: 'MX' },
    result: 'answer',
    rcode: 'NOERROR',
    transport: 'udp',
    ms: 3,
  };
}

function isSilent(result: ProbeResult): boolean {
  return result === 'timeout' || result === 'tcp-timeout' || result === 'unreachable';
}

function isDefinite(result: ProbeResult): boolean {
  return result === 'answer' || result === 'nxdomain' || result === 'nodata';
}

function rcodeOf(result: ProbeResult): string {
  const rcodes: Partial<Record<ProbeResult, string>> = {
    nxdomain: 'NXDOMAIN',
    servfail: 'SERVFAIL',
    refused: 'REFUSED',
    formerr: 'FORMERR',
  };

  return rcodes[result] ?? 'NOERROR';
}
