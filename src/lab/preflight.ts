/** What `lab up` checks before it makes anything: root, tools, the directory, no other lab in the way. */
import { existsSync, statSync } from "node:fs";
import { dirname } from "node:path";
import { LabError } from "./errors.js";
import { bridgeOwner, downCommand, listLinks, listNamespaces, requireRoot } from "./host.js";
import { inLabRange, LAB_BRIDGE, LAB_RANGE, NODE_NS_PREFIX, POD_NS_PREFIX, SUDO_USER } from "./plan.js";
import { SSHD } from "./sshd.js";
import { which } from "./sys.js";

const TOOLS: { name: string; pkg: string; why: string }[] = [
  { name: "ip", pkg: "iproute2", why: "namespaces, veths and the bridge" },
  { name: SSHD, pkg: "openssh-server", why: "an SSH server per node" },
  { name: "ssh-keygen", pkg: "openssh-client", why: "host and client keys" },
  { name: "unshare", pkg: "util-linux", why: "a private /root per sshd" },
  { name: "mount", pkg: "mount", why: "a private /root per sshd" },
  { name: "sudo", pkg: "sudo", why: "the non-root lab user" },
];

export function preflight(dir: string): void {
  requireRoot("meshctl lab up");
  for (const t of TOOLS) {
    if (!which(t.name)) {
      throw new LabError(`${t.name} not found (needed for ${t.why}): apt-get install ${t.pkg}`);
    }
  }
  if (dir === "/root" || dir.startsWith("/root/")) {
    throw new LabError(`the lab directory cannot be under /root (${dir}): each sshd mounts a private /root`);
  }
  // The sudo user's sshd reads <dir>/authorized_keys as that user: every ancestor must be traversable.
  for (let p = dirname(dir); ; p = dirname(p)) {
    if (existsSync(p) && (statSync(p).mode & 0o001) === 0) {
      throw new LabError(
        `${p} is not searchable by other users, so the lab user ${SUDO_USER} could not read ${dir}/authorized_keys: choose another --dir`,
      );
    }
    if (p === "/") break;
  }
}

export async function checkConflicts(dir: string): Promise<void> {
  const links = await listLinks();
  const owner = bridgeOwner(links);
  if (owner.exists) {
    throw new LabError(
      owner.dir
        ? `another lab is up in ${owner.dir} (bridge ${LAB_BRIDGE} exists); run \`${downCommand(owner.dir)}\` first`
        : `bridge ${LAB_BRIDGE} exists (a lab left behind?); run \`${downCommand(dir)}\` to sweep it`,
    );
  }
  const strays = (await listNamespaces()).filter(
    (n) => n.startsWith(NODE_NS_PREFIX) || n.startsWith(POD_NS_PREFIX),
  );
  if (strays.length > 0) {
    throw new LabError(
      `lab namespaces are left behind (${strays.slice(0, 4).join(", ")}${strays.length > 4 ? ", ..." : ""}); run \`${downCommand(dir)}\` to sweep them`,
    );
  }
  for (const l of links) {
    for (const a of l.addr_info ?? []) {
      if (a.family === "inet" && inLabRange(a.local)) {
        throw new LabError(
          `${a.local}/${a.prefixlen} on ${l.ifname} is inside the lab range ${LAB_RANGE}, which the lab must own alone`,
        );
      }
    }
  }
}
