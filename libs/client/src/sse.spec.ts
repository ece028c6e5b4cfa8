import { readSse, SseParser, type SseMessage } from './sse';

/** Feeds `text` to a fresh parser cut at every given offset; returns every event. */
function parseInChunks(text: string, cuts: number[]): SseMessage[] {
  const parser = new SseParser();
  const out: SseMessage[] = [];
  let from = 0;
  for (const cut of [...cuts, text.length]) {
    out.push(...parser.push(text.slice(from, cut)));
    from = cut;
  }
  return out;
}

const STREAM =
  ': ping\n\n' +
  'event: snapshot\ndata: {"status":"running"}\n\n' +
  'event: change\nid: 1795000000000-0\ndata: {"type":"task-started"}\n\n' +
  'event: change\r\nid: 1795000000000-1\r\ndata: {"type":\r\ndata: "task-succeeded"}\r\n\r\n' +
  'event: end\rdata: {"status":"succeeded"}\r\r';

const EXPECTED: SseMessage[] = [
  { event: 'snapshot', data: '{"status":"running"}' },
  { event: 'change', id: '1795000000000-0', data: '{"type":"task-started"}' },
  { event: 'change', id: '1795000000000-1', data: '{"type":\n"task-succeeded"}' },
  { event: 'end', data: '{"status":"succeeded"}' },
];

describe('SseParser', () => {
  it('when a stream arrives whole, it yields each event with its type, id and data, and skips comments', () => {
    expect(parseInChunks(STREAM, [])).toEqual(EXPECTED);
  });

  it('when a stream is cut at every possible offset (mid-line, mid-field, between CR and LF), the events are the same', () => {
    for (let i = 1; i < STREAM.length; i++) expect(parseInChunks(STREAM, [i])).toEqual(EXPECTED);
  });

  it('when a stream arrives one character at a time, the events are the same', () => {
    expect(
      parseInChunks(
        STREAM,
        [...STREAM].map((_, i) => i + 1),
      ),
    ).toEqual(EXPECTED);
  });

  it('when data spans several lines, they are joined with newlines, empty lines of data included', () => {
    expect(parseInChunks('data: a\ndata:\ndata:  b\n\n', [])).toEqual([{ event: 'message', data: 'a\n\n b' }]);
  });

  it('when an event has no data (comments only, or an id only), nothing is dispatched but its id is kept', () => {
    const parser = new SseParser();
    expect(parser.push(': ping\n\nid: 7\n\n: another\n\n')).toEqual([]);
    expect(parser.lastEventId).toBe('7');
    expect(parser.push('data: x\n\n')).toEqual([{ event: 'message', data: 'x' }]);
  });

  it('when an event is not ended by a blank line yet, it is held, and its id is not the last event id', () => {
    const parser = new SseParser();
    expect(parser.push('id: 1\ndata: a\n\nid: 2\ndata: b\n')).toEqual([{ event: 'message', id: '1', data: 'a' }]);
    expect(parser.lastEventId).toBe('1');
    expect(parser.push('\n')).toEqual([{ event: 'message', id: '2', data: 'b' }]);
    expect(parser.lastEventId).toBe('2');
  });

  it('when fields are odd (no space after the colon, no colon, unknown, retry, an id with NUL), they follow the spec', () => {
    const parser = new SseParser();
    expect(parser.push('event:e\nfoo: bar\ndata\nretry: 2500\nretry: soon\n\nid: a\0b\ndata:y\n\n')).toEqual([
      { event: 'e', data: '', retry: 2500 },
      { event: 'message', data: 'y' },
    ]);
    expect(parser.lastEventId).toBe('');
  });

  it('when the stream starts with a byte order mark, it is dropped', () => {
    expect(parseInChunks('\ufeffdata: x\n\n', [1])).toEqual([{ event: 'message', data: 'x' }]);
  });
});

describe('readSse', () => {
  const bytes = (parts: Uint8Array[]) =>
    new ReadableStream<Uint8Array>({
      start(controller) {
        for (const p of parts) controller.enqueue(p);
        controller.close();
      },
    });

  it('when a multi-byte character is split across chunks, it is decoded whole; a last event without its blank line is dropped', async () => {
    const all = new TextEncoder().encode('event: change\nid: 1\ndata: "café ✓"\n\ndata: cut');
    const split = all.indexOf(0xc3) + 1; // inside "é"
    const out: SseMessage[] = [];
    for await (const m of readSse(bytes([all.slice(0, split), all.slice(split)]))) out.push(m);
    expect(out).toEqual([{ event: 'change', id: '1', data: '"café ✓"' }]);
  });

  it('when the reader stops early, the body is cancelled (the connection closes)', async () => {
    let cancelled = false;
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('data: 1\n\ndata: 2\n\n'));
      },
      cancel() {
        cancelled = true;
      },
    });
    for await (const m of readSse(body)) {
      expect(m.data).toBe('1');
      break;
    }
    expect(cancelled).toBe(true);
  });
});
