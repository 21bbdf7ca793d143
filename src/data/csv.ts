import Papa from 'papaparse';
import type { RowError } from './types';

/** One non-blank CSV record with the 1-based line it starts on. */
export interface CsvRecord {
  line: number;
  fields: string[];
}

/**
 * Split CSV text into records with their source line numbers. papaparse handles quoting;
 * we count lines ourselves because its row index drifts when a quoted field spans lines.
 * Blank lines are skipped silently; quote errors become RowErrors (the record is dropped).
 *
 * An unbalanced quote makes papaparse read to the end of the text as one field, which
 * would swallow every later row. So a `Quotes` error (MissingQuotes) is reported on the
 * line the record starts, and parsing resumes on the next line.
 */
export function readCsvRecords(text: string, file?: string): { records: CsvRecord[]; errors: RowError[] } {
  const src = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const records: CsvRecord[] = [];
  const errors: RowError[] = [];
  let base = 0; // offset of the text the current parse pass started at
  let line = 1; // line number at `start`
  for (;;) {
    let start = base; // offset where the current record starts
    let resumeAt = -1;
    Papa.parse<string[]>(src.slice(base), {
      delimiter: ',', // explicit: auto-detection guesses wrong on one-column files
      skipEmptyLines: false, // we skip them after counting their newlines
      step(result, parser) {
        const end = base + result.meta.cursor;
        const fields = result.data;
        const blank = fields.length === 0 || (fields.length === 1 && fields[0].trim() === '');
        const unbalanced = result.errors.some((e) => e.type === 'Quotes' && e.code === 'MissingQuotes');
        if (unbalanced) {
          errors.push(withFile({ line, message: 'malformed CSV (unbalanced quote: a quoted field is never closed; rows after it are read again from the next line)' }, file));
          const nl = src.indexOf('\n', start);
          resumeAt = nl === -1 ? src.length : nl + 1;
          if (nl !== -1) line++;
          parser.abort();
          return;
        }
        if (result.errors.length > 0) {
          const what = result.errors.map((e) => e.message).join('; ');
          errors.push(withFile({ line, message: `malformed CSV (${what})` }, file));
        } else if (!blank) {
          records.push({ line, fields });
        }
        for (let i = start; i < end; i++) if (src.charCodeAt(i) === 10) line++;
        start = end;
      },
    });
    if (resumeAt < 0 || resumeAt >= src.length) break;
    base = resumeAt;
  }
  return { records, errors };
}

export function withFile(e: RowError, file: string | undefined): RowError {
  return file === undefined ? e : { ...e, file };
}

/** Lower-cased, trimmed header names → column index. */
export function headerIndex(fields: string[]): Map<string, number> {
  const m = new Map<string, number>();
  fields.forEach((f, i) => {
    const k = f.trim().toLowerCase();
    if (!m.has(k)) m.set(k, i);
  });
  return m;
}
