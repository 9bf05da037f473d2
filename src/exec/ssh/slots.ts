/**
 * A counting semaphore whose limit can shrink (when a server refuses a channel because its MaxSessions is
 * lower than we assumed) and whose queue can be failed (when the connection dies).
 */
export class Slots {
  private active = 0;
  private readonly queue: Array<{ resolve: (release: () => void) => void; reject: (err: unknown) => void }> =
    [];
  private failure: unknown;

  constructor(private limit: number) {
    if (!(limit >= 1)) throw new RangeError(`slot limit must be >= 1, got ${limit}`);
  }

  get inUse(): number {
    return this.active;
  }

  get capacity(): number {
    return this.limit;
  }

  /** Resolves with a release function (idempotent) once a slot is free. */
  acquire(): Promise<() => void> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (this.active < this.limit) {
      this.active += 1;
      return Promise.resolve(this.releaser());
    }
    return new Promise((resolve, reject) => this.queue.push({ resolve, reject }));
  }

  /** Lower the limit by one (never below 1). */
  shrink(): void {
    if (this.limit > 1) this.limit -= 1;
  }

  /** Reject everyone waiting and every later acquire with `err`. */
  fail(err: unknown): void {
    this.failure = err;
    for (const q of this.queue.splice(0)) q.reject(err);
  }

  private releaser(): () => void {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.active -= 1;
      this.pump();
    };
  }

  private pump(): void {
    while (this.active < this.limit && this.queue.length) {
      const q = this.queue.shift();
      if (!q) break;
      this.active += 1;
      q.resolve(this.releaser());
    }
  }
}
