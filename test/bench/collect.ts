// Test helper: a generated log kept in memory, with its manifest and lines.

import { Writable } from 'node:stream';

import { type GenerateOptions, type Manifest, generateLog } from './generate.js';

export interface GeneratedLog {
  readonly text: string;
  readonly lines: readonly string[];
  readonly manifest: Manifest;
}

export async function collectLog(options: GenerateOptions): Promise<GeneratedLog> {
  const chunks: string[] = [];
  const output = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString('utf8'));
      done();
    },
  });
  const manifest = await generateLog(output, options);
  const text = chunks.join('');

  return { text, lines: text.slice(0, -1).split('\n'), manifest };
}
