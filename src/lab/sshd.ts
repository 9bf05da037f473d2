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
  /** Bind-mounted over /run/lock in the node's sshd mount namespace (mode 1777, as on real nodes). */
  runLock: string;
  /** Bind-mounted over /tmp (mode 1777). */
  tmp: string;
  /** Bind-mounted over /etc/systemd/system (a copy of the host's, made at up). */
  systemdUnits: string;
  /** Private directories bound over meshctl's own node-side directories (see NODE_PRIVATE_DIRS). */
  privateDir: (target: string) => string;
}

/** Directories meshctl may write on a node: each node gets its own, empty, root-only copy. */
export const NODE_PRIVATE_DIRS = ["/run/meshctl", "/var/lib/meshctl"] as const;
/**
 * Each node's own /run/systemd, holding `system/`: what a host booted by systemd has, so the node counts as
 * a systemd host for meshctl's boot persistence (the host's own /run/systemd is never touched).
 */
export const NODE_SYSTEMD_RUN = "/run/systemd";

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
    tmp: join(dir, "tmp"),
    systemdUnits: join(dir, "systemd-system"),
    // /run/meshctl -> run-meshctl, /var/lib/meshctl -> var-lib-meshctl
    privateDir: (target: string) => join(dir, target.replace(/^\/+/, "").replaceAll("/", "-")),
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

/** A bind mount made in the node's own mount namespace before sshd starts: [source, target, recursive?]. */
export type BindMount = [string, string] | [string, string, "rbind"];

/**
 * A node's private mounts: /root, /run/lock, systemd units, meshctl's directories, then `extra` (the --os
 * wrappers), and /tmp last. When the lab directory is under /tmp (test labs are), it is first bound into the
 * private /tmp at the same path, and that /tmp is bound recursively, so sshd's files and the wrappers stay
 * visible in the node.
 */
export function nodeMounts(
  files: NodeFiles,
  privateHome: string,
  labDir: string,
  extra: readonly BindMount[] = [],
): BindMount[] {
  const inTmp = labDirInTmp(files, labDir);
  return [
    [privateHome, "/root"],
    [files.runLock, "/run/lock"],
    [files.systemdUnits, "/etc/systemd/system"],
    ...NODE_PRIVATE_DIRS.map((d): BindMount => [files.privateDir(d), d]),
    [files.privateDir(NODE_SYSTEMD_RUN), NODE_SYSTEMD_RUN],
    ...extra,
    ...(inTmp ? [[labDir, inTmp, "rbind"] as BindMount] : []),
    [files.tmp, "/tmp", "rbind"],
  ];
}

/** Where the lab directory appears inside a node's private /tmp (when it is under /tmp), to create at up. */
export function labDirInTmp(files: NodeFiles, labDir: string): string | undefined {
  return labDir.startsWith("/tmp/") ? join(files.tmp, labDir.slice("/tmp/".length)) : undefined;
}

/**
 * The command that runs sshd in the node's namespace, in the foreground (`-D`) so its PID is the PID we
 * spawn (ip netns exec, unshare and `exec` all replace themselves), in its own mount namespace where `mounts`
 * are bound in order: a private /root, so the host's shell start-up files do not run in lab sessions, a
 * private /run/lock, /tmp, /etc/systemd/system and meshctl's directories, as every real node has its own, and
 * (with --os) the wrappers over the real `ip` and `bridge`.
 */
export function sshdCommand(node: PlannedNode, files: NodeFiles, mounts: readonly BindMount[]): string[] {
  const binds = mounts.map(([src, dst, r]) => `mount --${r ?? "bind"} ${shq(src)} ${shq(dst)}`);
  const script = [...binds, `exec ${SSHD} -D -f ${shq(files.config)} -E ${shq(files.log)}`].join(" && ");
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
