// The cause of a delivery record, read from its text per mail server; the status and DSN only
// break ties when the text says nothing more (see `Cause` in model.ts).
//
// Decisions:
// - `TLSA lookup error for mx.example.org:25` (Postfix) and Exim's `DANE error: tlsa lookup
//   DEFER` are DNS look-ups that failed (usually a DNSSEC or server fault in the MX host's
//   zone), not TLS handshakes: `dns-tempfail`, with the MX host as the look-up name, so the
//   group gets a DNS re-check.
// - Follow-on deferrals that name their cause (Postfix `delivery temporarily suspended: X`) are
//   classified by X. Exim's `retry time not reached` names none: it inherits the last cause seen
//   for the same host and recipient domain. Exim keeps retry records for address failures (a
//   remote 451 to RCPT TO) as well as for router DNS failures, and the lab log shows `routing
//   defer (-52)` after both, so no DNS cause is assumed: with nothing seen before (the log
//   starts mid-incident), the cause is `other`. `retry time not reached for any host` is about
//   host retry records only, so it inherits the last cause that was not a reply to RCPT TO.
// - Exim logs `Unrouteable address` for a domain that does not exist and for one that has
//   neither MX nor address records alike: both are `dns-notfound`; the DNS re-check tells them
//   apart.
// - Postfix's LMTP client looks up the host its transport names, never MX records (lmtp(8)):
//   a name it cannot find is our own configuration's (`lmtp:inet:dovecot:24`), so it is
//   `dns-notfound` or `dns-nodata` under its own name, never `mx-unresolvable`.

import { DNS_CAUSES, type Cause, type Classification, type DeliveryRecord } from '../model.js';
import { normaliseDomain } from './domain.js';
import {
  CLIENT_DNS_REPLY,
  CONNECTION_PHRASES,
  DSN_CAUSES,
  EXIM_ADDRESS_REPLY,
  EXIM_ANY_HOST_RETRY,
  EXIM_FAILED_LOOKUP,
  EXIM_HOST_LOOKUP_DEFERRED,
  EXIM_HOST_NOT_FOUND,
  EXIM_PHRASES,
  EXIM_REMOTE_ERROR,
  EXIM_REPLY,
  EXIM_RETRY_NOT_REACHED,
  MAIL_FROM_REPLY,
  POSTFIX_NO_DATA,
  POSTFIX_NOT_FOUND,
  POSTFIX_SUSPENDED,
  POSTFIX_TEMPORARY,
  REMOTE_DNS_REPLY,
  REPLY_CODE,
  SENDER_DNS_REPLY,
  SENDMAIL_CONNECTION_REPLY,
  SENDMAIL_LOCAL_ERRORS,
  SENDMAIL_MAP_DEFERRED,
  SENDMAIL_NO_DATA,
  SENDMAIL_SUMMED_REPLY,
  SENDMAIL_NOT_FOUND,
  SENDMAIL_TIMEOUT,
  TLS_TEXT,
} from './phrases.js';
import { detach } from './text.js';

export interface Classifier {
  classify(record: DeliveryRecord): Classification;
}

export interface ClassifierOptions {
  /** Host and domain pairs whose last cause is remembered for repeats. */
  readonly maxRemembered?: number;
}

/** What a text says; `inherit` marks a repeat whose cause is the one before it, and
 *  `inherit-host` one that repeats a failure of every host (see `EXIM_ANY_HOST_RETRY`). */
type Finding = Classification | typeof INHERIT | typeof INHERIT_HOST;

const INHERIT = 'inherit';
const INHERIT_HOST = 'inherit-host';
const MAX_REMEMBERED = 50_000;
/** Postfix's LMTP client, which looks up no MX records (lmtp(8)). */
const LMTP = 'lmtp';
/** Postfix's `Name server loop for X`: a CNAME loop for X (dns_lookup.c). */
const NAME_SERVER_LOOP = 'Name server loop for ';
const PLAIN = new Map<Cause, Classification>();
const REPEAT = new Map<Cause, Classification>();

const defaultClassifier = createClassifier();

/**
 * The cause of one delivery record. Repeats inherit the cause last seen for their host and
 * domain, so records must come in log order; `createClassifier` gives a fresh memory.
 */
export function classify(record: DeliveryRecord): Classification {
  return defaultClassifier.classify(record);
}

