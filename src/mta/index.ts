// The mail-server parsers and the choice of parser by program tag.

import type { MtaParser } from '../model.js';
import { createEximParser } from './exim.js';
import { createPostfixParser, type ParserOptions } from './postfix.js';
import { createSendmailParser } from './sendmail.js';

export type { ParserOptions } from './postfix.js';
export { NO_RECORDS } from './common.js';

/** Program tags remembered per parser list; real logs have a few dozen at most. */
const MAX_CACHED_PROGRAMS = 4096;

const choices = new WeakMap<readonly MtaParser[], Map<string, MtaParser | null>>();

/** Fresh Postfix, Exim and Sendmail parsers. They keep per-message state: one set per run. */
export function createParsers(options: ParserOptions = {}): readonly MtaParser[] {
  return [createPostfixParser(options), createEximParser(options), createSendmailParser(options)];
}

/** The parser that accepts `program`, or undefined when no mail server writes that tag. */
export function parserFor(parsers: readonly MtaParser[], program: string): MtaParser | undefined {
  let cache = choices.get(parsers);
  if (cache === undefined) {
    cache = new Map();
    choices.set(parsers, cache);
  }

  const cached = cache.get(program);
  if (cached !== undefined) return cached ?? undefined;

  const parser = parsers.find((candidate) => candidate.accepts(program));
  if (cache.size < MAX_CACHED_PROGRAMS) cache.set(program, parser ?? null);
  return parser;
}
