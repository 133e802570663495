import test from 'ava';
import fc from 'fast-check';
import { createClassifier } from '../../src/classify/classify.js';
import { normaliseDomain } from '../../src/classify/domain.js';
import type { Classification, DeliveryRecord, Mta, Status } from '../../src/model.js';
import { STATUSES } from '../../src/model.js';
import { parseSample } from '../mta/helpers.js';

interface RecordShape {
  readonly text: string;
  readonly recipient?: string;
  readonly status?: Status;
  readonly dsn?: string;
  readonly relay?: string;
  readonly host?: string;
  readonly isHandoff?: boolean;
  readonly daemon?: string;
}

function record(mta: Mta, shape: RecordShape): DeliveryRecord {
  return {
    kind: 'delivery',
    time: 0,
    host: shape.host ?? 'mail',
    mta,
    daemon: shape.daemon ?? mta,
    queueId: 'Q1',
    recipient: shape.recipient ?? 'ann@example.com',
    status: shape.status ?? 'deferred',
    ...(shape.dsn === undefined ? {} : { dsn: shape.dsn }),
    ...(shape.relay === undefined ? {} : { relay: shape.relay }),
    ...(shape.isHandoff === undefined ? {} : { isHandoff: shape.isHandoff }),
    text: shape.text,
    source: { file: 'test', line: 1 },
  };
}

const classifies = test.macro({
  exec(t, mta: Mta, shape: RecordShape, expected: Classification) {
    t.deepEqual({ ...createClassifier().classify(record(mta, shape)) }, expected);
  },
  title: (_provided, mta: Mta, shape: RecordShape, expected: Classification) =>
    `the classifier gives ${expected.cause}${expected.isRepeat ? ' (repeat)' : ''} for ${mta}: ${shape.text}`,
});

