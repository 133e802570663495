// What a file holds, judged from its first bytes rather than its name.

import { isUtf8 } from 'node:buffer';

/** RFC 1952 §2.3.1: every gzip member starts with ID1 = 0x1f, ID2 = 0x8b. */
export function isGzip(head: Uint8Array): boolean {
  return head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
}

/**
 * Whether the first block of an input is binary rather than a text log: any NUL byte, or
 * more than 30% control characters and invalid UTF-8 together. Tabs, CR, form feeds and ESC
 * (colour codes) count as text; Latin-1 text has far fewer invalid bytes than the limit.
 */
export function looksBinary(block: Buffer): boolean {
  if (block.length === 0) {
    return false;
  }

  if (block.includes(0)) {
    return true;
  }

  const suspicious = countControls(block) + (isUtf8(block) ? 0 : countInvalid(block));
  return suspicious * 10 > block.length * 3;
}

function countControls(block: Buffer): number {
  let count = 0;

  for (const byte of block) {
    if ((byte < 0x20 && !isTextControl(byte)) || byte === 0x7f) {
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
