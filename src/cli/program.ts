/**
 * The command tree, and the one place every error is mapped to a documented exit code.
 *
 * Start-up stays cheap: a verb's module (and with it zod, yaml, ssh2, ...) is loaded only when that verb
 * runs. `meshctl <verb> ...` registers just that verb; `--version` registers none; help, no verb or an
 * unknown one registers them all (so help lists them and commander can suggest a near name).
 */
import { Command, CommanderError } from "commander";
import { applyColourChoice, colourChoice } from "../ui/colour.js";
import { addVerbHelp } from "./help.js";
import { clearWarnings } from "./output.js";
import { VERSION } from "./version.js";

type Register = (program: Command) => void;

const metaVerbs = async (): Promise<Register> => {
  const { registerMeta } = await import("./meta.js");
  return (program) => registerMeta(program, () => buildProgram([]));
};
const engineVerbs = async (): Promise<Register> => (await import("./engine-verbs.js")).registerEngineVerbs;

/** Every verb, in the order help lists them, with how to load its registration. */
const VERBS: readonly [string, () => Promise<Register>][] = [
  ["plan", async () => (await import("./plan.js")).registerPlan],
  ["diff", engineVerbs],
  ["apply", engineVerbs],
  ["teardown", engineVerbs],
  ["watch", async () => (await import("./watch.js")).registerWatch],
  ["discover", async () => (await import("./discover.js")).registerDiscover],
  ["ping", async () => (await import("./ping.js")).registerPing],
  ["verify", async () => (await import("./verify.js")).registerVerify],
  ["diagnose", async () => (await import("./diagnose.js")).registerDiagnose],
  ["lab", async () => (await import("./lab.js")).registerLab],
  ["version", metaVerbs],
  ["completion", metaVerbs],
  ["man", metaVerbs],
];

/** The registrations `argv` needs (see the module comment). */
export function loadersFor(argv: readonly string[]): (() => Promise<Register>)[] {
  const args = argv.slice(2);
  const verb = VERBS.find(([name]) => name === args[0]);
  if (verb) return [verb[1]];
  if (args.length > 0 && args.every((a) => a === "-V" || a === "--version")) return [];
  return [...new Set(VERBS.map(([, load]) => load))];
}

export async function buildProgram(argv: readonly string[] = []): Promise<Command> {
  const program = new Command("meshctl")
    .description("Join the pod networks of several Kubernetes clusters with a static VXLAN mesh, over SSH.")
    .version(VERSION)
    .option("--no-color", "no colours (also: NO_COLOR=1; FORCE_COLOR=1 forces them)")
    .option("--color", "colours even when the output is not a terminal")
    .showHelpAfterError()
    .exitOverride();
  for (const load of loadersFor(argv)) (await load())(program);
  addVerbHelp(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  applyColourChoice(colourChoice(argv, process.env));
  clearWarnings();
  try {
    const program = await buildProgram(argv);
    await program.parseAsync(argv);
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help and version exit 0; usage errors were already printed by commander (and, with -o json|yaml,
      // are also given as the error document).
      if (e.exitCode === 0) return 0;
      const { UsageError } = await import("../core/errors.js");
      const { requestedOutput } = await import("./output.js");
      if (requestedOutput(argv).format !== "text") {
        await (await import("./report-error.js")).reportError(
          new UsageError(e.message.replace(/^error: /, "")),
          argv,
        );
      }
      return 64;
    }
    return (await import("./report-error.js")).reportError(e, argv);
  }
}
