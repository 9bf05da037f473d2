/** One OpenSSH server per lab node: its config, host key and start command. */
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { PlannedNode } from "./plan.js";
import { SSH_PORT } from "./plan.js";
import { shq } from "./sys.js";

export const SSHD = "/usr/sbin/sshd";
const SFTP_SERVER = "/usr/lib/openssh/sftp-server";

export interface NodeFiles {
  dir: string;
  config: string;
  hostKey: string;
  pidFile: string;
  /** sshd's own log (`sshd -E`). */
  log: string;
  /** stdout/stderr of the start command (mount or exec failures before sshd logs). */
  out: string;
  /** Bind-mounted over /run/lock in the node's sshd mount namespace. */
  runLock: string;
  /** Bind-mounted over /run/meshctl (meshctl's private state directory, 0700 root) likewise. */
  runState: string;
}

export function nodeFiles(labDir: string, node: PlannedNode): NodeFiles {
  const dir = join(labDir, "nodes", node.name);
  return {
    dir,
    config: join(dir, "sshd_config"),
    hostKey: join(dir, "ssh_host_ed25519_key"),
    pidFile: join(dir, "sshd.pid"),
    log: join(dir, "sshd.log"),
    out: join(dir, "sshd.out"),
    runLock: join(dir, "run-lock"),
    runState: join(dir, "run-meshctl"),
  };
}

export function sshdConfig(node: PlannedNode, files: NodeFiles, authorizedKeys: string): string {
  const lines = [
    `# sshd of lab node ${node.name} (namespace ${node.namespace}); written by meshctl lab`,
    `ListenAddress ${node.underlayIp}:${SSH_PORT}`,
    `HostKey ${files.hostKey}`,
    `PidFile ${files.pidFile}`,
    `AuthorizedKeysFile ${authorizedKeys}`,
    "PermitRootLogin prohibit-password",
    "PubkeyAuthentication yes",
    "PasswordAuthentication no",
    "KbdInteractiveAuthentication no",
    "StrictModes no",
    "UsePAM no",
    "UseDNS no",
    "MaxStartups 200:30:400",
    "MaxSessions 64",
    "PrintMotd no",
    "PrintLastLog no",
    "LogLevel INFO",
    "AcceptEnv LANG LC_*",
  ];
  if (existsSync(SFTP_SERVER)) lines.push(`Subsystem sftp ${SFTP_SERVER}`);
  return `${lines.join("\n")}\n`;
}

/**
 * The command that runs sshd in the node's namespace, in the foreground (`-D`) so its PID is the PID we
 * spawn (ip netns exec, unshare and `exec` all replace themselves), with a private /root: a bind mount in
 * its own mount namespace, so the host's shell start-up files do not run in lab sessions, and a private
 * /run/lock and /run/meshctl, so meshctl's per-node lock and journal are per node as on real machines.
 */
export function sshdCommand(node: PlannedNode, files: NodeFiles, privateHome: string): string[] {
  // A private /run/lock too: real nodes each have their own, and meshctl's per-node lock lives there.
  const script = `mount --bind ${shq(privateHome)} /root && mkdir -p /run/lock && mount --bind ${shq(files.runLock)} /run/lock && mkdir -p /run/meshctl && mount --bind ${shq(files.runState)} /run/meshctl && exec ${SSHD} -D -f ${shq(files.config)} -E ${shq(files.log)}`;
  return [
    "netns",
    "exec",
    node.namespace,
    "unshare",
    "--mount",
    "--propagation",
    "private",
    "sh",
    "-c",
    script,
  ];
}