const POSTFIX_CASES: readonly (readonly [RecordShape, Classification])[] = [
  [
    {
      text: 'Host or domain name not found. Name service error for name=example.com type=MX: Host not found, try again',
      dsn: '4.4.3',
    },
    { cause: 'dns-tempfail', isRepeat: false, lookupName: 'example.com' },
  ],
  [
    {
      text: 'delivery temporarily suspended: Host or domain name not found. Name service error for name=example.com type=MX: Host not found, try again',
    },
    { cause: 'dns-tempfail', isRepeat: true, lookupName: 'example.com' },
  ],
  [
    {
      text: 'Host or domain name not found. Name service error for name=mx1.example.com type=A: Host not found, try again',
    },
    { cause: 'dns-tempfail', isRepeat: false, lookupName: 'mx1.example.com' },
  ],
  [
    {
      text: 'Host or domain name not found. Name service error for name=example.com type=AAAA: Host not found',
      status: 'bounced',
      dsn: '5.4.4',
    },
    { cause: 'dns-notfound', isRepeat: false, lookupName: 'example.com' },
  ],
  [
    {
      text: 'Host or domain name not found. Name service error for name=mx-old.example.com type=AAAA: Host not found',
      status: 'bounced',
      dsn: '5.4.4',
    },
    { cause: 'mx-unresolvable', isRepeat: false, lookupName: 'mx-old.example.com' },
  ],
  [
    {
      text: 'Host or domain name not found. Name service error for name=example.com type=A: Host found but no data record of requested type',
      status: 'bounced',
    },
    { cause: 'dns-nodata', isRepeat: false, lookupName: 'example.com' },
  ],
  [
    {
      text: 'Host or domain name not found. Name service error for name=mx.example.com type=A: Host found but no data record of requested type',
      status: 'bounced',
    },
    { cause: 'mx-unresolvable', isRepeat: false, lookupName: 'mx.example.com' },
  ],
  [
    {
      text: 'Host or domain name not found. Name service error for name=xn--bcher-kva.example type=AAAA: Host not found',
      recipient: 'jörg@BÜCHER.example',
      status: 'bounced',
    },
    { cause: 'dns-notfound', isRepeat: false, lookupName: 'xn--bcher-kva.example' },
  ],
  [
    {
      text: 'Host or domain name not found. Name service error for name=example.com type=MX: Malformed or unexpected name server reply',
      status: 'bounced',
    },
    { cause: 'dns-tempfail', isRepeat: false, lookupName: 'example.com' },
  ],
  [
    { text: 'Domain example.com does not accept mail (nullMX)', status: 'bounced', dsn: '5.1.0' },
    { cause: 'null-mx', isRepeat: false },
  ],
  [
    { text: 'TLSA lookup error for mx.example.com:25', dsn: '4.7.5' },
    { cause: 'dns-tempfail', isRepeat: false, lookupName: 'mx.example.com' },
  ],
  [
    {
      text: 'unable to look up host mx.example.com: Temporary failure in name resolution',
      dsn: '4.4.4',
    },
    { cause: 'dns-tempfail', isRepeat: false, lookupName: 'mx.example.com' },
  ],
  [
    { text: 'unable to look up host example.com: Name or service not known', status: 'bounced' },
    { cause: 'dns-notfound', isRepeat: false, lookupName: 'example.com' },
  ],
  [
    {
      text: 'host mx1.example.com[192.0.2.25] said: 451 4.7.0 Temporary server error. Please try again later (in reply to RCPT TO command)',
      relay: 'mx1.example.com[192.0.2.25]:25',
    },
    { cause: 'remote-tempfail', isRepeat: false },
  ],
  [
    {
      text: 'host mx.example.com[192.0.2.2] said: 550 5.1.1 <ann@example.com>: Recipient address rejected: User unknown in virtual mailbox table (in reply to RCPT TO command)',
      status: 'bounced',
    },
    { cause: 'remote-reject', isRepeat: false },
  ],
  [
    {
      text: 'host relay.example.net[198.51.100.7] said: 451 4.7.0 MX lookup failed temporarily (in reply to RCPT TO command)',
    },
    { cause: 'remote-dns', isRepeat: false },
  ],
  [
    {
      text: 'host mx2.example.net[198.51.100.7] said: 450 4.1.8 <noreply@example.org>: Sender address rejected: Domain not found (in reply to RCPT TO command)',
      dsn: '4.1.8',
    },
    { cause: 'sender-dns', isRepeat: false },
  ],
  [
    {
      text: 'host relay.example.net[198.51.100.7] said: 450 4.1.2 <ann@example.com>: Recipient address rejected: Domain not found (in reply to RCPT TO command)',
    },
    { cause: 'remote-dns', isRepeat: false },
  ],
  [
    {
      text: 'host relay.example.net[198.51.100.9] said: 450 4.1.1 <de@example.com>: Recipient address rejected: unverified address: Host or domain name not found. Name service error for name=example.com type=MX: Host not found, try again (in reply to RCPT TO command)',
      dsn: '4.1.1',
    },
    { cause: 'remote-dns', isRepeat: false },
  ],
  [
    {
      text: 'host relay.example.net[198.51.100.9] said: 550 5.1.1 <de@example.com>: Recipient address rejected: unverified address: Host or domain name not found. Name service error for name=example.com type=AAAA: Host not found (in reply to RCPT TO command)',
      status: 'bounced',
      dsn: '5.1.1',
    },
    { cause: 'remote-dns', isRepeat: false },
  ],
  [
    {
      text: 'host relay.example.net[198.51.100.9] said: 450 4.1.7 <noreply@example.org>: Sender address rejected: unverified address: Host or domain name not found. Name service error for name=example.org type=MX: Host not found, try again (in reply to RCPT TO command)',
      dsn: '4.1.7',
    },
    { cause: 'sender-dns', isRepeat: false },
  ],
  [
    {
      text: 'host relay.example.net[198.51.100.9] said: 451 4.4.0 DNS query failed (in reply to RCPT TO command)',
    },
    { cause: 'remote-dns', isRepeat: false },
  ],
  [
    {
      text: 'host relay.example.net[198.51.100.9] said: 451 4.4.0 DNS lookup failed for example.net (in reply to RCPT TO command)',
    },
    { cause: 'remote-dns', isRepeat: false },
  ],
  [
    {
      text: 'host mx.example.com[192.0.2.25] refused to talk to me: 421 4.7.0 Too many connections',
    },
    { cause: 'remote-tempfail', isRepeat: false },
  ],
  [
    {
      text: 'host mx.example.com[192.0.2.25] said: 454 4.7.0 TLS not available due to local problem (in reply to STARTTLS command)',
    },
    { cause: 'tls', isRepeat: false },
  ],
  [
    { text: 'TLS is required, but was not offered by host mx.example.com[192.0.2.25]' },
    { cause: 'tls', isRepeat: false },
  ],
  [
    { text: 'connect to mail.margie.test[127.0.5.9]:25: Connection refused', dsn: '4.4.1' },
    { cause: 'connection', isRepeat: false },
  ],
  [
    {
      text: 'lost connection with mx.example.com[192.0.2.25] while receiving the initial server greeting',
    },
    { cause: 'connection', isRepeat: false },
  ],
  [
    { text: 'conversation with mx.example.com[192.0.2.25] timed out while sending RCPT TO' },
    { cause: 'connection', isRepeat: false },
  ],
  [
    {
      text: 'delivery temporarily suspended: connect to mx.example.com[2001:db8::1a]:25: Network is unreachable',
    },
    { cause: 'connection', isRepeat: true },
  ],
  [
    { text: 'unknown user: "nobody"', status: 'bounced', dsn: '5.1.1', relay: 'local' },
    { cause: 'other', isRepeat: false },
  ],
  [
    { text: '250 2.0.0 Ok: queued as 5E6F7A8B9C', status: 'sent' },
    { cause: 'other', isRepeat: false },
  ],
  [
    { text: 'expired, returned to sender', status: 'expired' },
    { cause: 'expired', isRepeat: false },
  ],
  // Postfix calls the SMTP greeting a handshake too (smtp_proto.c): not a TLS failure.
  [
    {
      text: 'lost connection with mx1.example.net[198.51.100.7] while performing the EHLO handshake',
      dsn: '4.4.2',
    },
    { cause: 'connection', isRepeat: false },
  ],
  [
    {
      text: 'conversation with mx1.example.net[198.51.100.7] timed out while performing the HELO handshake',
    },
    { cause: 'connection', isRepeat: false },
  ],
  [
    {
      text: 'delivery temporarily suspended: lost connection with mx1.example.net[198.51.100.7] while performing the initial protocol handshake',
    },
    { cause: 'connection', isRepeat: true },
  ],
  [
    { text: 'Cannot start TLS: handshake failure', dsn: '4.7.5' },
    { cause: 'tls', isRepeat: false },
  ],
  // Addresses in a reply are not DSN codes; a 5.1.8 reply is about our sender, not its DNS.
  [
    {
      text: 'host gmail-smtp-in.l.google.com[142.250.102.27] said: 421-4.7.0 [81.4.1.8      15] Our system has detected that this message is 421-4.7.0 suspicious due to the very low reputation of the sending IP address. (in reply to end of DATA command)',
      dsn: '4.7.0',
    },
    { cause: 'remote-tempfail', isRepeat: false },
  ],
  [
    {
      text: 'host mx.example.com[192.0.2.25] said: 554 5.7.1 Service unavailable; Client host [10.4.4.3] blocked using zen.spamhaus.org (in reply to RCPT TO command)',
      status: 'bounced',
      dsn: '5.7.1',
    },
    { cause: 'remote-reject', isRepeat: false },
  ],
  [
    {
      text: 'host smtp.office365.com[52.98.0.1] said: 550 5.1.8 Access denied, bad outbound sender AS(42) [AM0PR01MB1234.eurprd01.prod.exchangelabs.com 2024-01-01T00:00:00.000Z 08DC] (in reply to MAIL FROM command)',
      status: 'bounced',
      dsn: '5.1.8',
    },
    { cause: 'remote-reject', isRepeat: false },
  ],
  [
    {
      text: 'host mx.example.net[198.51.100.9] said: 451 4.4.3 Internal DNS error, try again later (in reply to RCPT TO command)',
    },
    { cause: 'remote-dns', isRepeat: false },
  ],
  // A remote Exim that cannot route our sender's domain (`verify = sender`).
  [
    {
      text: 'host mx.example.net[198.51.100.9] said: 550-Verification failed for <noreply@example.org> 550-Unrouteable address 550 Sender verify failed (in reply to RCPT TO command)',
      status: 'bounced',
      dsn: '5.0.0',
    },
    { cause: 'sender-dns', isRepeat: false },
  ],
  // Yahoo defers mail whose MAIL FROM domain it cannot resolve: our domain, not the recipient's.
  [
    {
      text: 'host mta6.am0.yahoodns.net[192.0.2.51] said: 451 Message temporarily deferred due to unresolvable RFC.5321 from domain; see https://postmaster.yahooinc.com/error-codes (in reply to end of DATA command)',
      dsn: '4.0.0',
    },
    { cause: 'sender-dns', isRepeat: false },
  ],
  // A recipient's own Exim MX rejects a mailbox it does not have with `Unrouteable address`.
  [
    {
      text: 'host util-01.infra.openwrt.org[192.0.2.175] said: 550 Unrouteable address (in reply to RCPT TO command)',
      status: 'bounced',
      dsn: '5.0.0',
    },
    { cause: 'remote-reject', isRepeat: false },
  ],
  // Our own doing (Mailu issue 1260, EasyEngine dockerfiles issue 106).
  [
    {
      text: 'mail for mydomain.io loops back to myself',
      status: 'bounced',
      dsn: '5.4.6',
      relay: 'mail.mydomain.io[108.70.80.1]:25',
    },
    { cause: 'other', isRepeat: false },
  ],
  [
    {
      text: 'SASL authentication failed; server smtp.gmail.com[142.250.102.108] said: 535-5.7.8 Username and Password not accepted.',
      dsn: '4.7.8',
      relay: 'smtp.gmail.com[142.250.102.108]:587',
    },
    { cause: 'other', isRepeat: false },
  ],
  // The pre-2.3 wording of a refused greeting is a reply (Tobin's Postfix log-parser rules).
  [
    {
      text: 'connect to mx2.mail.ukl.yahoo.com[217.12.11.64]: server refused to talk to me: 451 Message temporarily deferred - 4.16.50  ',
    },
    { cause: 'remote-tempfail', isRepeat: false },
  ],
  // A CNAME loop on an MX host (dns_lookup.c).
  [
    {
      text: 'Name server loop for mx.the-bingo.co.uk',
      recipient: 'promotion@the-bingo.co.uk',
      status: 'bounced',
      dsn: '5.4.4',
    },
    { cause: 'mx-unresolvable', isRepeat: false, lookupName: 'mx.the-bingo.co.uk' },
  ],
  [
    {
      text: 'host mx.example.net[192.0.2.9] said: 450 4.1.8 <ann@sender.test>: Sender address rejected: undeliverable address: Host or domain name not found. Name service error for name=sender.test type=MX: Host not found, try again (in reply to RCPT TO command)',
      dsn: '4.1.8',
    },
    { cause: 'sender-dns', isRepeat: false },
  ],
  // `smtp_dns_reply_filter` dropped every answer to our look-up.
  [
    {
      text: 'Error looking up name=example.com type=MX: DNS reply filter drops all results',
      dsn: '4.7.0',
    },
    { cause: 'dns-tempfail', isRepeat: false, lookupName: 'example.com' },
  ],
  // Our own address's PTR, checked by a remote (Yahoo, in reply to MAIL FROM; freenet.de): our
  // DNS, counted by the reply code (README, limitations), never as the recipient's DNS.
  [
    {
      text: 'host mx-apac.mail.gm0.yahoodns.net[106.10.248.74] said: 550 5.7.25 Forward-confirmed reverse DNS failed tnmpmscs (in reply to MAIL FROM command)',
      status: 'bounced',
      dsn: '5.7.25',
    },
    { cause: 'remote-reject', isRepeat: false },
  ],
  [
    {
      text: 'host emig.freenet.de[2001:748:100:40::8:115] said: 550-Inconsistent/Missing DNS PTR record (RFC 1912 2.1) (in reply to MAIL FROM command)',
      status: 'bounced',
      dsn: '5.0.0',
    },
    { cause: 'remote-reject', isRepeat: false },
  ],
  [
    {
      text: 'host mx.example.net[192.0.2.9] said: 450 4.7.25 Client host rejected: cannot find your hostname, [198.51.100.7] (in reply to RCPT TO command)',
      dsn: '4.7.25',
    },
    { cause: 'remote-tempfail', isRepeat: false },
  ],
  // A DNS failure in a reply to MAIL FROM is the remote's look-up of our sender domain
  // (qmail's chkuser wording).
  [
    {
      text: 'host mx.example.net[192.0.2.9] said: 451 DNS temporary failure (#4.3.0) (in reply to MAIL FROM command)',
      dsn: '4.3.0',
    },
    { cause: 'sender-dns', isRepeat: false },
  ],
  [
    {
      text: 'host mx.example.net[192.0.2.9] said: 553 sorry, your envelope sender domain must exist (#5.7.1) (in reply to MAIL FROM command)',
      status: 'bounced',
      dsn: '5.7.1',
    },
    { cause: 'sender-dns', isRepeat: false },
  ],
  [
    {
      text: 'host mx00.emig.gmx.net[212.227.15.9] said: 550-Requested action not taken: mailbox unavailable 550 invalid DNS MX or A/AAAA resource record (in reply to MAIL FROM command)',
      status: 'bounced',
      dsn: '5.0.0',
    },
    { cause: 'sender-dns', isRepeat: false },
  ],
  // The same words in a reply to RCPT TO stay the relay's look-up of the recipient.
  [
    {
      text: 'host relay.example.net[192.0.2.9] said: 451 DNS temporary failure (#4.3.0) (in reply to RCPT TO command)',
      dsn: '4.3.0',
    },
    { cause: 'remote-dns', isRepeat: false },
  ],
  // A `dane-only` policy that the destination cannot meet (postfix-tlspol issues 8 and 52).
  [
    { text: 'no TLSA records found', dsn: '4.7.5' },
    { cause: 'tls', isRepeat: false },
  ],
  [
    { text: 'non DNSSEC destination', dsn: '4.7.5' },
    { cause: 'tls', isRepeat: false },
  ],
  // Postfix's LMTP client looks up no MX records (lmtp(8)): the name it cannot find is the host
  // of our own transport (mailcow's `lmtp:inet:dovecot:24`), not one of the recipient's MX
  // hosts. Text from https://github.com/mailcow/mailcow-dockerized/issues/3910
  [
    {
      text:
        'Host or domain name not found. Name service error for name=dovecot type=AAAA: ' +
        'Host not found',
      daemon: 'lmtp',
      status: 'bounced',
      dsn: '5.4.4',
    },
    { cause: 'dns-notfound', isRepeat: false, lookupName: 'dovecot' },
  ],
];