/** A classifier with its own memory of recent causes (bounded) for repeats. */
export function createClassifier(options: ClassifierOptions = {}): Classifier {
  const cap = options.maxRemembered ?? MAX_REMEMBERED;
  const anyCause = createMemory(cap);
  // Exim keeps a reply to RCPT TO as a retry record of the address, not of the hosts.
  const hostCause = createMemory(cap);

  return {
    classify(record: DeliveryRecord): Classification {
      if (record.status === 'sent') return plain('other');
      if (record.status === 'expired') return plain('expired');

      const domain = normaliseDomain(record.recipient).domain;
      const finding = findCause(record, domain);
      if (finding === INHERIT) return repeat(anyCause.get(record.host, domain) ?? 'other');
      if (finding === INHERIT_HOST) return repeat(hostCause.get(record.host, domain) ?? 'other');

      // Only Exim's repeats name no cause of their own.
      if (record.mta === 'exim' && !finding.isRepeat) remember(record, domain, finding.cause);

      return finding;
    },
  };

  function remember(record: DeliveryRecord, domain: string, cause: Cause): void {
    anyCause.set(record.host, domain, cause);
    if (!EXIM_ADDRESS_REPLY.test(record.text)) hostCause.set(record.host, domain, cause);
  }
}

interface CauseMemory {
  get(host: string, domain: string): Cause | undefined;
  set(host: string, domain: string, cause: Cause): void;
}

/** The last cause per host and domain; all is forgotten when `cap` pairs are remembered. */
function createMemory(cap: number): CauseMemory {
  const byHost = new Map<string, Map<string, Cause>>();
  let remembered = 0;

  return {
    get: (host, domain) => byHost.get(host)?.get(domain),
    set(host, domain, cause) {
      let byDomain = byHost.get(host);
      if (byDomain === undefined || !byDomain.has(domain)) {
        if (remembered >= cap) {
          byHost.clear();
          remembered = 0;
          byDomain = undefined;
        }

        remembered += 1;
      }

      if (byDomain === undefined) {
        byDomain = new Map();
        byHost.set(detach(host), byDomain);
      }

      byDomain.set(detach(domain), cause);
    },
  };
}

function findCause(record: DeliveryRecord, domain: string): Finding {
  switch (record.mta) {
    case 'postfix':
      return classifyPostfix(record, record.text, domain);
    case 'exim':
      return classifyExim(record);
    case 'sendmail':
      return classifySendmail(record, domain);
  }
}

function classifyPostfix(record: DeliveryRecord, text: string, domain: string): Classification {
  if (text.startsWith(POSTFIX_SUSPENDED)) {
    const repeated = classifyPostfix(record, text.slice(POSTFIX_SUSPENDED.length), domain);
    return repeated.isRepeat ? repeated : asRepeat(repeated);
  }

  return postfixText(text, record.daemon === LMTP ? undefined : domain) ?? fallback(record);
}

/** `mxDomain` is the domain whose MX hosts the names looked up may be, `undefined` when no MX
 *  records were looked up (LMTP). */
function postfixText(text: string, mxDomain: string | undefined): Classification | undefined {
  // A remote reply first: a relay running Postfix quotes its own look-up error in it
  // (`said: 450 4.1.1 ...: unverified address: ... Name service error for name=...`).
  // Postfix before 2.3 wrote a refused greeting `connect to X: server refused to talk to me:`.
  if (text.startsWith('host ') || text.startsWith('connect to ')) {
    const reply = replyAfter(text, ' said: ') ?? replyAfter(text, ' refused to talk to me: ');
    if (reply !== undefined) return plain(classifyReply(reply, text));
  }

  // Our own doing: SASL login to our relayhost, and a peer that is ourselves (smtp_connect.c).
  if (text.startsWith('SASL authentication failed')) return plain('other');
  if (text.includes('loops back to myself')) return plain('other');
  if (text.startsWith(NAME_SERVER_LOOP)) {
    const name = lookupName(text.slice(NAME_SERVER_LOOP.length));
    return namedAbsence('dns-notfound', name, mxDomain);
  }

  const nameError = text.indexOf('Name service error for name=');
  if (nameError !== -1) return postfixNameError(text, nameError + 28, mxDomain);

  // `smtp_dns_reply_filter` dropped every answer (dns_lookup.c): our look-up gave nothing.
  const filtered = text.indexOf('Error looking up name=');
  if (filtered !== -1) return postfixNameError(text, filtered + 22, mxDomain);

  if (text.includes('(nullMX)')) return plain('null-mx');
  if (text.startsWith('unable to look up host ')) return postfixNativeLookup(text, mxDomain);
  if (text.startsWith('TLSA lookup error for ')) return postfixTlsa(text);
  if (text.includes('Name service error for ')) return plain('dns-notfound');
  return connectionOrTls(text);
}

