/**
 * A one-line progress report on stderr, only when stderr is a terminal: redrawn at most every
 * 200 ms, cleared before anything else is written to the same terminal.
 */
export class Progress {
  private last = 0;
  private shown = false;
  private done = 0;
  private findings = 0;

  constructor(
    private readonly stream: NodeJS.WritableStream & { isTTY?: boolean },
    private readonly total: number,
    readonly enabled: boolean,
  ) {}

  host(findings: number): void {
    this.done++;
    this.findings += findings;
    this.draw(false);
  }

  draw(force: boolean): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (!force && now - this.last < 200) return;
    this.last = now;
    const of = this.total > 0 ? `/${this.total}` : '';
    this.stream.write(`\r\x1b[2K${this.done}${of} hosts done, ${this.findings} findings`);
    this.shown = true;
  }

  /** Erase the line (before printing results to the same terminal, and at the end). */
  clear(): void {
    if (!this.enabled || !this.shown) return;
    this.stream.write('\r\x1b[2K');
    this.shown = false;
  }
}
