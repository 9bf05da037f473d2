/** A one-shot barrier: resolves for everyone once `count` parties have arrived. */
export class Gate {
  private arrived = 0;
  private release!: () => void;
  readonly open: Promise<void>;

  constructor(private readonly count: number) {
    this.open = new Promise((r) => {
      this.release = r;
    });
    if (count <= 0) this.release();
  }

  arrive(): Promise<void> {
    this.arrived++;
    if (this.arrived >= this.count) this.release();
    return this.open;
  }
}