for (const [shape, expected] of POSTFIX_CASES) test(classifies, 'postfix', shape, expected);

const EXIM_CASES: readonly (readonly [RecordShape, Classification])[] = [
  [
    { text: 'host lookup for smarthost.example.net did not complete (DNS timeout?)' },
    { cause: 'dns-tempfail', isRepeat: false, lookupName: 'smarthost.example.net' },
  ],
  [
    { text: 'lookup of host "smarthost.example.net" failed in smarthost router' },
    { cause: 'dns-notfound', isRepeat: false, lookupName: 'smarthost.example.net' },
  ],
  [{ text: 'host lookup did not complete' }, { cause: 'dns-tempfail', isRepeat: false }],
  [
    { text: 'Unrouteable address', status: 'bounced' },
    { cause: 'dns-notfound', isRepeat: false },
  ],
  [
    { text: 'all relevant MX records point to non-existent hosts', status: 'bounced' },
    { cause: 'mx-unresolvable', isRepeat: false },
  ],
  [
    { text: 'an MX or SRV record indicated no SMTP service', status: 'bounced' },
    { cause: 'null-mx', isRepeat: false },
  ],
  [
    { text: 'failed to lookup IP address for mx1.Example.com' },
    { cause: 'dns-tempfail', isRepeat: false, lookupName: 'mx1.example.com' },
  ],
  [
    { text: 'all host address lookups failed temporarily' },
    { cause: 'dns-tempfail', isRepeat: false },
  ],
  [{ text: 'DANE error: tlsa lookup DEFER' }, { cause: 'dns-tempfail', isRepeat: false }],
  // DANE required, and no secure TLSA records or host look-up (Exim's test suite, log 5820).
  [
    { text: 'R=client T=send_to_server: DANE error: tlsa lookup FAIL', status: 'bounced' },
    { cause: 'tls', isRepeat: false },
  ],
  [
    {
      text: 'R=client T=send_to_server: DANE error: danebroken6.test.ex lookup not DNSSEC',
      status: 'bounced',
    },
    { cause: 'tls', isRepeat: false },
  ],
  // Refused before any look-up (an eximstats report of a real server).
  [
    { text: 'mail domain "" is syntactically invalid', recipient: 'root@', status: 'bounced' },
    { cause: 'other', isRepeat: false },
  ],
  // Remote replies about our sender domain (cPanel's guide to exim_mainlog).
  [
    {
      text: 'R=dkim_lookuphost T=dkim_remote_smtp: SMTP error from remote mail server after RCPT TO:<aaron@domain.com>: host mail.fictional.example [10.5.40.204]: 550-Sender has no A, AAAA, or MX DNS records. mail.fictional.example\n550 l mail.fictional.example',
      status: 'bounced',
    },
    { cause: 'sender-dns', isRepeat: false },
  ],
  [
    {
      text: 'R=dkim_lookuphost T=dkim_remote_smtp: SMTP error from remote mail server after MAIL FROM:<aaron@domain.com>: host mail.fictional.example [10.5.40.204]: 553 sorry, your domain does not exists.',
      status: 'bounced',
    },
    { cause: 'sender-dns', isRepeat: false },
  ],
  [
    {
      text: 'SMTP error from remote mail server after RCPT TO:<orders@proseware.test>: 451 4.7.0 <orders@proseware.test>: Recipient address rejected: Temporarily deferred by local policy, try again later',
    },
    { cause: 'remote-tempfail', isRepeat: false },
  ],
  [
    {
      text: 'SMTP error from remote mail server after RCPT TO:<nobody@lucerne.test>: 550 5.1.1 <nobody@lucerne.test>: Recipient address rejected: User unknown in virtual mailbox table',
      status: 'bounced',
    },
    { cause: 'remote-reject', isRepeat: false },
  ],
  [
    {
      text: 'SMTP error from remote mail server after RCPT TO:<ann@example.com>: 451 4.4.3 Temporary DNS failure\\n451 4.4.3 try again',
    },
    { cause: 'remote-dns', isRepeat: false },
  ],
  [
    {
      text: 'SMTP error from remote mail server after pipelined MAIL FROM:<noreply@example.org>: 450 4.1.8 <noreply@example.org>: Sender address rejected: Domain not found',
    },
    { cause: 'sender-dns', isRepeat: false },
  ],
  [{ text: 'Connection refused' }, { cause: 'connection', isRepeat: false }],
  [
    { text: 'Connection timed out: SMTP timeout after initial connection' },
    { cause: 'connection', isRepeat: false },
  ],
  [
    { text: 'TLS session: (SSL_connect): error:0A000086:SSL routines::certificate verify failed' },
    { cause: 'tls', isRepeat: false },
  ],
  [
    { text: 'retry timeout exceeded', status: 'expired' },
    { cause: 'expired', isRepeat: false },
  ],
  [{ text: 'retry time not reached' }, { cause: 'other', isRepeat: true }],
  [
    {
      text: 'R=dnslookup T=remote_smtp H=mx.example.net [198.51.100.7]: SMTP error from remote mail server after RCPT TO:<quin@example.net>: 550-Verification failed for <noreply@example.org>\\n550-Unrouteable address\\n550 Sender verify failed',
      status: 'bounced',
    },
    { cause: 'sender-dns', isRepeat: false },
  ],
  // `verify = sender` deferred: routing our sender's domain did not complete (Exim's acl.c).
  [
    {
      text: 'R=dnslookup T=remote_smtp defer (-44) H=mx1.example.com [192.0.2.25]: SMTP error from remote mail server after RCPT TO:<ned@example.com>: 451 Could not complete sender verify',
    },
    { cause: 'sender-dns', isRepeat: false },
  ],
  // Its callout did not complete: the remote could not reach our server, no DNS failure.
  [
    {
      text: 'R=dnslookup T=remote_smtp defer (-44) H=mx1.example.com [192.0.2.25]: SMTP error from remote mail server after RCPT TO:<ned@example.com>: 451 Could not complete sender verify callout',
    },
    { cause: 'remote-tempfail', isRepeat: false },
  ],
  [
    {
      text: 'R=dnslookup T=remote_smtp H=util-01.infra.openwrt.org [2001:db8::175a:2001]: SMTP error from remote mail server after RCPT TO:<nbd@openwrt.org>: 550 Unrouteable address',
      status: 'bounced',
    },
    { cause: 'remote-reject', isRepeat: false },
  ],
  // Older Exim names the host between `Remote host` and `closed connection`.
  [
    {
      text: 'Remote host host117.enginereliable.com [205.204.86.119] closed connection in response to end of data',
    },
    { cause: 'connection', isRepeat: false },
  ],
  [
    {
      text: 'R=dnslookup T=remote_smtp H=mx.example.net [192.0.2.9]: SMTP error from remote mail server after MAIL FROM:<ann@ours.example> SIZE=1409: 451 DNS temporary failure (#4.3.0)',
    },
    { cause: 'sender-dns', isRepeat: false },
  ],
  [
    {
      text: 'R=dnslookup T=remote_smtp H=mx.example.net [192.0.2.9]: SMTP error from remote mail server after pipelined MAIL FROM:<ann@ours.example> SIZE=1409: 451 DNS temporary failure (#4.3.0)',
    },
    { cause: 'sender-dns', isRepeat: false },
  ],
];

