// The texts each mail server writes for each cause, and the DSN codes used as a tie-breaker.
// Sources: the messages of Postfix (dns_strerror.c, smtp_addr.c), Exim (dnslookup.c, smtp.c,
// route.c) and Sendmail (err.c, deliver.c) as they write them; RFC 3463 and RFC 7505.

import type { Cause } from '../model.js';

/** Postfix `herr` texts after `Name service error for name=X type=T: ` (dns_strerror.c). */
export const POSTFIX_TEMPORARY = 'Host not found, try again';
export const POSTFIX_NOT_FOUND = 'Host not found';
export const POSTFIX_NO_DATA = 'Host found but no data record of requested type';

/** Postfix's prefix for a deferral that repeats a destination's last failure (qmgr). */
export const POSTFIX_SUSPENDED = 'delivery temporarily suspended: ';

/** Sendmail `Name server: X: REASON` texts (err.c) and whether X was not found or empty. */
export const SENDMAIL_NOT_FOUND = 'host not found';
export const SENDMAIL_NO_DATA = 'no data known';

/** Exim texts with a fixed cause, tried in order. */
export const EXIM_PHRASES: readonly (readonly [string, Cause])[] = [
  ['host lookup did not complete', 'dns-tempfail'],
  ['all host address lookups failed temporarily', 'dns-tempfail'],
  ['host lookup done insecurely', 'dns-tempfail'],
  ['was insecure', 'dns-tempfail'],
  // DANE required and no DNSSEC-secured TLSA records or host look-up (Exim's `DANE error:
  // tlsa lookup FAIL`, `... lookup not DNSSEC`): TLS policy, as Postfix's `dane-only` is.
  ['tlsa lookup FAIL', 'tls'],
  ['lookup not DNSSEC', 'tls'],
  ['tlsa lookup', 'dns-tempfail'],
  ['all relevant MX records point to non-existent hosts', 'mx-unresolvable'],
  ['all host address lookups failed permanently', 'mx-unresolvable'],
  ['all MXs point to missing A records', 'mx-unresolvable'],
  ['an MX or SRV record indicated no SMTP service', 'null-mx'],
  ['Unrouteable address', 'dns-notfound'],
  ['unknown mail domain', 'dns-notfound'],
  // `mail domain "" is syntactically invalid`: refused before any look-up.
  ['is syntactically invalid', 'other'],
];

/** Exim's follow-on deferral: no new attempt because a retry record says not yet
 *  (`routing defer (-52)`, `(-53)`, `(-54) ... for any host`). */
export const EXIM_RETRY_NOT_REACHED = /retry time not (?:yet )?reached/i;
/** The one of them about host retry records (`(-53)`), which a reply to RCPT TO never sets:
 *  Exim keeps that as a retry record of the address (`EXIM_ADDRESS_REPLY`). */
export const EXIM_ANY_HOST_RETRY = /retry time not reached for any host/i;
export const EXIM_ADDRESS_REPLY = /SMTP error from remote mail server after (?:pipelined )?RCPT TO/;

/** The remote reply inside Exim's `SMTP error from remote mail server after CMD: REPLY`. */
export const EXIM_REMOTE_ERROR = 'SMTP error from remote mail';
export const EXIM_REPLY = /: ([45]\d\d[ -].*)$/s;

/** Exim's transport-time address look-up of a listed host (smtp.c). */
export const EXIM_FAILED_LOOKUP = /failed to lookup IP address for (\S+)/;

/** A router's look-up of the hosts it routes to (manualroute smarthosts; Exim's
 *  rf_lookup_hostlist.c): timed out, or found no such host. */
export const EXIM_HOST_LOOKUP_DEFERRED = /host lookup for (\S+) did not complete/;
export const EXIM_HOST_NOT_FOUND = /lookup of host "([^"]+)" failed in \S+ router/;

/** Texts of a failed or lost connection (errno strings and each server's wording). */
export const CONNECTION_PHRASES: readonly string[] = [
  'connect to ',
  'lost connection with ',
  'conversation with ',
  'Connection refused',
  'Connection timed out',
  'Connection reset',
  'SMTP timeout',
  'Remote host closed connection',
  // Older Exim names the host in between: `Remote host mx.example [192.0.2.1] closed connection
  // in response to end of data`.
  'closed connection in response to',
  'Network is unreachable',
  'No route to host',
  'Host is unreachable',
  'Host is down',
  'timed out',
];

