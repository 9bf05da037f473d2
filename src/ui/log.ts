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
