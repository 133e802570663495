// The DNS re-check's inputs (roles, options) and its output, the per-domain diagnosis that the
// verdict stage reads: each probe is one question to one server in one role (our local
// resolver, a reference resolver, an authoritative server, our own walk from the root).

import type { Probe } from '../model.js';

/**
 * The longest wait, in milliseconds, for a query's timeout or the whole budget: Node's timers
 * hold a signed 32-bit delay, and a longer one fires after 1 ms (TimeoutOverflowWarning).
 */
export const MAX_WAIT_MS = 2 ** 31 - 1;

/** A DNS server to query: an IP literal (IPv6 may carry a `%scope`) and a port. */
export interface ServerAddress {
  readonly address: string;
  readonly port: number;
}

/** Postfix's chroot copy of resolv.conf, compared with the system file it should copy. */
export interface ChrootCopy {
  readonly path: string;
  readonly servers: readonly ServerAddress[];
  /** The file it was compared with: `/etc/resolv.conf` (or the system file given instead). */
  readonly comparedWith: string;
  /** Whether its name servers or its options differ from `comparedWith`'s. */
  readonly differs: boolean;
  /** What differs: `name servers`, `options`, or `name servers and options`. */
  readonly difference?: string;
}

/** Which servers play which part in the re-check. */
export interface DnsRoles {
  /** Our own resolvers, in the order the system uses them. */
  readonly local: readonly ServerAddress[];
  /** Where `local` came from: `/etc/resolv.conf` or `--local-resolver`. */
  readonly localSource: string;
  /** Postfix's chroot copy of resolv.conf, when it is read (see `localRoles`). */
  readonly chroot?: ChrootCopy;
  /** User-given recursive resolvers (`--resolver`); empty by default. */
  readonly reference: readonly ServerAddress[];
  /** Where the iterative walk starts (built-in root servers, `--root`, `--root-hints`). */
  readonly roots: readonly ServerAddress[];
}

export interface DnsCheckOptions {
  /** Per-query time limit in milliseconds (UDP and TCP each), at most {@link MAX_WAIT_MS}. */
  readonly timeoutMs: number;
  /** UDP sends per query before giving up on silence; default 2 (resolv.conf's default). */
  readonly attempts?: number;
  /** Domains diagnosed at once. */
  readonly concurrency: number;
  /** Time for the whole re-check; domains not finished get `incomplete: 'budget'`. With 0 no
   *  query at all is sent and every domain gets `incomplete: 'no-budget'`. At most
   *  {@link MAX_WAIT_MS}. */
  readonly budgetMs?: number;
  /** Clock in epoch ms, for `checkedAt` and the budget; default `Date.now`. */
  readonly now?: () => number;
}

/**
 * What one query came to, from the client's side. The same words are used for `Probe.result`.
 *
 * - `answer`: records of the asked type (or a CNAME chain to them) for the name.
 * - `nxdomain`: the name does not exist. `nodata`: it exists, with no record of that type.
 * - `referral`: a delegation to a zone below the one asked (normal during the walk).
 * - `upward-referral`: a delegation to the root, the asked zone itself or a zone above it (lame).
 * - `not-authoritative`: a NOERROR reply from a server that should be authoritative, without AA.
 * - `servfail`, `refused`, `formerr`, `notimp`, `other-rcode`: the response code said so.
 * - `timeout`: no matching UDP reply. `tcp-timeout`: UDP said truncated, TCP got no reply.
 * - `unreachable`: connection refused, ICMP port or network unreachable.
 * - `truncated`: TC set even over TCP (a truncation loop). `bad-response`: packets came but none
 *   was a valid reply: undecodable, or not matching the question or its ID.
 */
export type ProbeResult =
  | 'answer'
  | 'nxdomain'
  | 'nodata'
  | 'referral'
  | 'upward-referral'
  | 'not-authoritative'
  | 'servfail'
  | 'refused'
  | 'formerr'
  | 'notimp'
  | 'other-rcode'
  | 'timeout'
  | 'tcp-timeout'
  | 'unreachable'
  | 'truncated'
  | 'bad-response';

/** Results that are a working server's definite statement about the name. */
export const DEFINITE_RESULTS: ReadonlySet<ProbeResult> = new Set<ProbeResult>([
  'answer',
  'nxdomain',
  'nodata',
]);

/** Results that mean the server could not be reached at all. */
export const SILENT_RESULTS: ReadonlySet<ProbeResult> = new Set<ProbeResult>([
  'timeout',
  'tcp-timeout',
  'unreachable',
]);

export interface MxRecord {
  readonly preference: number;
  /** Host name, lower-case, no trailing dot; `.` for a null MX. */
  readonly exchange: string;
}

