// Small helpers shared by the Postfix, Exim and Sendmail parsers.

import type { DeliveryRecord, Envelope, Mta, MtaRecord, Status } from '../model.js';
import { createInsertionOrder, type InsertionOrder } from '../insertion-order.js';
import { detach } from '../classify/text.js';

/** The result for a line that is understood but carries no delivery information. */
export const NO_RECORDS: readonly MtaRecord[] = Object.freeze([]);

/** How many open messages a parser remembers (sender, deferred recipients) before it forgets
 *  the oldest: memory stays bounded by open messages, not by the size of the log. */
export const MAX_OPEN_MESSAGES = 100_000;

/** What a parser reads from a delivery line, besides what the envelope gives. */
export interface DeliveryParts {
  readonly daemon: string;
  readonly queueId: string;
  readonly recipient: string;
  readonly sender: string | undefined;
  readonly status: Status;
  readonly dsn: string | undefined;
  readonly relay: string | undefined;
  readonly text: string;
  readonly isHandoff?: boolean;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** A delivery record with only the optional fields that have a value. Built by assignment, not
 *  by conditional spreads, which cost ten times as much on this hot path. */
export function deliveryRecord(envelope: Envelope, mta: Mta, parts: DeliveryParts): DeliveryRecord {
  const record: Mutable<DeliveryRecord> = {
    kind: 'delivery',
    time: envelope.time,
    host: envelope.host,
    mta,
    daemon: parts.daemon,
    queueId: parts.queueId,
    recipient: parts.recipient,
    status: parts.status,
    text: parts.text,
    source: envelope.source,
  };
  if (parts.sender !== undefined) record.sender = parts.sender;
  if (parts.dsn !== undefined) record.dsn = parts.dsn;
  if (parts.relay !== undefined) record.relay = parts.relay;
  if (parts.isHandoff === true) record.isHandoff = true;
  return record;
}

/** The insertion order of each map given to `setBounded` (see `insertion-order.ts`). */
const orders = new WeakMap<Map<unknown, unknown>, InsertionOrder<unknown>>();

/** Sets `key` in `map`, evicting the oldest entry first when the map is full. */
export function setBounded<K, V>(map: Map<K, V>, key: K, value: V, cap: number): void {
  if (map.has(key)) {
    // The map keeps the key it has; only the value is new.
    map.set(key, detachIfText(value));
    return;
  }

  const order = orderOf(map);
  if (map.size >= cap) {
    const oldest = order.takeOldest((candidate) => map.has(candidate));
    if (oldest !== undefined) map.delete(oldest);
  }

  // One copy of the key, shared by the map and its insertion order.
  const kept = detachIfText(key);
  order.added(kept);
  map.set(kept, detachIfText(value));
}

function orderOf<K, V>(map: Map<K, V>): InsertionOrder<K> {
  let order = orders.get(map as Map<unknown, unknown>) as InsertionOrder<K> | undefined;
  if (order === undefined) {
    order = createInsertionOrder(
      () => map.keys(),
      () => map.size,
    );
    orders.set(map as Map<unknown, unknown>, order as InsertionOrder<unknown>);
  }

  return order;
}

function detachIfText<T>(value: T): T {
  return (typeof value === 'string' ? detach(value) : value) as T;
}

/** `<a@example.com>` → `a@example.com`; `<>` → ''; a bare address is returned as is. */
export function stripAngles(address: string): string {
  if (address.length >= 2 && address.startsWith('<') && address.endsWith('>')) {
    return address.slice(1, -1);
  }

  return address;
}

/** Whether `text` at `index` starts with any of `prefixes`. */
export function startsWithAny(text: string, prefixes: readonly string[], index = 0): boolean {
  for (const prefix of prefixes) {
    if (text.startsWith(prefix, index)) return true;
  }

  return false;
}

/** `"` and `\`, as character codes. */
export const QUOTE = 34;
const BACKSLASH = 92;

/**
 * Just past the `"` that closes the quoted string opened at `open` (the local part of an
 * address, `"a>, b\"c"@example.com`), its `\` escapes skipped; the end of the text when it
 * never closes. Log text a sender wrote may hold anything inside: every parser that looks for
 * the end of an address steps over quoted strings with this.
 */
export function quotedEnd(text: string, open: number): number {
  for (let index = open + 1; index < text.length; index += 1) {
    const code = text.charCodeAt(index);
    if (code === BACKSLASH) index += 1;
    else if (code === QUOTE) return index + 1;
  }

  return text.length;
}
