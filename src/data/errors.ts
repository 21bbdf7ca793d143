/** Why a whole input could not be ingested (per-row problems are `RowError`s instead). */
export type DataFormatErrorCode =
  | 'unknown-format'
  | 'missing-column'
  | 'missing-file'
  | 'unreadable-file'
  | 'bad-spec';

/** A whole-file problem: unknown extension, missing required column, missing file. Thrown, not reported. */
export class DataFormatError extends Error {
  override readonly name = 'DataFormatError';
  constructor(
    readonly code: DataFormatErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}