for (const [shape, expected] of EXIM_CASES) test(classifies, 'exim', shape, expected);

const SENDMAIL_CASES: readonly (readonly [RecordShape, Classification])[] = [
  [
    {
      text: 'User unknown: 550 5.1.2 <b8@example.com>: Recipient address rejected: Domain not found',
      status: 'bounced',
      dsn: '5.1.2',
      relay: 'relay.example.net [192.0.2.25]',
    },
    { cause: 'remote-dns', isRepeat: false },
  ],
  [
    {
      text: 'Service unavailable: 554 5.7.1 <noreply@example.org>: Sender address rejected: Domain not found',
      status: 'bounced',
      dsn: '5.7.1',
      relay: 'relay.example.net [192.0.2.25]',
    },
    { cause: 'sender-dns', isRepeat: false },
  ],
  [
    { text: 'Deferred: Name server: example.com.: host name lookup failure', dsn: '4.0.0' },
    { cause: 'dns-tempfail', isRepeat: false, lookupName: 'example.com' },
  ],
  [
    {
      text: 'Host unknown (Name server: example.com: host not found)',
      status: 'bounced',
      dsn: '5.1.2',
    },
    { cause: 'dns-notfound', isRepeat: false, lookupName: 'example.com' },
  ],
  [
    {
      text: 'Host unknown (Name server: mx-old.example.com.: host not found)',
      status: 'bounced',
      dsn: '5.1.2',
    },
    { cause: 'mx-unresolvable', isRepeat: false, lookupName: 'mx-old.example.com' },
  ],
  [
    {
      text: 'Host unknown (Name server: example.com: no data known)',
      status: 'bounced',
      dsn: '5.1.2',
    },
    { cause: 'dns-nodata', isRepeat: false, lookupName: 'example.com' },
  ],
  [
    { text: 'Service unavailable', status: 'bounced', dsn: '5.1.10', relay: 'example.com' },
    { cause: 'null-mx', isRepeat: false },
  ],
  [
    { text: '556 Host does not accept mail: MX 0 .', status: 'bounced', dsn: '5.1.10' },
    { cause: 'null-mx', isRepeat: false },
  ],
  [
    { text: 'Host unknown', status: 'bounced', dsn: '5.1.2' },
    { cause: 'dns-notfound', isRepeat: false },
  ],
  [
    {
      text: 'Deferred: 451 4.7.1 Please try again later',
      dsn: '4.7.1',
      relay: 'mx.example.org [192.0.2.25]',
    },
    { cause: 'remote-tempfail', isRepeat: false },
  ],
  [
    { text: 'User unknown', status: 'bounced', dsn: '5.1.1', relay: 'mx.lucerne.test [127.0.5.2]' },
    { cause: 'remote-reject', isRepeat: false },
  ],
  [
    {
      text: 'Deferred: 450 4.1.8 <a@example.org>... Domain of sender address a@example.org does not resolve',
    },
    { cause: 'sender-dns', isRepeat: false },
  ],
  [
    { text: 'Deferred: Connection refused by mail.margie.test.', dsn: '4.4.1' },
    { cause: 'connection', isRepeat: false },
  ],
  [
    { text: 'Deferred: Connection timed out with mx.example.com.', dsn: '4.4.1' },
    { cause: 'connection', isRepeat: false },
  ],
  [
    { text: 'queued', dsn: '4.4.3' },
    { cause: 'dns-tempfail', isRepeat: false },
  ],
  [
    { text: 'Deferred: 851 example.com: Name server timeout', dsn: '4.4.3' },
    { cause: 'dns-tempfail', isRepeat: false, lookupName: 'example.com' },
  ],
  [
    { text: 'Deferred: host map: lookup (example.com): deferred' },
    { cause: 'dns-tempfail', isRepeat: false, lookupName: 'example.com' },
  ],
  [
    { text: 'Deferred', dsn: '4.0.0' },
    { cause: 'other', isRepeat: false },
  ],
  // 1&1 checks our sender domain (Ubuntu Forums, "How to send mail with PHP").
  [
    { text: 'Deferred: 421 unable to verify sender domain', dsn: '4.0.0' },
    { cause: 'sender-dns', isRepeat: false },
  ],
  // Errors of our own system, even with a relay named (Ubuntu Forums, a missing access.db).
  [
    {
      text: 'Operating system error',
      dsn: '4.5.0',
      relay: 'smtp-in-2.userservices.net. [204.16.46.1]',
    },
    { cause: 'other', isRepeat: false },
  ],
  // Sendmail's own words for a broken connection, written like a reply.
  [
    { text: 'Deferred: 451 4.4.1 reply: read error from mx.example.com.', dsn: '4.4.1' },
    { cause: 'connection', isRepeat: false },
  ],
  // A remote's reply with the same DSN stays the remote's.
  [
    {
      text: 'Deferred: 451 4.4.1 <ann@example.com>... Temporary DNS failure, try again later',
      dsn: '4.4.1',
    },
    { cause: 'remote-dns', isRepeat: false },
  ],
  // Our own daemon's reply to a hand-off that is about DNS keeps its DNS cause.
  [
    {
      text: 'Deferred: 451 4.1.8 Domain of sender address ann@sender.test does not resolve',
      dsn: '4.1.8',
      relay: '[127.0.0.1] [127.0.0.1]',
      isHandoff: true,
    },
    { cause: 'sender-dns', isRepeat: false },
  ],
  // Our own daemon refused the submission program's hand-off (Ubuntu Forums): not gmail.com's.
  [
    {
      text: 'Deferred: Connection refused by [127.0.0.1]',
      dsn: '4.0.0',
      relay: '[127.0.0.1] [127.0.0.1]',
      isHandoff: true,
    },
    { cause: 'other', isRepeat: false },
  ],
  // A relay given in quotes is named without them.
  [
    { text: "Host unknown (Name server: 'smtp.1and1.com': host not found)", status: 'bounced' },
    { cause: 'mx-unresolvable', isRepeat: false, lookupName: 'smtp.1and1.com' },
  ],
];

