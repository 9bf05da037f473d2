/**
 * What each lab node sees of the filesystem: the private directories bound in its own mount namespace
 * (/run/lock and /tmp with the 1777 mode of real nodes, its own /etc/systemd/system and meshctl directories)
 * and, with `--os`, the wrappers that make `ip` and `bridge` behave as that release did.
 */
import { chmodSync, cpSync, existsSync, mkdirSync, realpathSync, writeFileSync } from "node:fs";
import { delimiter, join } from "node:path";
import { LabError } from "./errors.js";
import { HOST_OS, osRelease } from "./osrelease.js";
import { wrapperScript } from "./oswrapper.js";
import { type BindMount, labDirInTmp, NODE_PRIVATE_DIRS, NODE_SYSTEMD_RUN, type NodeFiles } from "./sshd.js";

const SYSTEM_DIRS = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"];

/** Every distinct file a node could run as `tool` (all PATH and system dirs, symlinks resolved). */
export function realBinaries(tool: string): string[] {
  const dirs = [...(process.env.PATH ?? "").split(delimiter).filter(Boolean), ...SYSTEM_DIRS];
  const found = new Set<string>();
  for (const d of dirs) {
    const p = join(d, tool);
    if (existsSync(p)) found.add(realpathSync(p));
  }
  return [...found];
}

/** Create a node's private directories (run-lock and tmp 1777, a copy of the host's units, 0700 ones). */
export function makeNodeDirs(files: NodeFiles, labDir: string): void {
  for (const d of [files.runLock, files.tmp]) {
    mkdirSync(d, { recursive: true });
    chmodSync(d, 0o1777);
  }
  const inTmp = labDirInTmp(files, labDir);
  if (inTmp) mkdirSync(inTmp, { recursive: true, mode: 0o755 });
  if (existsSync("/etc/systemd/system")) {
    cpSync("/etc/systemd/system", files.systemdUnits, { recursive: true, verbatimSymlinks: true });
  } else {
    mkdirSync(files.systemdUnits, { recursive: true, mode: 0o755 });
  }
  for (const d of NODE_PRIVATE_DIRS) {
    mkdirSync(files.privateDir(d), { recursive: true, mode: 0o700 });
    chmodSync(files.privateDir(d), 0o700);
  }
  mkdirSync(join(files.privateDir(NODE_SYSTEMD_RUN), "system"), { recursive: true, mode: 0o755 });
}

/**
 * Host directories the nodes' private copies are bound over and that the host lacks: up creates them (and
 * records them; down removes them if still empty), so a bind target exists and nothing a node writes there
 * lands on the host.
 */
export function missingHostDirs(): string[] {
  return [...NODE_PRIVATE_DIRS, "/etc/systemd/system", NODE_SYSTEMD_RUN].filter((d) => !existsSync(d));
}

export function createHostDir(d: string): void {
  const shared = d === "/etc/systemd/system" || d === NODE_SYSTEMD_RUN;
  mkdirSync(d, { recursive: true, mode: shared ? 0o755 : 0o700 });
}

const osDir = (labDir: string) => join(labDir, "os");
const realMountPoint = (labDir: string, tool: string) => join(osDir(labDir), "real", tool);
const wrapperPath = (labDir: string, os: string, tool: string) => join(osDir(labDir), os, tool);

/** Write the wrappers of every release in `oses` under <labDir>/os (one copy shared by the nodes). */
export function writeWrappers(labDir: string, oses: readonly string[]): string[] {
  const written: string[] = [];
  for (const tool of ["ip", "bridge"] as const) {
    const real = realBinaries(tool);
    if (real.length === 0) continue;
    for (const os of new Set(oses)) {
      const script = wrapperScript(tool, osRelease(os), realMountPoint(labDir, tool));
      if (!script) continue;
      mkdirSync(join(osDir(labDir), "real"), { recursive: true, mode: 0o755 });
      mkdirSync(join(osDir(labDir), os), { recursive: true, mode: 0o755 });
      // The mount point of the real binary inside each wrapped node (empty on the host).
      writeFileSync(realMountPoint(labDir, tool), "", { mode: 0o755 });
      writeFileSync(wrapperPath(labDir, os, tool), script, { mode: 0o755 });
      chmodSync(wrapperPath(labDir, os, tool), 0o755);
      written.push(wrapperPath(labDir, os, tool));
    }
  }
  return written;
}

/** The binds that install the wrappers of `os` on a node: the real binary aside first, then the wrapper over it. */
export function wrapperMounts(labDir: string, os: string): BindMount[] {
  if (os === HOST_OS) return [];
  const release = osRelease(os);
  const mounts: BindMount[] = [];
  for (const tool of ["ip", "bridge"] as const) {
    if (!(tool === "ip" ? release.ip : release.bridge)) continue;
    const real = realBinaries(tool);
    const first = real[0];
    if (!first) throw new LabError(`--os ${os}: no ${tool} binary found to wrap`);
    mounts.push([first, realMountPoint(labDir, tool)]);
    for (const r of real) mounts.push([wrapperPath(labDir, os, tool), r]);
  }
  return mounts;
}

export const osDirOf = osDir;