/** `Name service error for name=X type=T: HERR` (Postfix dns_lookup.c). */
function postfixNameError(
  text: string,
  nameStart: number,
  mxDomain: string | undefined,
): Classification {
  const typeAt = text.indexOf(' type=', nameStart);
  const colon = text.indexOf(': ', typeAt);
  if (typeAt === -1 || colon === -1) return plain('dns-tempfail');

  const name = lookupName(text.slice(nameStart, typeAt));
  const herr = text.slice(colon + 2);
  if (herr.startsWith(POSTFIX_TEMPORARY)) return named('dns-tempfail', name);
  if (herr.startsWith(POSTFIX_NO_DATA)) return namedAbsence('dns-nodata', name, mxDomain);
  if (herr.startsWith(POSTFIX_NOT_FOUND)) return namedAbsence('dns-notfound', name, mxDomain);

  // `Non-recoverable error`, `Malformed or unexpected name server reply`: the look-up failed
  // without an answer about the name; the DNS re-check says whose fault it is.
  return named('dns-tempfail', name);
}

/** `unable to look up host H: Temporary failure in name resolution` (native look-ups). */
function postfixNativeLookup(text: string, mxDomain: string | undefined): Classification {
  const colon = text.indexOf(': ', 23);
  const name = lookupName(text.slice(23, colon === -1 ? text.length : colon));
  if (text.includes('Temporary failure')) return named('dns-tempfail', name);
  return namedAbsence('dns-notfound', name, mxDomain);
}

/** `TLSA lookup error for mx.example.org:25`: see the decision at the top of the file. */
function postfixTlsa(text: string): Classification {
  const target = text.slice(22);
  const colon = target.lastIndexOf(':');
  return named('dns-tempfail', lookupName(colon === -1 ? target : target.slice(0, colon)));
}

function classifyExim(record: DeliveryRecord): Finding {
  const text = record.text;
  if (EXIM_RETRY_NOT_REACHED.test(text)) {
    return EXIM_ANY_HOST_RETRY.test(text) ? INHERIT_HOST : INHERIT;
  }

  if (text.includes(EXIM_REMOTE_ERROR)) {
    const reply = EXIM_REPLY.exec(text);
    if (reply !== null) return plain(classifyReply(reply[1] as string, text));
  }

  for (const [phrase, cause] of EXIM_PHRASES) {
    if (text.includes(phrase)) return plain(cause);
  }

  const failedLookup = EXIM_FAILED_LOOKUP.exec(text) ?? EXIM_HOST_LOOKUP_DEFERRED.exec(text);
  if (failedLookup !== null) return named('dns-tempfail', lookupName(failedLookup[1] as string));

  // The host a router routes to is our own configuration (a smarthost), not one of the
  // recipient's MX hosts: not found, under its own name.
  const missingHost = EXIM_HOST_NOT_FOUND.exec(text);
  if (missingHost !== null) return named('dns-notfound', lookupName(missingHost[1] as string));

  return connectionOrTls(text) ?? fallback(record);
}

function classifySendmail(record: DeliveryRecord, domain: string): Classification {
  const found = sendmailText(record, domain);
  // A hand-off our own daemon refused or failed is nothing of the recipient's hosts, unless
  // the daemon's reply is about DNS (`451 4.1.8 Domain of sender address ... does not resolve`).
  const isOwnDaemon = record.isHandoff === true && record.relay !== undefined;
  return isOwnDaemon && !DNS_CAUSES.has(found.cause) ? plain('other') : found;
}

function sendmailText(record: DeliveryRecord, domain: string): Classification {
  const text = record.text;
  const stat = text.startsWith('Deferred: ') ? text.slice(10) : text;
  // The server's own reply first (`reply=`, joined after the summary): a relay may quote its
  // look-up failure in it, which is not ours.
  const summed = SENDMAIL_SUMMED_REPLY.exec(stat);
  if (summed !== null) return plain(classifyReply(summed[1] as string, text));

  const nameServer = stat.indexOf('Name server: ');
  if (nameServer !== -1) return sendmailNameServer(stat, nameServer + 13, domain);

  const timeout = SENDMAIL_TIMEOUT.exec(stat) ?? SENDMAIL_MAP_DEFERRED.exec(stat);
  if (timeout !== null) return named('dns-tempfail', lookupName(timeout[1] as string));

  if (stat.includes('MX 0 .') || stat.includes('does not accept mail')) return plain('null-mx');
  if (SENDMAIL_CONNECTION_REPLY.test(stat)) return plain('connection');
  if (REPLY_CODE.test(stat)) return plain(classifyReply(stat, text));
  if (stat.startsWith('Host unknown')) return plain('dns-notfound');
  if (SENDMAIL_LOCAL_ERRORS.some((error) => stat.startsWith(error))) return plain('other');
  return connectionOrTls(stat) ?? fallback(record);
}

