// Words for the one-line reasons verdicts carry: what a probe result means to a person, and
// short lists of servers with what each said.

import type {
  AuthoritativeServer,
  ProbeResult,
  ResolverCheck,
  ResolverView,
} from '../dns/types.js';
import { DEFINITE_RESULTS } from '../dns/types.js';

/** Items a list inside a reason shows; the rest are counted (a domain may have 1800 MX). */
const LIST_LIMIT = 5;

const RESULT_WORDS: Readonly<Record<string, string>> = {
  answer: 'answers',
  nxdomain: 'NXDOMAIN',
  nodata: 'no record of that type',
  referral: 'a referral',
  'upward-referral': 'a referral to its own zone or one above it (lame)',
  'not-authoritative': 'an answer without authority (lame)',
  servfail: 'SERVFAIL',
  refused: 'REFUSED',
  formerr: 'FORMERR',
  notimp: 'NOTIMP',
  'other-rcode': 'an unexpected response code',
  timeout: 'no reply',
  'tcp-timeout': 'truncated over UDP and no reply over TCP',
  unreachable: 'connection refused or unreachable',
  truncated: 'truncated even over TCP',
  'bad-response': 'only malformed replies or replies that did not match the question',
};

/** A probe result in words: `SERVFAIL`, `no reply`, `connection refused or unreachable`. */
export function describeResult(result: string): string {
  return RESULT_WORDS[result] ?? result;
}

/** `a, b, c, d, e and 3 more`: the first few items, so that a reason stays one line. */
export function listSome(items: readonly string[], separator = ', '): string {
  const shown = items.slice(0, LIST_LIMIT).join(separator);
  const more = items.length - LIST_LIMIT;

  return more > 0 ? `${shown} and ${more} more` : shown;
}

/** `1 authoritative server`, `2 authoritative servers`. */
export function count(amount: number, noun: string): string {
  const plural = noun.endsWith('s') ? `${noun}es` : `${noun}s`;

  return `${amount} ${amount === 1 ? noun : plural}`;
}

/** `local resolver 127.0.0.1:53: SERVFAIL` or `local resolvers a: no reply, b: SERVFAIL`. */
export function describeResolvers(label: string, checks: readonly ResolverCheck[]): string {
  const parts = checks.map((check) => `${check.server}: ${describeResult(check.reply.result)}`);
  const noun = checks.length === 1 ? label : `${label}s`;

  return `${noun} ${listSome(parts)}`;
}

/** The resolvers of a view that gave no definite answer. */
export function failingChecks(view: ResolverView): ResolverCheck[] {
  return view.servers.filter((check) => !isDefinite(check.reply.result));
}

/** `ns1.example.test 192.0.2.1: no reply, ns2.example.test 192.0.2.2: REFUSED`. */
export function describeServers(servers: readonly AuthoritativeServer[]): string {
  return listSome(
    servers.map((server) => `${server.name} ${server.address}: ${describeMxResult(server)}`),
  );
}

/** What a server's MX question came to, with the truncated UDP reply that sent it to TCP. */
function describeMxResult(server: AuthoritativeServer): string {
  const { result, truncatedUdp } = server.mx;
  const isTcpOwnWords = result === 'tcp-timeout' || result === 'truncated';

  if (!truncatedUdp || isTcpOwnWords || isDefinite(result)) return describeResult(result);

  const tcp = result === 'unreachable' ? 'connection refused or reset' : describeResult(result);
  return `truncated over UDP, and over TCP: ${tcp}`;
}

/** The zone's name as people write it, with the root spelt out. */
export function zoneLabel(zone: string | undefined): string {
  if (zone === undefined) return 'the parent zone';

  return zone === '.' || zone === '' ? 'the root zone' : `zone ${zone}`;
}

/** ISO UTC time without milliseconds: `2026-12-03T18:34:35Z`. */
export function formatTime(time: number): string {
  return new Date(time).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** A result that is a working server's definite statement: answer, NXDOMAIN or NODATA. */
export function isDefinite(result: string): boolean {
  return DEFINITE_RESULTS.has(result as ProbeResult);
}
