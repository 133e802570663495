import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import { eventRecord } from '../output/records.js';
import { exitCodeFor } from './exit-codes.js';
import { createHeapGuard } from './heap-guard.js';
import { readEvents } from '../pipeline/read-events.js';
import { readSettings, resolveFiles, warnInput } from './settings.js';
import type { RawOptions } from './settings.js';
import { loadNdjson, reportDiagnostics } from './run-main.js';
import { createBatcher, createStdoutSink, isStdoutReaderGone } from './streams.js';

/**
 * `mxtriage events`: every parsed delivery event as NDJSON, streamed with back-pressure. When
 * the reader goes away (`| head`), the logs are still read to their end: an input that cannot
 * be read is only found there, and it decides the exit code.
 */
export async function runEvents(files: string[], options: RawOptions): Promise<number> {
  const paths = resolveFiles(files, warnInput);
  const settings = readSettings(options, Date.now());
  const serialiser = (await loadNdjson()).stringify();
  const sink = serialiser.pipe(createBatcher()).pipe(createStdoutSink());
  let blocked = false;
  const guardHeap = createHeapGuard();

  const counts = await readEvents(
    paths,
    {
      event(event) {
        if (isStdoutReaderGone()) return;
        if (settings.since !== undefined && event.time < settings.since) return;
        if (settings.until !== undefined && event.time >= settings.until) return;
        if (!serialiser.write(eventRecord(event))) blocked = true;
      },
      async batch() {
        guardHeap.check();
        if (!blocked) return;
        blocked = false;
        await once(serialiser, 'drain');
      },
    },
    settings,
  );

  serialiser.end();
  await finished(sink);
  reportDiagnostics(counts);
  return exitCodeFor({ inputErrors: counts.inputErrors.length });
}
