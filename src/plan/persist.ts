/**
 * Boot persistence: what meshctl installs on a node so its mesh state comes back after a reboot. Pure.
 *   /etc/systemd/system/meshctl-<device>.service                          the unit (0644)
 *   /etc/systemd/system/multi-user.target.wants/meshctl-<device>.service  its enablement (a symbolic link,
 *                                                                         as `systemctl enable` makes it)
 *   /var/lib/meshctl/<device>@<n>.ip|bridge                                what the unit replays (0600, in a
 *                                                                         0700 root directory)
 * The replayed files are the node's from-scratch change set, as the diff would build the node if it had
 * none of the mesh (src/plan/node-diff.ts): whatever the node's desired state holds, in the order the
 * engine applies it, one `ip -batch`/`bridge -batch` file per run of same-tool commands.
 */
import { bootFilePrefix, unitPath, wantsPath } from "../facts/persist-paths.js";
import type { NodeFacts } from "../facts/types.js";
import type { NodeModel } from "../model/types.js";
import { type BatchCmd, batchLine, type Cmd } from "./commands.js";

export * from "../facts/persist-paths.js";
/** The tools' paths in the unit: systemd 219 (CentOS 7) needs absolute ExecStart paths. */
export const BOOT_TOOLS = { ip: "/sbin/ip", bridge: "/sbin/bridge" } as const;

export interface BootFile {
  path: string;
  tool: "ip" | "bridge";
  content: string;
}

/** The files one node replays at boot, and the unit that replays them. */
export interface PersistState {
  unit: { path: string; content: string };
  wants: { path: string; target: string };
  files: BootFile[];
}

/** Consecutive commands of one tool form one file, in order; site scripts are not replayed. */
export function bootFiles(device: string, cmds: readonly Cmd[]): BootFile[] {
  const groups: { tool: "ip" | "bridge"; cmds: BatchCmd[] }[] = [];
  for (const c of cmds) {
    if (c.tool !== "ip" && c.tool !== "bridge") continue;
    const last = groups[groups.length - 1];
    if (last && last.tool === c.tool) last.cmds.push(c);
    else groups.push({ tool: c.tool, cmds: [c] });
  }
  return groups.map((g, i) => ({
    path: `${bootFilePrefix(device)}${i + 1}.${g.tool}`,
    tool: g.tool,
    content: g.cmds.map((c) => `${batchLine(c)}\n`).join(""),
  }));
}

/**
 * The unit. systemd 219 and later: a oneshot that stays active, after the network is up (the underlay
 * holds the tunnel's local address) and before kubelet (pods need the mesh). It runs only when the device
 * is absent (at boot), so starting it by hand on a live node changes nothing. The device's file stops the
 * unit on its first error; the entries' files go on past one (`-force`) so one bad entry does not cost
 * the others, and still fail the unit.
 */
export function renderUnit(device: string, files: readonly BootFile[]): string {
  const exec = files.map((f, i) => {
    const force = i === 0 ? "" : " -force";
    return `ExecStart=${BOOT_TOOLS[f.tool]}${force} -batch ${f.path}`;
  });
  return [
    "# Written by meshctl (man meshctl, on the controller): `meshctl apply` keeps it in sync,",
    "# `meshctl teardown` removes it. Do not edit: apply rewrites it.",
    "[Unit]",
    `Description=meshctl VXLAN mesh device ${device}: device, FDB, neighbours and routes replayed at boot`,
    "After=network-online.target",
    "Wants=network-online.target",
    "Before=kubelet.service",
    `ConditionPathExists=!/sys/class/net/${device}`,
    "",
    "[Service]",
    "Type=oneshot",
    "RemainAfterExit=yes",
    ...exec,
    "",
    "[Install]",
    "WantedBy=multi-user.target",
    "",
  ].join("\n");
}

/** A node as its boot finds it: none of meshctl's runtime state, everything else as read. */
export function bootFacts(facts: NodeFacts): NodeFacts {
  return { ...facts, device: undefined, neighbours: [], fdb: [], routes: [], connected: [] };
}

/**
 * What the node should have installed, from its from-scratch commands (the forward commands of
 * `diffNode(node, bootFacts(facts))`, in engine order).
 */
export function persistState(node: Pick<NodeModel, "device">, scratch: readonly Cmd[]): PersistState {
  const device = node.device.name;
  const files = bootFiles(device, scratch);
  return {
    unit: { path: unitPath(device), content: renderUnit(device, files) },
    wants: { path: wantsPath(device), target: unitPath(device) },
    files,
  };
}
