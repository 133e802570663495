// Where the dialects put their lines: a bounded buffer that the generator drains to the file,
// with a tally of the delivery records actually written (the generator's own ground truth).

import type { DeliveryStatus } from './traffic.js';

export type TallyStatus = DeliveryStatus | 'expired';

export interface Tally {
  readonly statuses: Record<TallyStatus, number>;
  /** Delivery records by failure kind (`sent` for deliveries, `expired` for expiries). */
  readonly kinds: Record<string, number>;
  /** Follow-on records (Postfix `delivery temporarily suspended`, Exim retry not reached). */
  repeats: number;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

export class LineSink {
  count = 0;
  readonly tally: Tally = {
    statuses: { sent: 0, deferred: 0, bounced: 0, expired: 0 },
    kinds: {},
    repeats: 0,
  };
  private chunk = '';

  constructor(readonly limit: number) {}

  get isFull(): boolean {
    return this.count >= this.limit;
  }

  /** Characters waiting to be written. */
  get buffered(): number {
    return this.chunk.length;
  }

  /** Adds one line; false once the limit is reached (the line is dropped). */
  write(line: string): boolean {
    if (this.count >= this.limit) {
      return false;
    }

    this.chunk += line;
    this.chunk += '\n';
    this.count += 1;

    return true;
  }

  /** Adds a delivery record and counts it when it was written. */
  record(line: string, status: TallyStatus, kind: string, isRepeat: boolean): boolean {
    if (!this.write(line)) {
      return false;
    }

    this.tally.statuses[status] += 1;
    this.tally.kinds[kind] = (this.tally.kinds[kind] ?? 0) + 1;
    this.tally.repeats += isRepeat ? 1 : 0;

    return true;
  }

  /** The buffered text, emptied. */
  take(): string {
    const text = this.chunk;

    this.chunk = '';

    return text;
  }
}

/** Formats times as wall-clock text, remembering the last second (many lines share one). */
export class Clock {
  private second = -1;
  private syslogText = '';
  private isoText = '';

  /** `Nov  2 09:05:07`: the classic syslog stamp, day padded with a space (RFC 3164). */
  syslog(time: number): string {
    this.update(time);

    return this.syslogText;
  }

  /** `2026-11-02 09:05:07`: Exim's mainlog stamp. */
  exim(time: number): string {
    this.update(time);

    return this.isoText;
  }

  private update(time: number): void {
    const second = Math.floor(time / 1000);

    if (second === this.second) {
      return;
    }

    const date = new Date(second * 1000);
    const clock = date.toISOString().slice(11, 19);
    const day = String(date.getUTCDate()).padStart(2, ' ');

    this.second = second;
    this.syslogText = `${MONTHS[date.getUTCMonth()]} ${day} ${clock}`;
    this.isoText = `${date.toISOString().slice(0, 10)} ${clock}`;
  }
}