/** One reply to one question, condensed. The full query is also among the probes. */
export interface Reply {
  readonly result: ProbeResult;
  /** Response code as dns-packet names it (`NOERROR`, `SERVFAIL`, ...), when a reply came. */
  readonly rcode?: string;
  /** Answer section in presentation form: `example.test MX 10 mx1.example.test`. */
  readonly records: readonly string[];
  /** Whether the reply had the AD bit (a validating resolver vouches for it). */
  readonly authenticated: boolean;
  readonly transport: 'udp' | 'tcp';
  readonly ms: number;
}

/** One recursive resolver's view of the domain's MX question. */
export interface ResolverCheck {
  /** `address:port`, IPv6 in brackets. */
  readonly server: string;
  readonly reply: Reply;
  /** MX records in `reply` (empty unless `reply.result` is `answer`). */
  readonly mx: readonly MxRecord[];
  /** The same question with the CD bit: always for reference resolvers, and for local ones
   *  when the plain question got SERVFAIL. */
  readonly checkingDisabled?: Reply;
  /** SERVFAIL normally (asked twice), a definite result with CD: DNSSEC validation is what
   *  fails. When the second plain question is answered, `reply` is that answer. */
  readonly dnssecFailure: boolean;
}

export interface ResolverView {
  /** `/etc/resolv.conf`, `--local-resolver`, the chroot file's path, or `reference`. */
  readonly source: string;
  readonly servers: readonly ResolverCheck[];
  /** `answers`: every server gives a definite result; `fails`: none does; `none`: no servers,
   *  or the servers were not asked (`note` says why). */
  readonly status: 'answers' | 'fails' | 'mixed' | 'none';
  /** Why the servers were not asked: no reply to the reachability check, budget, no network. */
  readonly note?: string;
}

/** A name server of the domain's zone, as the parent delegates it. */
export interface NameServer {
  /** Lower-case, no trailing dot. */
  readonly name: string;
  /** IP literals, from glue or our own resolution. */
  readonly addresses: readonly string[];
  /** `glue` from the referral, `resolved` by our own iterative look-up, `unresolved` when that
   *  look-up found no address (see `resolution`). */
  readonly source: 'glue' | 'resolved' | 'unresolved';
  /** Whether the name lies inside the zone it serves (needs glue) or outside it. */
  readonly inBailiwick: boolean;
  /** For out-of-bailiwick names: how our own A/AAAA look-up ended (`answer`, `nxdomain`, ...). */
  readonly resolution?: ProbeResult;
  /** Why that look-up was given up before a server answered: our query limit or the budget. */
  readonly resolutionStopped?: string;
  /** Whether any of its addresses gave a definite answer to the domain's MX or SOA question. */
  readonly reached: boolean;
}

/** How the walk from the root found (or did not find) the domain's zone. */
export interface Delegation {
  /**
   * - `delegated`: a zone cut at or above the domain was found and its name servers are known.
   * - `nxdomain`: a parent zone's server says the domain does not exist (`parentNxdomain`).
   * - `failed`: the walk stopped before reaching the domain's zone (servers unreachable, lame
   *   parents, loop or depth limit); `reason` says why.
   * - `skipped`: no walk was made (no root servers, the roots were unreachable, or the budget).
   */
  readonly status: 'delegated' | 'nxdomain' | 'failed' | 'skipped';
  /** The deepest zone cut at or above the domain: the zone whose servers are asked. */
  readonly zone?: string;
  /** The zone that delegated `zone` (or that answered NXDOMAIN). */
  readonly parentZone?: string;
  readonly parentNxdomain: boolean;
  readonly nameServers: readonly NameServer[];
  /** Zones passed on the way down: `.`, `test`, `example.test`. */
  readonly path: readonly string[];
  /** Whether the parent's referral carried DS records (the zone is signed, from the parent's
   *  side). Undefined when the walk did not get that far. */
  readonly signedAtParent?: boolean;
  readonly reason?: string;
}

/** What one authoritative server address said to one question. */
export interface AuthoritativeReply extends Reply {
  /** UDP reply had TC set and the question was asked again over TCP. */
  readonly truncatedUdp: boolean;
  /** EDNS queries got FORMERR/NOTIMP (or no reply, and the question without EDNS got a
   *  definite answer), and the question was asked again without EDNS. */
  readonly ednsRetried: boolean;
}

export interface AuthoritativeServer {
  /** Name server host name. */
  readonly name: string;
  readonly address: string;
  readonly port: number;
  readonly mx: AuthoritativeReply;
  readonly soa: AuthoritativeReply;
  /** MX over TCP, asked when the UDP question answered without truncation, so that a server
   *  whose TCP is broken is seen (RFC 7766). */
  readonly tcp?: Reply;
  /** SOA serial, when the SOA question was answered. */
  readonly serial?: number;
}

