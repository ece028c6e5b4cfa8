/** A one-line progress bar on stderr, redrawn with `\r` at most 10 times a second; silent when stderr is not a TTY. */
export class Progress {
  private label = '';
  private total: number | undefined;
  private startedAt = 0;
  private drawnAt = 0;
  private shown = false;

  constructor(private readonly out: NodeJS.WriteStream = process.stderr) {}

  private get enabled(): boolean {
    return this.out.isTTY === true;
  }

  /** Starts a phase; without `total` only the elapsed time and `detail` are shown. */
  begin(label: string, total?: number): void {
    this.end();
    this.label = label;
    this.total = total;
    this.startedAt = Date.now();
    this.drawnAt = 0;
    this.draw(0, '', true);
  }

  update(done: number, detail = ''): void {
    this.draw(done, detail, false);
  }

  /** Clears the line. */
  end(): void {
    if (this.shown && this.enabled) this.out.write('\r\x1b[2K');
    this.shown = false;
  }

  private draw(done: number, detail: string, force: boolean): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (!force && now - this.drawnAt < 100 && done !== this.total) return;
    this.drawnAt = now;
    const elapsed = `${((now - this.startedAt) / 1000).toFixed(1)} s`;
    let bar = '';
    if (this.total !== undefined && this.total > 0) {
      const width = 30;
      const filled = Math.min(width, Math.round((done / this.total) * width));
      bar = ` [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${done}/${this.total}`;
    }
    this.out.write(`\r\x1b[2K${this.label}${bar} ${elapsed}${detail ? ` ${detail}` : ''}`);
    this.shown = true;
  }
}
