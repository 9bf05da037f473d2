import chalk from "chalk";
import { MeshctlError } from "../core/errors.js";
import { InputError } from "../inventory/errors.js";
import { ExitCode, exitCodeOfKind } from "./exit-codes.js";
import { errorDocument, renderDocument, requestedOutput } from "./output.js";
import { reportWarnings } from "./warnings.js";

/**
 * Reports an error and returns the exit code: for a person on stderr (no stack trace unless it is a bug),
 * or, with `-o json|yaml`, as the verb's error document on stdout (the same contract as its results).
 */
export async function reportError(e: unknown, argv: readonly string[] = process.argv): Promise<number> {
  const known = e instanceof MeshctlError && e.kind !== "internal";
  const err = e instanceof Error ? e : new Error(String(e));
  const code = known ? exitCodeOfKind((e as MeshctlError).kind) : ExitCode.internal;
  const out = requestedOutput(argv);
  if (e instanceof InputError) reportWarnings(e.warnings);
  if (out.format !== "text") {
    process.stdout.write(await renderDocument(out.format, errorDocument(out.command, code, err)));
    if (known) return code;
  } else if (known) {
    process.stderr.write(`${chalk.red("error:")} ${err.message}\n`);
    return code;
  }
  process.stderr.write(
    `${chalk.red("internal error:")} ${err.message}\n${err.stack ?? ""}\nThis is a bug in meshctl: please report it with the output above.\n`,
  );
  return code;
}
