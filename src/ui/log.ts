/**
 * Verbose output on stderr (never stdout, which carries results): `-v` the commands sent, `-vv` per-stage
 * timings and whole scripts, `-vvv` SSH protocol debug. Each line starts with the time since start.
 */
import { performance } from "node:perf_hooks";

export type Level = 1 | 2 | 3;

export interface Log {
  readonly verbosity: number;
  enabled(level: Level): boolean;
  line(level: Level, text: string): void;
  /** Run `f` and log its duration at -vv as `stage NAME: N ms`. */
  stage<T>(name: string, f: () => Promise<T>): Promise<T>;
}

export function createLog(
  verbosity: number,
  write: (s: string) => void = (s) => process.stderr.write(s),
): Log {
  const t0 = performance.now();
  const stamp = (): string => `${((performance.now() - t0) / 1000).toFixed(3).padStart(7)}s`;
  const enabled = (level: Level): boolean => verbosity >= level;
  const line = (level: Level, text: string): void => {
    if (!enabled(level)) return;
    write(`${stamp()} ${text.replaceAll("\n", "\n          ")}\n`);
  };
  return {
    verbosity,
    enabled,
    line,
    async stage(name, f) {
      const s = performance.now();
      try {
        return await f();
      } finally {
        line(2, `stage ${name}: ${Math.round(performance.now() - s)} ms`);
      }
    },
  };
}

export const QUIET: Log = createLog(0, () => undefined);

/**
 * -vv per-stage timings of each host: a line whenever a host moves to its next stage, with the time the
 * previous stage took (`c1-node1: applying (facts 84 ms)`), and its total when done.
 */
export function stageTimer(
  log: Log,
): (e: { id: string; kind: string; step?: unknown; text?: string; result?: { status?: string } }) => void {
  const last = new Map<string, { at: number; text: string; start: number }>();
  return (e) => {
    if (!log.enabled(2)) return;
    const now = performance.now();
    const prev = last.get(e.id);
    const took = prev ? ` (${prev.text} ${Math.round(now - prev.at)} ms)` : "";
    if (e.kind === "done") {
      const total = prev ? `, ${Math.round(now - prev.start)} ms in all` : "";
      log.line(2, `${e.id}: ${e.result?.status ?? "done"}${took}${total}`);
      last.delete(e.id);
      return;
    }
    const text = e.text ?? String(e.step ?? "");
    log.line(2, `${e.id}: ${text}${took}`);
    last.set(e.id, { at: now, text, start: prev?.start ?? now });
  };
}
