// What a file holds, judged from its first bytes rather than its name.

import { isUtf8 } from 'node:buffer';

/** Shorter NUL runs count against the block, see `countControls`. */
const MIN_NUL_RUN = 16;
const STRAY_NUL_WEIGHT = 10;

/** Formats that are never a text log, by their magic number; gzip is not one, it is read. */
const BINARY_MAGIC: readonly { readonly bytes: Buffer; readonly offset: number }[] = [
  magic('7f454c46'), // ELF executable, library or core dump
  magic('cafebabe'), // Java class, Mach-O universal binary
  magic('feedface'), // Mach-O, 32 and 64 bit, both byte orders
  magic('feedfacf'),
  magic('cefaedfe'),
  magic('cffaedfe'),
  magic('89504e470d0a1a0a'), // PNG
  magic('ffd8ff'), // JPEG
  magic('474946383761'), // GIF87a
  magic('474946383961'), // GIF89a
  magic('255044462d'), // %PDF-
  magic('504b0304'), // zip, and jar, docx, apk built on it
  magic('504b0506'), // empty zip
  magic('377abcaf271c'), // 7-Zip
  magic('fd377a585a00'), // xz
  magic('28b52ffd'), // zstd
  magic('213c617263683e0a'), // !<arch>: ar archive, .deb
  magic('7573746172', 257), // ustar: tar archive
  magic('53514c69746520666f726d6174203300'), // SQLite format 3
  magic('4c504b5348485248'), // LPKSHHRH: systemd journal
];

/** RFC 1952 §2.3.1: every gzip member starts with ID1 = 0x1f, ID2 = 0x8b. */
export function isGzip(head: Uint8Array): boolean {
  return head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
}

/**
 * The modification time a gzip header records (RFC 1952 §2.3.1: MTIME, seconds since 1970,
 * little-endian, 0 for none), in ms: when the data came from a file, that file's time; else
 * when compression began. Either is close to the log's last line.
 */
export function gzipMtime(head: Uint8Array): number | undefined {
  if (!isGzip(head) || head.length < 8) return undefined;
  const seconds =
    (head[4] ?? 0) + (head[5] ?? 0) * 2 ** 8 + (head[6] ?? 0) * 2 ** 16 + (head[7] ?? 0) * 2 ** 24;
  return seconds === 0 ? undefined : seconds * 1000;
}

/**
 * Whether the first block of an input is binary rather than a text log: a well-known binary
 * format by its magic number, or more than 30% control characters and invalid UTF-8 together.
 * Tabs, CR, form feeds and ESC (colour codes) count as text; Latin-1 text has far fewer invalid
 * bytes than the limit. Runs of NUL bytes are left out: a syslog file holds them after a crash,
 * where the file system kept blocks the kernel had not written yet, zero-filled.
 */
export function looksBinary(block: Buffer): boolean {
  if (hasBinaryMagic(block)) {
    return true;
  }

  const text = withoutNulRuns(block);

  if (text.length === 0) {
    return false;
  }

  const suspicious = countControls(text) + (isUtf8(text) ? 0 : countInvalid(text));
  return suspicious * 10 > text.length * 3;
}

function hasBinaryMagic(block: Buffer): boolean {
  return BINARY_MAGIC.some(({ bytes, offset }) =>
    bytes.equals(block.subarray(offset, offset + bytes.length)),
  );
}

function withoutNulRuns(block: Buffer): Buffer {
  const parts: Buffer[] = [];
  let start = 0;
  let nul = block.indexOf(0);

  while (nul !== -1) {
    const end = endOfNulRun(block, nul);

    if (end - nul >= MIN_NUL_RUN) {
      parts.push(block.subarray(start, nul));
      start = end;
    }

    nul = block.indexOf(0, end);
  }

  return parts.length === 0 ? block : Buffer.concat([...parts, block.subarray(start)]);
}

function endOfNulRun(block: Buffer, start: number): number {
  let end = start;

  while (block[end] === 0) {
    end++;
  }

  return end;
}

/** Control characters in the block; a NUL byte left after the runs are taken out weighs
 *  ten: text holds a stray one at most, binary data is full of them. */
function countControls(block: Buffer): number {
  let count = 0;

  for (const byte of block) {
    if (byte === 0) {
      count += STRAY_NUL_WEIGHT;
    } else if ((byte < 0x20 && !isTextControl(byte)) || byte === 0x7f) {
      count++;
    }
  }

  return count;
}

function isTextControl(byte: number): boolean {
  return byte === 0x09 || byte === 0x0a || byte === 0x0c || byte === 0x0d || byte === 0x1b;
}

function countInvalid(block: Buffer): number {
  const text = block.toString('utf8');
  let count = 0;

  for (
    let index = text.indexOf('\uFFFD');
    index !== -1;
    index = text.indexOf('\uFFFD', index + 1)
  ) {
    count++;
  }

  return count;
}

function magic(hex: string, offset = 0): { readonly bytes: Buffer; readonly offset: number } {
  return { bytes: Buffer.from(hex, 'hex'), offset };
}
