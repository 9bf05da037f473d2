import { type Command, InvalidArgumentError, Option } from "commander";
import { UsageError } from "../core/errors.js";
import { parseLimit } from "../model/limit.js";
import { OUTPUT_FORMATS } from "./output.js";
import { withSshOptions } from "./ssh-options.js";

export type { OutputFormat } from "./output.js";

/** An option's parser for a whole number in [min, max] (a usage error otherwise). */
export const intArg =
  (name: string, min = 0, max = Number.POSITIVE_INFINITY) =>
  (v: string): number => {
    const n = Number(v);
    if (!/^\d+$/.test(v) || n < min || n > max) {
      const range = max === Number.POSITIVE_INFINITY ? "" : ` from ${min} to ${max}`;
      throw new UsageError(`${name} must be a whole number${range}, got "${v}"`);
    }
    return n;
  };

/** `-i FILE`, else $MESHCTL_INVENTORY, else ./inventory.yaml (as Ansible's -i / ANSIBLE_INVENTORY). */
export const inventoryOption = () =>
  new Option("-i, --inventory <file>", "inventory file (YAML)")
    .env("MESHCTL_INVENTORY")
    .default("inventory.yaml");
export const outputOption = () =>
  new Option("-o, --output <format>", 'output format (json and yaml: one document, see README "Output")')
    .choices(OUTPUT_FORMATS)
    .default("text");
export const forksOption = () =>
  new Option("-f, --forks <n>", "SSH connections at once")
    .argParser((v: string) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError("expected a whole number ≥ 1");
      return n;
    })
    .default(100);
export const acceptNewHostKeysOption = () =>
  new Option(
    "--accept-new-host-keys",
    "record host keys of hosts not yet in known_hosts (never changed ones)",
  );
export const limitOption = () =>
  new Option(
    "-l, --limit <patterns>",
    "only these nodes or clusters: comma-separated names or globs (web-*, c[12]), !pattern excludes",
  ).argParser((v: string) => parseLimit(v));

/** The options of every verb that talks to nodes: inventory, output, limit, forks, host-key policy, SSH. */
export function withRemoteOptions(cmd: Command): Command {
  return withSshOptions(cmd)
    .addOption(inventoryOption())
    .addOption(outputOption())
    .addOption(limitOption())
    .addOption(forksOption())
    .addOption(acceptNewHostKeysOption());
}