/** TLS failures (Postfix smtp_tls_policy.c / tls_client.c, Exim, Sendmail STARTTLS). Postfix
 *  also names the SMTP greeting a handshake (`lost connection with X while performing the EHLO
 *  handshake`, smtp_proto.c): a lost or timed-out connection, not TLS. A `dane-only` policy
 *  that cannot be met (`no TLSA records found`, `non DNSSEC destination`, dane_incompat() in
 *  smtp_tls_policy.c) is TLS policy too; a TLSA look-up that failed is not (see classify.ts). */
export const TLS_TEXT = new RegExp(
  [
    '\\bTLSA?\\b',
    'STARTTLS',
    'certificate',
    'non DNSSEC destination',
    '(?<!(?:EHLO|HELO|LHLO|protocol) )handshake',
  ].join('|'),
);

/** A remote reply about our sender domain not resolving: `450 4.1.8 <a@example.org>: Sender
 *  address rejected: Domain not found` (Postfix smtpd_check.c) and common variants. */
export const SENDER_DNS_REPLY = anyOf([
  'Sender address rejected: Domain not found',
  'Sender address rejected: un(?:verified|deliverable) address: Host or domain name not found',
  'Sender address rejected: un(?:verified|deliverable) address: Name service error',
  // spamdyke: `421 Refused. The domain of your sender address has no mail exchanger (MX).`
  'domain of your sender address has no mail exchanger',
  'sender (?:address )?domain (?:not found|does not (?:exist|resolve)|must (?:resolve|exist))',
  'domain of sender address \\S+ does not (?:exist|resolve)',
  // 1&1 (`421 unable to verify sender domain`), GMX and web.de (`550 invalid DNS MX or A/AAAA
  // resource record`, their check of the MAIL FROM domain).
  '(?:unable to|could not|cannot|failed to) verify sender domain',
  'invalid DNS MX or A/AAAA',
  // cPanel's Exim (`550-Sender has no A, AAAA, or MX DNS records`) and `553 sorry, your domain
  // does not exists.`
  'sender has no A, AAAA,? or MX',
  'your (?:sender )?domain does not exists?',
  // Exim's sender verification (`verify = sender`) when our domain does not route, and when
  // routing it deferred (acl.c; its callout, `... sender verify callout`, is no DNS failure).
  'Verification failed for [\\s\\S]{0,300}?Unrouteable address',
  'Could not complete sender verify(?! callout)',
  // Yahoo checks the MAIL FROM and From: domains (`451 Message temporarily deferred due to
  // unresolvable RFC.5321 from domain`): those are ours, not the recipient's.
  'unresolvable RFC\\.?532[12] from domain',
]);

/** A remote rejecting us because our HELO name or our address's PTR record does not resolve
 *  (Postfix `reject_unknown_client_hostname`, `reject_unknown_reverse_client_hostname`,
 *  `reject_unknown_helo_hostname`; Gmail's and Yahoo's PTR checks). That is our DNS, but the
 *  re-check does not look at our names (see the README's limitations), so these are counted by
 *  their reply code, before the DNS words in them make them look like the recipient's. */
export const CLIENT_DNS_REPLY = anyOf([
  'cannot find your (?:reverse )?hostname',
  'Helo command rejected: Host not found',
  'reverse[- ](?:DNS|lookup|hostname|name|resolution)',
  'forward[- ]confirmed',
  // As words of their own (`PTR record`, `PTR-record`), not inside a host name
  // (`ptr.example.net`, `mx-ptr1`) or an address.
  '(?<![\\w@.-])(?:FC)?rDNS(?![\\w@]|\\.\\w)',
  '(?<![\\w@.-])PTR(?![\\w@]|\\.\\w)',
]);

/**
 * Whether the remote reply in a record's text is about our PTR record or HELO name: the reply
 * alone (after Postfix's `said: `, Exim's `SMTP error ... :`), not the host names and
 * addresses around it. Sendmail's text is its own summary and the reply.
 */
export function isReplyAboutOurNames(text: string): boolean {
  return CLIENT_DNS_REPLY.test(remoteReply(text));
}

function remoteReply(text: string): string {
  for (const marker of [' said: ', ' refused to talk to me: ']) {
    const at = text.indexOf(marker);
    if (at !== -1) return text.slice(at + marker.length);
  }

  return EXIM_REPLY.exec(text)?.[1] ?? text;
}

