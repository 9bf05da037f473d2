/** `apply`, `diff`, `teardown` and `ping`: the verbs that talk to nodes. */
import { type Command, Option } from "commander";
import { readClusterNodes } from "../exec/cluster-nodes.js";
import { CONFIRM_TIMEOUT_SECONDS } from "../exec/confirm.js";
import { type Mode, planRun, type RunResult, run, runParties } from "../exec/engine.js";
import type { OpenedClusters } from "../exec/parties.js";
import { sharedConnections } from "../exec/shared.js";
import { buildModel } from "../model/build.js";
import type { Limit } from "../model/select.js";
import { loadPlaybook, shippedPlaybook } from "../playbook/load.js";
import { changeBlocks } from "../ui/changes.js";
import { stageTimer } from "../ui/log.js";
import { startProgress } from "../ui/progress.js";
import { renderRecap, runToJson } from "../ui/recap.js";
import { ExitCode, exitCodeOfOutcome } from "./exit-codes.js";
import { loadInventoryReporting } from "./inventory.js";
import { intArg, type OutputFormat, withRemoteOptions } from "./options.js";
import { printDocument } from "./output.js";
import { connectorFor, logOf, type SshCliOpts } from "./ssh-options.js";
import { writeChunks } from "./write-stream.js";

interface EngineOpts extends SshCliOpts {
  inventory: string;
  output: OutputFormat;
  limit?: Limit;
  forks: number;
  acceptNewHostKeys?: boolean;
  atomic?: boolean;
  maxFail?: number;
  playbook?: string;
  diff?: boolean;
  expand?: boolean;
  confirmTimeout?: number;
}

/** `--confirm-timeout` (apply, teardown): commit-confirmed window per node. */
const confirmOption = () =>
  new Option(
    "--confirm-timeout <seconds>",
    "a node not reached over a new connection after its change set reverts it by itself within this (0: off)",
  )
    .argParser(intArg("--confirm-timeout"))
    .default(CONFIRM_TIMEOUT_SECONDS);

function common(cmd: Command): Command {
  return withRemoteOptions(cmd).option("--playbook <file>", "playbook to run instead of the shipped one");
}

export function registerEngineVerbs(program: Command): void {
  common(
    program
      .command("diff")
      .description("show what apply would change; touches nothing (exit 2: changes pending)"),
  )
    .option(
      "--expand",
      "every change of every node (default: what is the same on several nodes is said once)",
    )
    .action((o: EngineOpts) => runVerb("diff", o));
  common(program.command("apply").description("converge every node and cluster to the inventory"))
    .option("--diff", "print every change of every node (default: a line per node with counts by kind)")
    .option("--atomic", "undo every node's changes of this run when any node fails")
    .addOption(
      new Option("--max-fail <n>", "apply nothing if more than n nodes fail before applying").argParser(
        intArg("--max-fail"),
      ),
    )
    .addOption(confirmOption())
    .action((o: EngineOpts) => runVerb("apply", o));
  common(program.command("teardown").description("remove everything meshctl made, and only that"))
    .option("--diff", "print every change of every node (default: a line per node with counts by kind)")
    .option("--atomic", "undo every node's teardown of this run when any node fails")
    .addOption(confirmOption())
    .action((o: EngineOpts) => runVerb("teardown", o));
}

/** `f()`, closing the sessions opened before it when it throws (they are the run's otherwise). */
function guard<T>(opened: OpenedClusters, f: () => T): T {
  try {
    return f();
  } catch (e) {
    for (const p of opened.values()) void p.then((o) => o.conn.close()).catch(() => undefined);
    throw e;
  }
}

async function runVerb(mode: Mode, o: EngineOpts): Promise<void> {
  const log = logOf(o);
  const inv = await log.stage("inventory", () => loadInventoryReporting(o.inventory));
  const playbook = await loadPlaybook(
    o.playbook ?? shippedPlaybook(mode === "teardown" ? "teardown" : "mesh"),
  );
  const limit = o.limit;
  // One connection per host for the whole run: a cluster read before the run (nodes_from), its kubectl
  // during the run and its control node's session share it (#15).
  const connector = sharedConnections(await connectorFor(o, log));
  // `nodes_from: kubernetes` clusters: their Nodes first (the sessions are the run's, not a second read).
  const { inventory, opened } = await log.stage("cluster nodes", () => readClusterNodes(inv, connector));
  const plan = guard(opened, () =>
    planRun(buildModel(inventory), {
      mode,
      playbook,
      forks: o.forks,
      ...(limit ? { limit } : {}),
      ...(o.atomic ? { atomic: true } : {}),
      ...(o.maxFail === undefined ? {} : { maxFail: o.maxFail }),
      ...(o.confirmTimeout === undefined ? {} : { confirmTimeoutSec: o.confirmTimeout }),
    }),
  );
  const stages = stageTimer(log);
  const parties = runParties(plan);
  const display = o.output !== "text" ? "silent" : process.stderr.isTTY ? "tty" : "plain";
  const progress = startProgress(parties, mode, display);
  // First Ctrl-C or SIGTERM (systemd, CI runners, `timeout`): start nothing new, let change sets already
  // sent finish (and roll back if they fail), print the recap, exit 130. A second signal leaves at once.
  const abort = new AbortController();
  const onSignal = (sig: NodeJS.Signals) => {
    if (abort.signal.aborted) {
      if (display === "tty") process.stderr.write("\x1b[?25h\n");
      process.stderr.write(
        `${sig}: leaving now; a node with a change set in flight undoes it by itself (its session is cut)\n`,
      );
      process.exit(sig === "SIGTERM" ? ExitCode.terminated : ExitCode.interrupted);
    }
    abort.abort();
    const again = sig === "SIGINT" ? "Ctrl-C" : sig;
    progress.note(`interrupted (${sig}): finishing the changes already sent (${again} again to leave now)`);
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  let result: RunResult;
  try {
    result = await run(plan, {
      clusters: opened,
      signal: abort.signal,
      connector,
      onEvent: (e) => {
        stages(e);
        progress.onEvent(e);
      },
    });
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    connector.closeAll();
    await progress.stop();
  }
  if (o.output !== "text") {
    await printDocument(o.output, mode, exitCodeOfOutcome(result.outcome), runToJson(result));
  } else {
    // Written a host at a time (2.75 million lines for `diff --expand` of 1000 fresh nodes).
    const blocks = changeBlocks(result, { full: o.diff === true, expand: o.expand === true });
    await writeChunks(process.stdout, reportText(blocks, renderRecap(result)));
  }
  process.exitCode = exitCodeOfOutcome(result.outcome);
}

/** `\n<the report's lines>\n` when it has any, then `\n<recap>\n`: one piece per block. */
export function* reportText(blocks: Iterable<string[]>, recap: string): Generator<string> {
  let any = false;
  for (const b of blocks) {
    if (b.length === 0) continue;
    yield `\n${b.join("\n")}`;
    any = true;
  }
  yield `${any ? "\n" : ""}\n${recap}\n`;
}
