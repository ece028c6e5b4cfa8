import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';

/**
 * Calls `onRecord` with each line of `stream` that is a JSON object (a pino log record); other lines
 * are skipped. It only listens: the stream may also be piped elsewhere (e.g. to pino-pretty).
 */
export function onJsonRecords(stream: Readable, onRecord: (record: Record<string, unknown>) => void): void {
  // A chunk may end inside a multi-byte character; the decoder holds the partial bytes back.
  const decoder = new StringDecoder('utf8');
  let buffered = '';
  stream.on('data', (chunk: Buffer | string) => {
    buffered += typeof chunk === 'string' ? chunk : decoder.write(chunk);
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const record = parseRecord(buffered.slice(0, nl));
      buffered = buffered.slice(nl + 1);
      if (record) onRecord(record);
    }
  });
}

function parseRecord(line: string): Record<string, unknown> | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
