/**
 * One ingestion in its own process, so its peak RSS is its own: `tsx bench/ingest-run.ts
 * <file> [streamed|whole-file]`. Prints one JSON line: rows, interactions, seconds,
 * peakRssBytes (the process's maximum resident set size, from getrusage), or the error.
 * `whole-file` reads the file into one string first and parses the text (the reader the
 * CLI had before it streamed), with the same row rules.
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { formatFromPath, loadEventsFile, parseEventsText } from '../src/data/events-file';

const [path, mode = 'streamed'] = process.argv.slice(2);
const t0 = performance.now();
try {
  let result;
  if (mode === 'whole-file') {
    const format = formatFromPath(path);
    if (format === 'parquet') throw new Error('the whole-file reader reads text formats only');
    result = parseEventsText(await readFile(path, 'utf8'), format, { file: basename(path) });
  } else {
    result = await loadEventsFile(path);
  }
  const seconds = (performance.now() - t0) / 1000;
  const s = result.summary!;
  console.log(JSON.stringify({ rows: s.rows, interactions: result.dataset.interactions.length, bad: s.bad, seconds, peakRssBytes: process.resourceUsage().maxRSS * 1024 }));
} catch (err) {
  console.log(JSON.stringify({ error: err instanceof Error ? `${(err as NodeJS.ErrnoException).code ?? err.name}: ${err.message}` : String(err), seconds: (performance.now() - t0) / 1000, peakRssBytes: process.resourceUsage().maxRSS * 1024 }));
}
