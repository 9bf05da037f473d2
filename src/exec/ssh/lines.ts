/**
 * Splits a byte stream into lines without quadratic concatenation: each chunk is scanned once for `\n`,
 * only the pieces of an unfinished line are kept, and lines are decoded as UTF-8 at `\n` boundaries (which
 * never cut a multi-byte character).
 */
export class LineQueue {
  private partial: Buffer[] = [];
  private lines: string[] = [];
  private head = 0;
  private waiters: Array<(line: string | undefined) => void> = [];
  private ended = false;

  push(chunk: Buffer): void {
    let start = 0;
    for (let nl = chunk.indexOf(10, start); nl !== -1; nl = chunk.indexOf(10, start)) {
      const piece = chunk.subarray(start, nl);
      if (this.partial.length) {
        this.partial.push(piece);
        this.deliver(Buffer.concat(this.partial).toString("utf8"));
        this.partial = [];
      } else {
        this.deliver(piece.toString("utf8"));
      }
      start = nl + 1;
    }
    // Copy: the producer may reuse its buffer.
    if (start < chunk.length) this.partial.push(Buffer.from(chunk.subarray(start)));
  }

  /** EOF: a pending unterminated line becomes the last line; waiting readers then get undefined. */
  end(): void {
    if (this.ended) return;
    if (this.partial.length) {
      this.deliver(Buffer.concat(this.partial).toString("utf8"));
      this.partial = [];
    }
    this.ended = true;
    for (const w of this.waiters.splice(0)) w(undefined);
  }

  get isEnded(): boolean {
    return this.ended;
  }

  /** A line is queued: next() answers without waiting. */
  get hasLine(): boolean {
    return this.head < this.lines.length;
  }

  /** Next line, or undefined at EOF. */
  next(): Promise<string | undefined> {
    if (this.head < this.lines.length) return Promise.resolve(this.take());
    if (this.ended) return Promise.resolve(undefined);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Withdraw a waiter (a timed-out readLine). */
  cancel(waiter: (line: string | undefined) => void): void {
    const i = this.waiters.indexOf(waiter);
    if (i !== -1) this.waiters.splice(i, 1);
  }

  /** Like next(), but with the waiter exposed so it can be cancelled. */
  wait(waiter: (line: string | undefined) => void): void {
    if (this.head < this.lines.length) waiter(this.take());
    else if (this.ended) waiter(undefined);
    else this.waiters.push(waiter);
  }

  /** Everything not consumed: queued lines (each with its `\n`) plus an unterminated tail. */
  rest(): string {
    const lines = this.lines.slice(this.head);
    const tail = this.partial.length ? Buffer.concat(this.partial).toString("utf8") : "";
    return (lines.length ? `${lines.join("\n")}\n` : "") + tail;
  }

  private take(): string {
    const line = this.lines[this.head] as string;
    this.head += 1;
    if (this.head > 1024 && this.head * 2 > this.lines.length) {
      this.lines = this.lines.slice(this.head);
      this.head = 0;
    }
    return line;
  }

  private deliver(line: string): void {
    const w = this.waiters.shift();
    if (w) w(line);
    else this.lines.push(line);
  }
}