for (const [shape, expected] of SENDMAIL_CASES) test(classifies, 'sendmail', shape, expected);

test('an Exim retry that was not due keeps the cause last seen for its domain', (t) => {
  const classifier = createClassifier();
  const dns = record('exim', { text: 'host lookup did not complete', recipient: 'a@example.com' });
  const remote = record('exim', {
    text: 'SMTP error from remote mail server after RCPT TO:<b@example.net>: 451 4.7.1 Greylisted',
    recipient: 'b@example.net',
  });
  const retry = (recipient: string) =>
    classifier.classify(record('exim', { text: 'retry time not reached', recipient }));

  classifier.classify(dns);
  classifier.classify(remote);

  t.deepEqual({ ...retry('c@example.com') }, { cause: 'dns-tempfail', isRepeat: true });
  t.deepEqual({ ...retry('d@Example.NET') }, { cause: 'remote-tempfail', isRepeat: true });
  t.deepEqual({ ...retry('e@example.org') }, { cause: 'other', isRepeat: true });
});

test('an Exim retry keeps the cause seen on its own host only', (t) => {
  const classifier = createClassifier();
  classifier.classify(record('exim', { text: 'Connection refused', host: 'mx1' }));
  const retry = record('exim', {
    text: "retry time not reached for any host for 'example.com'",
    host: 'mx2',
  });

  t.is(classifier.classify(retry).cause, 'other');
});

