// Log text is attacker-controlled (remote replies, addresses): before it reaches a terminal,
// control characters and escape sequences must go (ECMA-48 defines their shapes).

/** The characters JSON.stringify leaves raw that can still start trouble: DEL, C1, Unicode's
 *  Bidi_Control set (the marks U+061C, U+200E, U+200F, the embeddings and overrides, the
 *  isolates) that make text read in another order (CVE-2021-42574), and the line and paragraph
 *  separators that break a line where no newline shows. */
const RAW_CLASS = '\\x7f-\\x9f\\u061c\\u200e\\u200f\\u2028-\\u202e\\u2066-\\u2069';
/** With C0 but tab: any character that can start trouble. */
const CONTROL_CLASS = `\\x00-\\x08\\x0a-\\x1f${RAW_CLASS}`;
const HAS_CONTROL = new RegExp(`[${CONTROL_CLASS}]`);

/**
 * Escape sequences first, so their parameters go with them, then lone control characters:
 * CSI (`ESC [` or 0x9B, parameters, intermediates, final byte), OSC (`ESC ]` or 0x9D, up to
 * BEL or ST; unterminated, to the end), DCS/SOS/PM/APC strings (`ESC P`, `X`, `^`, `_` up to
 * ST), other two- or three-byte ESC sequences (`ESC c`, `ESC ( B`).
 */
const CONTROL = new RegExp(
  [
    '(?:\\x1b\\[|\\x9b)[\\x30-\\x3f]*[\\x20-\\x2f]*[\\x40-\\x7e]?',
    '(?:\\x1b\\]|\\x9d)[^\\x07\\x1b\\x9c]*(?:\\x07|\\x1b\\\\|\\x9c)?',
    '(?:\\x1b[PX^_]|[\\x90\\x98\\x9e\\x9f])[^\\x1b\\x9c]*(?:\\x1b\\\\|\\x9c)?',
    '\\x1b[\\x20-\\x2f]*[\\x30-\\x7e]?',
    `[${CONTROL_CLASS}]`,
  ].join('|'),
  'g',
);

/** `text` without terminal control characters, escape sequences and bidirectional controls;
 *  tabs are kept. */
export function stripControl(text: string): string {
  return HAS_CONTROL.test(text) ? text.replace(CONTROL, '') : text;
}

/** The same control characters, one at a time, for `visibleControls`. */
const CONTROL_CHAR = new RegExp(`[${CONTROL_CLASS}]`, 'g');

/**
 * `text` with each control character written as an escape (`\x00`, `\x1b`, `\u202e`), for
 * showing a damaged line as it is: a stripped NUL or bidi override would leave a line that looks
 * sound, or a name that reads as another one. A backslash stays as it is.
 */
export function visibleControls(text: string): string {
  if (!HAS_CONTROL.test(text)) return text;
  return text.replace(CONTROL_CHAR, (char) => {
    const code = char.charCodeAt(0);
    return code < 0x100
      ? `\\x${code.toString(16).padStart(2, '0')}`
      : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/** Each line of a message for people with its control characters as escapes, its line breaks
 *  kept. */
export function visibleLines(message: string): string {
  return message.split('\n').map(visibleControls).join('\n');
}

/**
 * A name (domain, host) for people: as it is, or, when it holds control characters, quoted as a
 * JSON string, so that they show as escapes (`"north\u001b[31mwind.test"`) instead of vanishing
 * and leaving a name that reads as another one. What JSON leaves raw is stripped.
 */
export function displayName(name: string): string {
  return HAS_CONTROL.test(name) ? quotedName(name) : name;
}

/** A name quoted as a JSON string, what JSON leaves raw escaped too: a name that could read as
 *  another one, or as the text around it, is shown so. */
export function quotedName(name: string): string {
  return escapeRawControls(JSON.stringify(name));
}

const HAS_RAW_IN_JSON = new RegExp(`[${RAW_CLASS}]`);
const RAW_IN_JSON = new RegExp(`[${RAW_CLASS}]`, 'g');

/**
 * JSON text with the controls JSON.stringify leaves raw written as `\u` escapes: the same
 * values, names exactly as logged, and never a raw control on a terminal or in a file. They can
 * only stand inside strings, so the text stays valid JSON.
 */
export function escapeRawControls(json: string): string {
  if (!HAS_RAW_IN_JSON.test(json)) return json;
  return json.replace(
    RAW_IN_JSON,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** V8 shares memory between a substring of 13 or more characters and the string it was cut from. */
const SHARED_SUBSTRING_LENGTH = 13;

/**
 * A copy of `text` that does not keep the string it was cut from alive. Lines are cut from
 * 64 KiB input chunks; a recipient or queue id kept in a map for hours would otherwise hold its
 * whole chunk in memory, and memory would grow with the log instead of with the open messages.
 */
export function detach(text: string): string {
  return text.length < SHARED_SUBSTRING_LENGTH ? text : (' ' + text).slice(1);
}
