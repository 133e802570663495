import { once } from 'node:events';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';

import test from 'ava';

import { collectLog } from './collect.js';
import { type BenchMta, generateFile, generateLog } from './generate.js';

const MONTHS = 'JanFebMarAprMayJunJulAugSepOctNovDec';

test('the generator writes exactly the requested number of lines, newline-terminated', async (t) => {
  for (const mta of ['postfix', 'exim'] as const) {
    const log = await collectLog({ mta, lines: 12_345 });

    t.is(log.manifest.lines, 12_345, mta);
    t.is(log.lines.length, 12_345, mta);
    t.true(log.text.endsWith('\n'), mta);
    t.false(log.lines.includes(''), mta);
  }
});

test('the same options give the same log byte for byte, another seed another log', async (t) => {
  const first = await collectLog({ mta: 'postfix', lines: 5000, seed: 7 });
  const again = await collectLog({ mta: 'postfix', lines: 5000, seed: 7 });
  const other = await collectLog({ mta: 'postfix', lines: 5000, seed: 8 });

  t.is(first.text, again.text);
  t.not(first.text, other.text);
});

test('generated lines never go back in time', async (t) => {
  for (const mta of ['postfix', 'exim'] as const) {
    const log = await collectLog({ mta, lines: 50_000 });
    const times = log.lines.map((line) => lineTime(mta, line));
    const backwards = times.filter((time, index) => index > 0 && time < (times[index - 1] ?? 0));

    t.deepEqual(backwards, [], mta);
    t.true(
      (times[times.length - 1] ?? 0) - (times[0] ?? 0) > 20 * 3600_000,
      `${mta} spans the day`,
    );
  }
});

test('the generator never writes while the stream asks it to wait', async (t) => {
  let writes = 0;
  let writesWhileFull = 0;
  const slow = new Writable({
    highWaterMark: 4096,
    write(_chunk, _encoding, done) {
      setImmediate(done);
    },
  });
  const write = slow.write.bind(slow);

  slow.write = ((chunk: string) => {
    writes += 1;
    writesWhileFull += slow.writableNeedDrain ? 1 : 0;

    return write(chunk);
  }) as typeof slow.write;

  const manifest = await generateLog(slow, { mta: 'exim', lines: 30_000 });

  t.is(manifest.lines, 30_000);
  t.true(writes > 10);
  t.is(writesWhileFull, 0);
});

test('a generated file appears whole under its name, with no partial file left', async (t) => {
  const directory = await mkdtemp(path.join(os.tmpdir(), 'mxtriage-generate-'));
  const file = path.join(directory, 'mail.log');

  try {
    const manifest = await generateFile(file, { mta: 'postfix', lines: 2000 });
    const text = await readFile(file, 'utf8');

    t.is(manifest.lines, 2000);
    t.is(text.split('\n').length - 1, 2000);
    t.deepEqual(await readdir(directory), ['mail.log']);
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
});

test('the command line writes the file and the manifest, and rejects an unknown mail server', async (t) => {
  const { spawn } = await import('node:child_process');
  const directory = await mkdtemp(path.join(os.tmpdir(), 'mxtriage-generate-'));
  const script = path.resolve('test/bench/generate.ts');
  const run = async (args: string[]): Promise<number | null> => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
      stdio: 'ignore',
    });
    const [code] = (await once(child, 'exit')) as [number | null];

    return code;
  };

  try {
    const out = path.join(directory, 'exim.log');
    const manifestPath = path.join(directory, 'manifest.json');

    t.is(
      await run(['--mta', 'exim', '--lines', '300', '--out', out, '--manifest', manifestPath]),
      0,
    );
    t.is((await readFile(out, 'utf8')).split('\n').length - 1, 300);
    t.is(JSON.parse(await readFile(manifestPath, 'utf8')).mta, 'exim');
    t.is(await run(['--mta', 'qmail', '--lines', '300', '--out', out]), 2);
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
});

/** Epoch ms of a line's stamp (the year does not matter for ordering within one log). */
function lineTime(mta: BenchMta, line: string): number {
  if (mta === 'exim') {
    return Date.parse(`${line.slice(0, 10)}T${line.slice(11, 19)}Z`);
  }

  const month = MONTHS.indexOf(line.slice(0, 3)) / 3;
  const [hours, minutes, seconds] = line.slice(7, 15).split(':').map(Number);

  return Date.UTC(2026, month, Number(line.slice(4, 6)), hours, minutes, seconds);
}