test('an Exim retry for any host keeps the last cause that was not a reply to RCPT TO', (t) => {
  const classifier = createClassifier();
  const exim = (text: string) => classifier.classify(record('exim', { text }));
  exim(
    'Connection timed out H=mx.example.com [198.51.100.7]: SMTP timeout after initial connection',
  );
  exim(
    'SMTP error from remote mail server after RCPT TO:<a2@example.com>: 450 4.2.0 <a2@example.com>: Recipient address rejected: Greylisted',
  );

  t.deepEqual(
    { ...exim("retry time not reached for any host for 'example.com'") },
    {
      cause: 'connection',
      isRepeat: true,
    },
  );
  t.is(exim('retry time not reached').cause, 'remote-tempfail');
});

test('an Exim retry follows the latest cause of its domain', (t) => {
  const classifier = createClassifier();
  classifier.classify(record('exim', { text: 'Connection refused' }));
  classifier.classify(record('exim', { text: 'host lookup did not complete' }));

  t.is(
    classifier.classify(record('exim', { text: 'retry time not reached' })).cause,
    'dns-tempfail',
  );
});

/** What was true of each domain while the lab logs were written (samples/README in the shared
 *  folder): during the local resolver outage (18:33:46–18:34:32) every tried domain failed with
 *  a temporary DNS error, healthy ones included, so those attempts are `dns-tempfail`. */
