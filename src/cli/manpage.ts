/** meshctl(1) in roff, made from the command tree and each verb's help (examples, exit codes included). */
import type { Command, Option } from "commander";
import { helpAfter } from "./help.js";
import { VERSION } from "./version.js";

/** Escape text for roff: backslashes, hyphens, and a leading dot or quote. */
const esc = (s: string): string =>
  s
    .replaceAll("\\", "\\e")
    .replaceAll("-", "\\-")
    .replace(/^([.'])/gm, "\\&$1");

const visible = (c: Command): Command[] => (c.commands as Command[]).filter((s) => s.name() !== "help");

function options(c: Command): string[] {
  return (c.options as readonly Option[])
    .filter((o) => !o.hidden)
    .flatMap((o) => {
      const extra = [
        o.argChoices ? `one of: ${o.argChoices.join(", ")}` : "",
        o.defaultValue !== undefined && o.defaultValue !== false ? `default: ${String(o.defaultValue)}` : "",
        o.envVar ? `env: ${o.envVar}` : "",
      ].filter(Boolean);
      return [
        ".TP",
        `.B ${esc(o.flags)}`,
        esc(`${o.description}${extra.length ? ` (${extra.join("; ")})` : ""}`),
      ];
    });
}

function section(c: Command, path: string): string[] {
  const usage = `${path} ${c.name()} ${c.usage()}`.trim();
  const after = helpAfter(c.name());
  return [
    `.SS "${esc(usage)}"`,
    esc(c.description()),
    ...options(c),
    ...(after ? [".PP", ".nf", esc(after.trimStart()), ".fi"] : []),
    ...visible(c).flatMap((s) => section(s, `${path} ${c.name()}`)),
  ];
}

export function manPage(program: Command): string {
  const lines = [
    `.TH MESHCTL 1 "" "meshctl ${VERSION}" "User Commands"`,
    ".SH NAME",
    `meshctl \\- ${esc(program.description())}`,
    ".SH SYNOPSIS",
    ".B meshctl",
    "\\fIcommand\\fR [\\fIoptions\\fR]",
    ".SH DESCRIPTION",
    esc(
      "meshctl builds, checks and removes a static VXLAN mesh between the nodes of several Kubernetes clusters, over SSH, with no agent on the nodes. Run ping, discover, diff, apply and verify in that order on a new fleet.",
    ),
    ".SH GLOBAL OPTIONS",
    ...options(program),
    ".SH COMMANDS",
    ...visible(program).flatMap((c) => section(c, "meshctl")),
    ".SH ENVIRONMENT",
    ".TP",
    ".B MESHCTL_INVENTORY",
    "the inventory when \\-i is not given (else ./inventory.yaml)",
    ".TP",
    ".B MESHCTL_SSH_PASSPHRASE",
    "passphrase of an encrypted identity file",
    ".TP",
    ".B SSH_AUTH_SOCK",
    "ssh\\-agent socket",
    ".TP",
    ".B NO_COLOR, FORCE_COLOR",
    "no colours / colours even in a pipe (\\-\\-no\\-color and \\-\\-color win)",
    ".SH FILES",
    ".TP",
    ".B ~/.ssh/config, /etc/ssh/ssh_config",
    "OpenSSH client configuration (or \\-F FILE); what the inventory sets wins",
    ".TP",
    ".B ~/.ssh/known_hosts",
    "host keys, always verified",
    ".TP",
    ".B ~/.ssh/id_rsa, id_ecdsa, id_ed25519",
    "default identities, as ssh(1) has them",
    ".SH SEE ALSO",
    "ssh(1), ssh_config(5), kubectl(1), ip(8)",
    "",
  ];
  return lines.join("\n");
}
