/** `meshctl version`, `meshctl completion bash|zsh|fish`, `meshctl man`: about meshctl itself. */
import type { Command } from "commander";
import { UsageError } from "../core/errors.js";
import { ExitCode } from "./exit-codes.js";
import { type OutputFormat, outputOption } from "./options.js";
import { printDocument } from "./output.js";
import { VERSION } from "./version.js";

/**
 * `fullProgram` builds the whole command tree (every verb registered), for completion and the man page;
 * program.ts hands it in, so this module does not import the program that loads it.
 */
export function registerMeta(program: Command, fullProgram: () => Promise<Command>): void {
  program
    .command("version")
    .description("print meshctl's version (and Node's)")
    .addOption(outputOption())
    .action(async (o: { output: OutputFormat }) => {
      const fields = {
        version: VERSION,
        node: process.versions.node,
        platform: `${process.platform}/${process.arch}`,
      };
      if (o.output === "text")
        process.stdout.write(`meshctl ${VERSION} (node ${fields.node}, ${fields.platform})\n`);
      else await printDocument(o.output, "version", ExitCode.ok, fields);
    });
  program
    .command("completion")
    .description("print a shell completion script (bash, zsh or fish)")
    .argument("<shell>", "bash, zsh or fish")
    .action(async (shell: string) => {
      const { completionScript } = await import("./completion.js");
      if (shell !== "bash" && shell !== "zsh" && shell !== "fish") {
        throw new UsageError(`completion: unknown shell "${shell}" (bash, zsh or fish)`);
      }
      process.stdout.write(completionScript(shell, await fullProgram()));
    });
  program
    .command("man")
    .description("print the man page (roff), made from the help of every verb")
    .action(async () => {
      const { manPage } = await import("./manpage.js");
      process.stdout.write(manPage(await fullProgram()));
    });
}