export interface AuthoritativeView {
  /** One entry per address per name server; empty when no name server address is known. */
  readonly servers: readonly AuthoritativeServer[];
  /** Server addresses whose MX question got a definite result (answer, NXDOMAIN, NODATA). */
  readonly answering: number;
  readonly failing: number;
  /** Whether all definite MX results are the same (same result, same record set). */
  readonly agree: boolean;
  /** The common MX result when `agree` and at least one server answered. */
  readonly consensus?: 'answer' | 'nxdomain' | 'nodata';
  /** Distinct SOA serials seen, ascending. */
  readonly serials: readonly number[];
}

/** A/AAAA look-ups of one name through one path. */
export interface AddressLookup {
  /**
   * - `resolves`: at least one A or AAAA record.
   * - `nxdomain`, `nodata`: the name does not exist / has neither A nor AAAA.
   * - `cname`: the name is an alias (resolved through it; RFC 2181 §10.3 forbids it for MX).
   * - `failed`: no definite answer (SERVFAIL, timeouts, ...; `results` says which).
   */
  readonly status: 'resolves' | 'nxdomain' | 'nodata' | 'cname' | 'failed';
  readonly addresses: readonly string[];
  readonly cnameTarget?: string;
  /** The alias chain leads back into itself (`cnameTarget` is the name's own alias): it can
   *  never end at an address. */
  readonly isAliasLoop?: true;
  /** The A and AAAA results, in that order. */
  readonly results: readonly ProbeResult[];
}

export interface MxHost {
  readonly name: string;
  readonly preference: number;
  /** The exchange is an IP address written as a name (not allowed by RFC 5321 §5.1). */
  readonly isIpLiteral: boolean;
  /** Through the local resolvers (first one that gives a definite answer). */
  readonly local?: AddressLookup;
  /** Through our own walk from the root. */
  readonly iterative?: AddressLookup;
  /** The summary of both: `resolves` if either resolves; `ip-literal` for literals. */
  readonly status: 'resolves' | 'nxdomain' | 'nodata' | 'cname' | 'ip-literal' | 'failed';
}

export interface MxView {
  /** Where the MX records come from: the authoritative servers when they answer, else the local
   *  or reference resolvers; `none` when nobody gave a definite MX result. */
  readonly source: 'authoritative' | 'local' | 'reference' | 'none';
  /** `answer`, `nxdomain` or `nodata` from that source; undefined when `source` is `none`. */
  readonly result?: 'answer' | 'nxdomain' | 'nodata';
  readonly records: readonly MxRecord[];
  /** A single `MX 0 .` (RFC 7505): the domain accepts no mail. */
  readonly isNullMx: boolean;
  readonly hosts: readonly MxHost[];
  /** With no MX records (NODATA), mail goes to the domain's own address (RFC 5321 §5.1). */
  readonly implicit?: AddressLookup;
}

/** The re-check of one domain, made now. */
export interface DomainDiagnosis {
  /** Lower-case, no trailing dot, A-label. */
  readonly domain: string;
  /** ISO UTC time the check of this domain started; absent when no query was made for it (the
   *  budget ended before its turn, or was 0). */
  readonly checkedAt?: string;
  /** Every query made for this domain, in the order the replies (or timeouts) came, as
   *  evidence. Queries cut short by the budget are left out; zone cuts and addresses already
   *  learnt for another domain in the same run are not asked again. */
  readonly probes: readonly Probe[];
  readonly local: ResolverView;
  /** Postfix's chroot resolvers' view, when the chroot copy was read; asked only when it differs
   *  and names other servers than the local view. */
  readonly chroot?: ResolverView & Omit<ChrootCopy, 'servers'>;
  /** User-given resolvers; `status` is `none` when there are none. */
  readonly reference: ResolverView;
  readonly delegation: Delegation;
  readonly authoritative: AuthoritativeView;
  readonly mx: MxView;
  /** The check did not finish: out of time (`budget`), a budget of 0 that allowed no query at
   *  all (`no-budget`), nothing could be reached (the reachability round ended with no reply at
   *  all), or the name is not a valid host name and was never asked about. Never a guess: the
   *  views keep what was learnt before, and replies the budget cut short read as timeouts. */
  readonly incomplete?: 'budget' | 'no-budget' | 'no-network' | 'invalid-name';
  readonly incompleteReason?: string;
  /** Roots and reference resolvers are all unreachable while a local resolver answers:
   *  port 53 to the outside looks blocked. A reason, not a verdict. */
  readonly outsideBlocked?: boolean;
  /** SERVFAIL from a local resolver for the root zone's NS, asked once per resolver and run
   *  when validation failed for a domain there (the query is in the evidence of the first such
   *  domain): a validating resolver fails so when its own validation is broken (a wrong trust
   *  anchor, a clock far off), whatever the domain. */
  readonly isRootFailingLocally?: true;
}
