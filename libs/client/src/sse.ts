/** One event of a `text/event-stream`. */
export interface SseMessage {
  /** The `event` field; `message` when it had none. */
  readonly event: string;
  /** The `data` lines, joined with "\n". */
  readonly data: string;
  /** The `id` field of this event, when it had one. */
  readonly id?: string;
  /** The `retry` field (milliseconds), when this event set it. */
  readonly retry?: number;
}

/**
 * An incremental parser of Server-Sent Events (the WHATWG "event stream interpretation"): feed it text as it
 * arrives, in chunks cut anywhere, and it returns the events each chunk completed. Lines end with LF, CRLF or
 * CR (a CR at the end of one chunk and an LF at the start of the next are one line end); comment lines
 * (`: ping`) are skipped; an event without data is not dispatched.
 */
export class SseParser {
  /** The last `id` of a completed event, kept across events: what a reconnection sends as Last-Event-ID. */
  lastEventId = '';
  private buffer = '';
  private skipLf = false;
  private started = false;
  private event = '';
  private data: string[] = [];
  private id: string | undefined;
  private retry: number | undefined;

  /** Parses `text` and returns the events it completed. */
  push(text: string): SseMessage[] {
    if (!this.started && text.length > 0) {
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    if (this.skipLf && text.startsWith('\n')) text = text.slice(1);
    this.skipLf = false;
    this.buffer += text;
    const out: SseMessage[] = [];
    let start = 0;
    for (let i = 0; i < this.buffer.length; i++) {
      const c = this.buffer.charCodeAt(i);
      if (c !== 10 && c !== 13) continue;
      const line = this.buffer.slice(start, i);
      if (c === 13) {
        if (i + 1 === this.buffer.length) this.skipLf = true;
        else if (this.buffer.charCodeAt(i + 1) === 10) i++;
      }
      start = i + 1;
      const message = this.line(line);
      if (message) out.push(message);
    }
    this.buffer = this.buffer.slice(start);
    return out;
  }

  private line(line: string): SseMessage | undefined {
    if (line === '') return this.dispatch();
    if (line.startsWith(':')) return undefined;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'event':
        this.event = value;
        break;
      case 'data':
        this.data.push(value);
        break;
      case 'id':
        if (!value.includes('\0')) this.id = value;
        break;
      case 'retry':
        if (/^\d+$/.test(value)) this.retry = Number(value);
        break;
      default:
        // Unknown fields are ignored.
        break;
    }
    return undefined;
  }

  private dispatch(): SseMessage | undefined {
    if (this.id !== undefined) this.lastEventId = this.id;
    const message =
      this.data.length === 0
        ? undefined
        : {
            event: this.event || 'message',
            data: this.data.join('\n'),
            ...(this.id !== undefined ? { id: this.id } : {}),
            ...(this.retry !== undefined ? { retry: this.retry } : {}),
          };
    this.event = '';
    this.data = [];
    this.id = undefined;
    this.retry = undefined;
    return message;
  }
}

/** The events of a response body, decoded as UTF-8 (a character split across chunks included). */
export async function* readSse(body: ReadableStream<Uint8Array>, parser = new SseParser()): AsyncGenerator<SseMessage> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      yield* parser.push(decoder.decode(value, { stream: true }));
    }
    // An event not ended by a blank line when the stream ends is dropped, as the spec says.
    parser.push(decoder.decode());
  } finally {
    // Closes the connection when the reader stops early (break, return, an error).
    await reader.cancel().catch(() => undefined);
  }
}
