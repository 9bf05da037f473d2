import chalk from "chalk";
import { MeshctlError } from "../core/errors.js";
import { ExitCode, exitCodeOfKind } from "./exit-codes.js";

/** Prints an error for a person (no stack trace unless it is a bug) and returns the exit code. */
export function reportError(e: unknown): number {
  if (e instanceof MeshctlError && e.kind !== "internal") {
    process.stderr.write(`${chalk.red("error:")} ${e.message}\n`);
    return exitCodeOfKind(e.kind);
  }
  const err = e instanceof Error ? e : new Error(String(e));
  process.stderr.write(
    `${chalk.red("internal error:")} ${err.message}\n${err.stack ?? ""}\nThis is a bug in meshctl: please report it with the output above.\n`,
  );
  return ExitCode.internal;
}