/** `Name server: X: host name lookup failure | host not found | no data known | ...`. */
function sendmailNameServer(stat: string, nameStart: number, domain: string): Classification {
  const colon = stat.indexOf(': ', nameStart);
  if (colon === -1) return plain('dns-tempfail');

  const name = lookupName(stat.slice(nameStart, colon));
  const reason = stat.slice(colon + 2);
  if (reason.startsWith(SENDMAIL_NOT_FOUND)) return namedAbsence('dns-notfound', name, domain);
  if (reason.startsWith(SENDMAIL_NO_DATA)) return namedAbsence('dns-nodata', name, domain);

  // `host name lookup failure` (TRY_AGAIN) and `non-recoverable error`.
  return named('dns-tempfail', name);
}

/** The cause a remote server's reply tells: about our sender domain, its own DNS look-up for
 *  the recipient, TLS, or else its class: 4xx is temporary, 5xx a rejection. `text` is the
 *  whole record, which may say the command the reply answered. */
function classifyReply(reply: string, text: string): Cause {
  if (SENDER_DNS_REPLY.test(reply)) return 'sender-dns';
  if (!CLIENT_DNS_REPLY.test(reply) && REMOTE_DNS_REPLY.test(reply)) {
    return MAIL_FROM_REPLY.test(text) ? 'sender-dns' : 'remote-dns';
  }

  if (TLS_TEXT.test(reply)) return 'tls';
  return reply.charCodeAt(0) === 53 ? 'remote-reject' : 'remote-tempfail';
}

function replyAfter(text: string, marker: string): string | undefined {
  const index = text.indexOf(marker);
  return index === -1 ? undefined : text.slice(index + marker.length);
}

function connectionOrTls(text: string): Classification | undefined {
  if (TLS_TEXT.test(text)) return plain('tls');
  for (const phrase of CONNECTION_PHRASES) {
    if (text.includes(phrase)) return plain('connection');
  }

  return undefined;
}

/**
 * When the text says nothing more: the DSN (Sendmail's `stat=queued` with 4.4.3, `Service
 * unavailable` with 5.1.10), else a remote relay's status (a reply was received), else `other`.
 */
function fallback(record: DeliveryRecord): Classification {
  const dsn = record.dsn;
  if (dsn !== undefined && dsn.length > 2) {
    const cause = DSN_CAUSES.get(dsn.slice(2));
    if (cause !== undefined) return plain(cause);
  }

  if (record.relay !== undefined && record.relay.includes('[')) {
    return plain(record.status === 'bounced' ? 'remote-reject' : 'remote-tempfail');
  }

  return plain('other');
}

/** A look-up name as logged (`mx1.Example.com.`, Sendmail's quoted `'smtp.example.com'` for a
 *  relay given in quotes) in the form domains are grouped by. */
function lookupName(name: string): string {
  const quoted = name.length > 2 && name.startsWith("'") && name.endsWith("'");
  return normaliseDomain(quoted ? name.slice(1, -1) : name).domain;
}

/** The name does not exist (or has no data): the recipient domain itself, or another name,
 *  which can only be one of its MX hosts, unless no MX records were looked up (`mxDomain`
 *  undefined): then it is a host our own configuration names. */
function namedAbsence(cause: Cause, name: string, mxDomain: string | undefined): Classification {
  return named(mxDomain === undefined || name === mxDomain ? cause : 'mx-unresolvable', name);
}

function named(cause: Cause, name: string): Classification {
  return name === '' ? plain(cause) : { cause, isRepeat: false, lookupName: name };
}

function asRepeat(classification: Classification): Classification {
  if (classification.lookupName === undefined) return repeat(classification.cause);
  return { ...classification, isRepeat: true };
}

/** Shared, frozen results for the common case without a look-up name. */
function plain(cause: Cause): Classification {
  return cached(PLAIN, cause, false);
}

function repeat(cause: Cause): Classification {
  return cached(REPEAT, cause, true);
}

function cached(
  table: Map<Cause, Classification>,
  cause: Cause,
  isRepeat: boolean,
): Classification {
  let result = table.get(cause);
  if (result === undefined) {
    result = Object.freeze({ cause, isRepeat });
    table.set(cause, result);
  }

  return result;
}
