/**
 * Live progress for a run, on stderr (results go to stdout). On a terminal: the fleet view of
 * `fleet-view.ts`, redrawn in place at most ten times a second and never taller than the terminal. In a
 * pipe or CI: one plain line per host as it finishes, never a line per change. It only listens to the
 * engine's events; the engine does not know it exists.
 */
import type { HostResult, Mode, RunEvent } from "../exec/results.js";
import { type FleetParty, newFleet, onDone, onStage, renderFleet } from "./fleet-view.js";
import { hostLabel } from "./recap.js";

export interface Progress {
  onEvent(e: RunEvent): void;
  /** A message between frames (e.g. "interrupted"): printed above the view, which is then redrawn. */
  note(message: string): void;
  /** Stops the display (the last frame stays on screen); resolves when it has. */
  stop(): Promise<void>;
}

export type ProgressNode = FleetParty;

export interface Screen {
  write(s: string): void;
  rows(): number;
  cols(): number;
}

const stderrScreen: Screen = {
  write: (s) => process.stderr.write(s),
  rows: () => process.stderr.rows || 24,
  cols: () => process.stderr.columns || 80,
};

export function startProgress(
  nodes: ProgressNode[],
  mode: Mode,
  display: "tty" | "plain" | "silent",
  screen: Screen = stderrScreen,
): Progress {
  if (display === "silent")
    return { onEvent: () => undefined, note: (m) => screen.write(`${m}\n`), stop: async () => undefined };
  if (display === "plain") {
    return {
      onEvent: (e) => {
        if (e.kind === "done") screen.write(`${hostLabel(e.result)}: ${summary(e.result)}\n`);
      },
      note: (m) => screen.write(`${m}\n`),
      stop: async () => undefined,
    };
  }
  return liveView(nodes, mode, screen);
}

function liveView(nodes: ProgressNode[], mode: Mode, screen: Screen): Progress {
  const fleet = newFleet(nodes, Date.now());
  let drawn = 0;
  let dirty = true;
  const draw = () => {
    if (!dirty) return;
    dirty = false;
    const lines = renderFleet(fleet, mode, { rows: screen.rows(), cols: screen.cols() }, Date.now());
    // Up to the first line of the last frame, clear to the end of the screen, draw the new frame.
    const up = drawn > 0 ? `\x1b[${drawn}F` : "";
    screen.write(`${up}\x1b[0J${lines.join("\n")}\n`);
    drawn = lines.length;
  };
  screen.write("\x1b[?25l");
  draw();
  // Slow nodes are noticed by time passing, not only by events: redraw every second even when idle.
  const timer = setInterval(() => {
    dirty = true;
    draw();
  }, 1000);
  const frame = setInterval(draw, 100);
  return {
    onEvent: (e) => {
      if (e.kind === "stage") onStage(fleet, e.id, e.step, e.text, Date.now());
      else onDone(fleet, e.id, e.result, Date.now());
      dirty = true;
    },
    note: (m) => {
      screen.write(`${drawn > 0 ? `\x1b[${drawn}F` : ""}\x1b[0J${m}\n`);
      drawn = 0;
      dirty = true;
      draw();
    },
    stop: async () => {
      clearInterval(timer);
      clearInterval(frame);
      dirty = true;
      draw();
      screen.write("\x1b[?25h");
    },
  };
}

export function summary(r: HostResult): string {
  switch (r.status) {
    case "ok":
      return r.changes.length > 0
        ? `${r.changes.length} change(s) pending${r.error ? ` (${r.error})` : ""}`
        : `ok${r.error ? ` (${r.error})` : ""}`;
    case "changed":
      return `changed (${r.applied.length})`;
    case "unreachable":
      return `unreachable: ${r.error ?? ""}`;
    case "rolled-back":
      return `rolled back: ${r.rollback?.detail ?? ""}`;
    default:
      return `failed: ${r.error ?? ""}${r.rollback ? ` — ${r.rollback.detail}` : ""}`;
  }
}
