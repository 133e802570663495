// Code tables for the Postfix parser: daemons, status words and lines that carry only context.

import type { Status } from '../model.js';

/** `status=` words of a delivery record and the status they stand for. `SOFTBOUNCE` is what
 *  Postfix logs instead of a bounce under `soft_bounce = yes`: the message stays queued. */
export const DELIVERY_STATUSES: ReadonlyMap<string, Status> = new Map<string, Status>([
  ['sent', 'sent'],
  ['deferred', 'deferred'],
  ['bounced', 'bounced'],
  ['expired', 'expired'],
  ['SOFTBOUNCE', 'deferred'],
]);

/** No queue id, short or long, is longer than this. */
export const MAX_QUEUE_ID = 24;

/** Short queue ids are upper-case hex. */
export const SHORT_ID_CHARS = charTable('0123456789ABCDEF');

/** Long queue ids (`enable_long_queue_ids`) use a base-52 alphabet without vowels, so words
 *  such as `warning` or `NOQUEUE` never pass for one. */
export const LONG_ID_CHARS = charTable('0123456789BCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz');

/** Address-verification probe results (verify(8)): not deliveries. */
export const VERIFY_STATUSES: ReadonlySet<string> = new Set([
  'deliverable',
  'undeliverable',
  'undeliverable-but-not-cached',
]);

/**
 * Lines without a queue id that carry context only: client connections, TLS notes, postscreen
 * verdicts, start-up and statistics. Most frequent first, since they are tried in order.
 */
export const CONTEXT_PREFIXES: readonly string[] = [
  'connect from ',
  'disconnect from ',
  'connect to ',
  'lost connection ',
  'warning: ',
  'NOQUEUE: ',
  'CONNECT from ',
  'PASS NEW ',
  'PASS OLD ',
  'DISCONNECT ',
  'HANGUP ',
  'PREGREET ',
  'DNSBL rank ',
  'COMMAND ',
  'BARE NEWLINE ',
  'NON-SMTP COMMAND ',
  'WHITELISTED ',
  'ALLOWLISTED ',
  'BLACKLISTED ',
  'DENYLISTED ',
  'WHITELIST VETO ',
  'ALLOWLIST VETO ',
  'addr ',
  'Anonymous TLS connection established',
  'Trusted TLS connection established',
  'Untrusted TLS connection established',
  'Verified TLS connection established',
  'SSL_accept error',
  'SSL_connect error',
  'TLS library problem',
  'setting up TLS connection',
  'timeout after ',
  'too many errors after ',
  'improper command pipelining ',
  'statistics: ',
  'error: ',
  'fatal: ',
  'panic: ',
  'daemon started',
  'reload ',
  'terminating on signal',
  'starting the Postfix mail system',
  'stopping the Postfix mail system',
  'refreshing the Postfix mail system',
  'Postfix is ',
  'See http',
  'waiting for the Postfix mail system',
  'Deleted: ',
  'Requeued: ',
  'Placed on hold: ',
  'Released from hold: ',
  'certificate verification failed',
  'server certificate ',
  'To disable backwards compatibility',
  'host ',
  // Before-queue content filters (smtpd_proxy_filter), one of each per message they pass.
  'proxy-accept: ',
  'proxy-reject: ',
  'cache ',
  'table ',
  'Renamed to match inode number',
  'Host offered STARTTLS',
  'Unverified: ',
];

/** Lines with a queue id that carry context only, besides `to=`, `from=` and `removed`:
 *  message arrival (smtpd, pickup, cleanup), notifications (bounce), per-host replies that are
 *  logged again on the recipient's record (smtp), header and milter actions (cleanup). */
export const QUEUE_CONTEXT_PREFIXES: readonly string[] = [
  'client=',
  'message-id=',
  'uid=',
  'sender non-delivery notification: ',
  'sender delivery status notification: ',
  'sender delay notification: ',
  'postmaster non-delivery notification: ',
  'postmaster delay notification: ',
  'host ',
  'lost connection with ',
  'conversation with ',
  'connect to ',
  'reject: ',
  'milter-reject: ',
  'milter-discard: ',
  'milter-hold: ',
  'discard: ',
  'hold: ',
  'redirect: ',
  'filter: ',
  'replace: ',
  'prepend: ',
  'info: ',
  // postsuper(1) on one message (postsuper.c); the bulk forms are in CONTEXT_PREFIXES.
  'requeued',
  'placed on hold',
  'released from hold',
  'enabling PIX',
  // qmgr: the notice of a bounce could not be made; its recipients stay queued.
  'status=deferred (bounce failed)',
  'warning: ',
  'resent-message-id=',
  'skipped, still being delivered',
  'enabling PIX workarounds',
  'breaking line ',
  'SASL ',
  'sasl_method=',
  'orig_client=',
  'Cannot start TLS',
  'Server certificate ',
  'TLS is required',
];

/** 1 at the character codes of `chars`: one entry for every byte value. */
function charTable(chars: string): Uint8Array {
  const table = new Uint8Array(256);
  for (let index = 0; index < chars.length; index += 1) table[chars.charCodeAt(index)] = 1;
  return table;
}