/** A remote's reply to MAIL FROM is about our sender, never about the recipient: any DNS
 *  failure it reports is its look-up of our sender domain (qmail's `451 DNS temporary failure
 *  (#4.3.0)`). Postfix ends such a reply with `(in reply to MAIL FROM command)`; Exim writes
 *  `SMTP error from remote mail server after [pipelined ]MAIL FROM:<...>`. */
export const MAIL_FROM_REPLY =
  /in reply to MAIL FROM command|remote mail server after (?:pipelined )?MAIL FROM/;

/** A remote server or relay reporting that its own DNS look-up for the recipient failed
 *  (`451 4.7.0 MX lookup failed temporarily` is OpenSMTPD's wording). Exim's `550 Unrouteable
 *  address` is not here: a recipient's own Exim MX says it of a mailbox it does not have
 *  (`verify = recipient`), which is far commoner than a smarthost that cannot find a domain. */
export const REMOTE_DNS_REPLY = anyOf([
  'MX lookup failed',
  'DNS (?:lookup |query )?(?:temporary )?(?:failure|failed|error|timeout|problem)',
  'temporary DNS',
  'Domain not found',
  'host lookup did not complete',
  'Name service error',
  'Host or domain name not found',
  '(?:unable to|could not|cannot) resolve',
  'unresolvable',
  // X.4.3, directory server failure, but not inside an address such as `[10.4.4.3]`.
  '(?<![\\d.])4\\.4\\.3(?![\\d.])',
]);

/** A remote reply: a three-digit code at the start. */
export const REPLY_CODE = /^[2-5]\d\d[ -]/;

/** Sendmail's `stat=` summary followed by the server's reply (the parser joins `stat=User
 *  unknown` and `reply=550 5.1.1 ...` as `User unknown: 550 5.1.1 ...`). */
export const SENDMAIL_SUMMED_REPLY = /^[A-Za-z][^:]*: ([45]\d\d[ -].*)$/;

/** Sendmail's own words for a connection that broke, written like a reply (usersmtp.c): `451
 *  4.4.1 reply: read error from mx.example.com.`, `421 4.4.1 Connection reset by ...`. */
export const SENDMAIL_CONNECTION_REPLY = new RegExp(
  '^[45]\\d\\d 4\\.4\\.[12] ' +
    '(?:reply: read error from|Connection reset by|timeout waiting for input|lost connection)',
);

/** Sendmail's `stat=` for errors of our own system (sysexits.c: EX_OSERR, EX_OSFILE,
 *  EX_CANTCREAT, EX_IOERR, EX_SOFTWARE, EX_CONFIG, EX_NOPERM): not the remote relay's doing,
 *  even when the line names one. */
export const SENDMAIL_LOCAL_ERRORS: readonly string[] = [
  'Operating system error',
  'Critical OS file missing',
  "Can't create output",
  'I/O error',
  'Internal software error',
  'Local configuration error',
  'Permission denied',
];

/** Sendmail's canonification timeout and map deferrals (daemon.c, parseaddr.c). */
export const SENDMAIL_TIMEOUT = /(?:^|\s)(\S+?)\.?: Name server timeout/;
export const SENDMAIL_MAP_DEFERRED = /host map: lookup \(([^)]*)\): deferred/;

/**
 * DSN detail (the part after the class digit) → cause, used only when the text says nothing
 * more (RFC 3463: X.4.3 directory server failure, X.4.4 unable to route, X.1.2 bad
 * destination system address, X.1.8 bad sender's system address, X.4.1 no answer from host,
 * X.4.2 bad connection, X.7.5 cryptographic failure; RFC 7505: X.1.10 null MX).
 */
export const DSN_CAUSES: ReadonlyMap<string, Cause> = new Map<string, Cause>([
  ['4.3', 'dns-tempfail'],
  ['4.4', 'dns-notfound'],
  ['1.2', 'dns-notfound'],
  ['1.10', 'null-mx'],
  ['1.8', 'sender-dns'],
  ['4.1', 'connection'],
  ['4.2', 'connection'],
  ['7.5', 'tls'],
]);

/** One case-insensitive pattern matching any of `alternatives`. */
function anyOf(alternatives: readonly string[]): RegExp {
  return new RegExp(alternatives.join('|'), 'i');
}
