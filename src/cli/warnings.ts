/** The inventory's warnings: allowed, probably not meant; they never change the exit code. */
import chalk from "chalk";
import { formatIssue, type InputIssue } from "../inventory/errors.js";
import { noteWarnings } from "./output.js";

/** On stderr (stdout carries results alone), and noted for the verb's -o json|yaml document. */
export function reportWarnings(warnings: readonly InputIssue[]): void {
  for (const w of warnings) process.stderr.write(`${chalk.yellow("warning:")} ${formatIssue(w)}\n`);
  noteWarnings(warnings);
}