function sampleMultiset(name: string): Record<string, number> {
  const classifier = createClassifier();
  const counts: Record<string, number> = {};
  for (const { records } of parseSample(name)) {
    for (const found of records ?? []) {
      if (found.kind !== 'delivery') continue;

      const key = `${normaliseDomain(found.recipient).domain} ${classifier.classify(found).cause} ${found.status}`;
      counts[key] = (counts[key] ?? 0) + 1;
    }
  }

  return counts;
}

test('the classifier gets what was true of every domain in the Postfix lab sample', (t) => {
  t.deepEqual(sampleMultiset('postfix-mail.log'), {
    'northwind.test dns-tempfail deferred': 13,
    'northwind.test expired expired': 2,
    'contoso.test dns-tempfail deferred': 18,
    'contoso.test expired expired': 2,
    'adventure-works.test dns-notfound bounced': 2,
    'tailspin.test dns-nodata bounced': 2,
    'wingtip.test null-mx bounced': 2,
    'litware.test mx-unresolvable bounced': 2,
    'proseware.test remote-tempfail deferred': 12,
    'proseware.test dns-tempfail deferred': 4,
    'proseware.test expired expired': 2,
    'lucerne.test remote-reject bounced': 2,
    'margie.test connection deferred': 14,
    'margie.test dns-tempfail deferred': 4,
    'margie.test expired expired': 2,
    'woodgrove.test other sent': 3,
    'woodgrove.test dns-tempfail deferred': 3,
    'fourthcoffee.test dns-tempfail deferred': 5,
    'fourthcoffee.test other sent': 2,
    'sender.test dns-tempfail deferred': 9,
    'sender.test other sent': 26,
  });
});

