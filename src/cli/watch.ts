/** `meshctl watch`: keep the mesh converged until stopped (src/watch/loop.ts), one log line per event. */
import { type Command, Option } from "commander";
import { CONFIRM_TIMEOUT_SECONDS } from "../exec/confirm.js";
import type { WatchEvent } from "../watch/loop.js";
import { ExitCode } from "./exit-codes.js";
import { acceptNewHostKeysOption, forksOption, intArg, inventoryOption } from "./options.js";
import { connectorFor, logOf, type SshCliOpts, withSshOptions } from "./ssh-options.js";

interface WatchOpts extends SshCliOpts {
  inventory: string;
  output: "text" | "json";
  interval: number;
  confirmTimeout: number;
}

export const DEFAULT_WATCH_INTERVAL = 30;

export function registerWatch(program: Command): void {
  withSshOptions(
    program
      .command("watch")
      .description(
        "keep the mesh converged until stopped: follow every cluster's Nodes and pod blocks, apply what changed, check for drift",
      ),
  )
    .addOption(inventoryOption())
    .addOption(
      new Option("-o, --output <format>", "text lines, or json: one JSON object per line")
        .choices(["text", "json"])
        .default("text"),
    )
    .addOption(
      new Option(
        "--interval <seconds>",
        "read every cluster, apply what changed (else check the whole mesh for drift), every this many seconds",
      )
        .argParser(intArg("--interval", 1, 86_400))
        .default(DEFAULT_WATCH_INTERVAL),
    )
    .addOption(forksOption())
    .addOption(acceptNewHostKeysOption())
    .addOption(
      new Option(
        "--confirm-timeout <seconds>",
        "a node not reached over a new connection after its change set reverts it by itself within this (0: off)",
      )
        .argParser(intArg("--confirm-timeout"))
        .default(CONFIRM_TIMEOUT_SECONDS),
    )
    .action((o: WatchOpts) => runWatch(o));
}

/** One line: `TIME EVENT key=value …` (text) or the event as one JSON object with its time. */
export function formatEvent(e: WatchEvent, format: "text" | "json", now = new Date()): string {
  const time = now.toISOString();
  if (format === "json") return JSON.stringify({ time, ...e });
  const { event, ...rest } = e;
  const fields = Object.entries(rest)
    .filter(([, v]) => !(Array.isArray(v) && v.length === 0))
    .map(
      ([k, v]) =>
        `${k}=${Array.isArray(v) ? v.join(",") : typeof v === "string" && /\s/.test(v) ? JSON.stringify(v) : String(v)}`,
    );
  return [time, event, ...fields].join(" ");
}

async function runWatch(o: WatchOpts): Promise<void> {
  const { watch } = await import("../watch/loop.js");
  const { loadInventory } = await import("../inventory/load.js");
  // An invalid inventory at start is exit 3, as for any verb; later each round reloads it (an edit is
  // picked up; an invalid edit is a logged error and a backoff, the last good mesh left as it is).
  await loadInventory(o.inventory);
  const log = logOf(o);
  const abort = new AbortController();
  const emit = (e: WatchEvent) => process.stdout.write(`${formatEvent(e, o.output)}\n`);
  // First SIGTERM/SIGINT (systemd stop, Ctrl-C): no new round; a change set already sent finishes (and
  // is rolled back if it fails); then exit 0. A second one leaves at once.
  const onSignal = (sig: NodeJS.Signals) => {
    if (abort.signal.aborted) {
      process.stderr.write(`${sig}: leaving now; a node with a change set in flight undoes it by itself\n`);
      process.exit(sig === "SIGTERM" ? ExitCode.terminated : ExitCode.interrupted);
    }
    abort.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    await watch({
      inventory: o.inventory,
      intervalMs: o.interval * 1000,
      forks: o.forks,
      confirmTimeoutSec: o.confirmTimeout,
      connector: () => connectorFor(o, log),
      emit,
      signal: abort.signal,
    });
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
  process.exitCode = ExitCode.ok;
}
