/**
 * The SSH options every verb that talks to nodes shares: -F (the OpenSSH client config), --retries, -v,
 * and the connector they build.
 */
import { type Command, InvalidArgumentError, Option } from "commander";
import type { SshConnectorOptions } from "../exec/ssh/connector.js";
import type { Connector } from "../exec/ssh/types.js";
import { createLog, type Log } from "../ui/log.js";

export interface SshCliOpts {
  forks: number;
  acceptNewHostKeys?: boolean;
  sshConfig?: string;
  retries?: number;
  verbose?: number;
}

const wholeNumber = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError("expected a whole number ≥ 0");
  return n;
};

export const verboseOption = () =>
  new Option("-v, --verbose", "more output on stderr: -v commands sent, -vv timings, -vvv SSH debug")
    .argParser((_v: string, prev: number) => prev + 1)
    .default(0);

export function withSshOptions(cmd: Command): Command {
  return cmd
    .addOption(
      new Option(
        "-F, --ssh-config <file>",
        "OpenSSH client config (default: ~/.ssh/config, then /etc/ssh/ssh_config; `none`: no config)",
      ),
    )
    .addOption(
      new Option(
        "--retries <n>",
        `tries again after a refused, reset or timed-out connection, with backoff (default: ConnectionAttempts − 1 from the SSH config, else ${DEFAULT_RETRIES})`,
      ).argParser(wholeNumber),
    )
    .addOption(verboseOption());
}

/** The log of a verb's options (-v count). */
export const logOf = (o: { verbose?: number }): Log => createLog(o.verbose ?? 0);

/** Kept in step with DEFAULT_RETRIES in the connector (not imported: the SSH layer loads lazily). */
const DEFAULT_RETRIES = 2;

/**
 * The connector options the verb's options ask for (the SSH client config is read here, once). The SSH
 * layer is imported here, not at the top, so that `meshctl --version` and `--help` never load it.
 */
export async function connectorOptions(o: SshCliOpts, log: Log = logOf(o)): Promise<SshConnectorOptions> {
  const { loadSshConfig } = await import("../exec/ssh/config.js");
  const sshConfig = loadSshConfig(o.sshConfig);
  if (sshConfig.files.length) log.line(2, `SSH client config: ${sshConfig.files.join(", ")}`);
  return {
    forks: o.forks,
    acceptNewHostKeys: o.acceptNewHostKeys ?? false,
    sshConfig,
    ...(o.retries === undefined ? {} : { retries: o.retries }),
    log,
  };
}

export async function connectorFor(o: SshCliOpts, log: Log = logOf(o)): Promise<Connector> {
  const { createSshConnector } = await import("../exec/ssh/connector.js");
  return createSshConnector(await connectorOptions(o, log));
}