test('the classifier gets what was true of every domain in the Exim lab sample', (t) => {
  t.deepEqual(sampleMultiset('exim-mainlog'), {
    'northwind.test dns-tempfail deferred': 25,
    'northwind.test expired expired': 2,
    'contoso.test dns-tempfail deferred': 28,
    'contoso.test expired expired': 2,
    'adventure-works.test dns-notfound bounced': 2,
    // Exim logs `Unrouteable address` for a missing domain and for one without MX and address
    // records alike; the text cannot say `dns-nodata`.
    'tailspin.test dns-notfound bounced': 2,
    'wingtip.test null-mx bounced': 2,
    'litware.test mx-unresolvable bounced': 2,
    'proseware.test remote-tempfail deferred': 22,
    'proseware.test dns-tempfail deferred': 8,
    'proseware.test expired expired': 2,
    'lucerne.test remote-reject bounced': 2,
    'margie.test connection deferred': 21,
    'margie.test dns-tempfail deferred': 8,
    'margie.test expired expired': 2,
    'woodgrove.test other sent': 3,
    'woodgrove.test dns-tempfail deferred': 5,
    'fourthcoffee.test dns-tempfail deferred': 9,
    'fourthcoffee.test other sent': 2,
    'sender.test dns-tempfail deferred': 24,
    'sender.test other sent': 34,
  });
});

test('the classifier gets what was true of every domain in the Sendmail lab sample', (t) => {
  t.deepEqual(sampleMultiset('sendmail-mail.log'), {
    'northwind.test dns-tempfail deferred': 2,
    'contoso.test dns-tempfail deferred': 2,
    'adventure-works.test dns-notfound bounced': 2,
    'adventure-works.test other sent': 2,
    'tailspin.test dns-nodata bounced': 2,
    'tailspin.test other sent': 2,
    'wingtip.test null-mx bounced': 2,
    'wingtip.test other sent': 2,
    'litware.test mx-unresolvable bounced': 2,
    'litware.test other sent': 2,
    'proseware.test remote-tempfail deferred': 22,
    'proseware.test expired expired': 2,
    'proseware.test other sent': 2,
    'lucerne.test remote-reject bounced': 2,
    'lucerne.test other sent': 2,
    'margie.test connection deferred': 21,
    'margie.test expired expired': 2,
    'margie.test other sent': 2,
    'woodgrove.test dns-tempfail deferred': 1,
    'woodgrove.test other sent': 6,
    'fourthcoffee.test dns-tempfail deferred': 2,
    'fourthcoffee.test other sent': 4,
    'sender.test dns-tempfail deferred': 4,
    'sender.test other sent': 18,
  });
});

test('the classifier marks the repeats of the lab samples', (t) => {
  const repeats = (name: string) => {
    const classifier = createClassifier();
    return parseSample(name)
      .flatMap(({ records }) => records ?? [])
      .filter((found) => found.kind === 'delivery' && classifier.classify(found).isRepeat).length;
  };

  t.is(repeats('postfix-mail.log'), 3);
  t.is(repeats('exim-mainlog'), 64);
  t.is(repeats('sendmail-mail.log'), 0);
});

test('the classifier survives arbitrary texts, recipients and DSNs', (t) => {
  const classifier = createClassifier();
  const shape = fc.record({
    mta: fc.constantFrom<Mta>('postfix', 'exim', 'sendmail'),
    status: fc.constantFrom(...STATUSES),
    text: fc.oneof(
      fc.string({ unit: 'binary' }),
      fc.constantFrom(
        'Name service error for name=',
        'Name service error for name=x type=',
        'delivery temporarily suspended: ',
        'host x said: ',
        'unable to look up host ',
        'TLSA lookup error for ',
        'Name server: ',
        'Deferred: Name server: x',
        'SMTP error from remote mail server after ',
        'failed to lookup IP address for ',
      ),
    ),
    recipient: fc.string({ unit: 'binary' }),
    dsn: fc.string({ maxLength: 8 }),
    relay: fc.string({ maxLength: 20 }),
  });

  t.notThrows(() => {
    fc.assert(
      fc.property(shape, ({ mta, ...rest }) => {
        const { cause } = classifier.classify(record(mta, rest));
        if (typeof cause !== 'string') throw new Error('No cause');
      }),
      { numRuns: 3000 },
    );
  });
});
