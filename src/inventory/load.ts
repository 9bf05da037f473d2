/**
 * inventory file → validated, resolved Inventory. Reports every problem at once (InputError, exit 3),
 * each located at file:line:col; contacts nothing.
 */
import { homedir } from "node:os";
import { dirname, isAbsolute, resolve } from "node:path";
import type { Cidr, DnsLabel, IfName, Ipv4, Mac } from "../net/addr.js";
import type { SshTarget } from "../model/types.js";
import { allocate } from "./allocate.js";
import { InputError, type InputIssue } from "./errors.js";
import { type RawInventory, type RawSsh, inventorySchema } from "./schema.js";
import type { Inventory, InventoryNode } from "./types.js";
import { validateRelations } from "./validate.js";
import { issueAt, parseYamlText, readYamlFile, type YamlSource } from "./yaml-source.js";

export async function loadInventory(file: string): Promise<Inventory> {
  return resolveInventory(await readYamlFile(file, "inventory"));
}

export function loadInventoryText(text: string, file = "inventory.yaml"): Inventory {
  return resolveInventory(parseYamlText(text, file, "inventory"));
}

export function resolveInventory(src: YamlSource): Inventory {
  const parsed = inventorySchema.safeParse(src.value ?? {});
  if (!parsed.success) {
    const issues: InputIssue[] = [];
    for (const i of parsed.error.issues) {
      const path = i.path.filter((p): p is string | number => typeof p !== "symbol");
      if (i.code === "unrecognized_keys") {
        for (const key of i.keys) issues.push(issueAt(src, path, `unknown key "${key}"${suggest(key)}`, key));
      } else {
        issues.push(issueAt(src, path, i.message));
      }
    }
    throw new InputError("inventory", sortIssues(issues));
  }
  const raw = parsed.data;
  const relIssues = validateRelations(raw);
  if (relIssues.length > 0) {
    throw new InputError("inventory", sortIssues(relIssues.map((i) => issueAt(src, i.path, i.message))));
  }
  const base = dirname(resolve(src.file));
  const flat = raw.clusters.flatMap((c, ci) =>
    c.nodes.map((n, ni) => ({ c, n, path: ["clusters", ci, "nodes", ni] as (string | number)[] })),
  );
  const { allocations, issues } = allocate(
    raw.mesh.overlay as Cidr,
    flat.map(({ n, path }) => ({
      path,
      name: n.name,
      underlayIp: (n.underlay_ip ?? n.host) as Ipv4,
      overlayIp: n.overlay_ip as Ipv4 | undefined,
      mac: n.mac?.toLowerCase() as Mac | undefined,
    })),
  );
  if (issues.length > 0) {
    throw new InputError("inventory", sortIssues(issues.map((i) => issueAt(src, i.path, i.message))));
  }
  let k = 0;
  return {
    file: src.file,
    mesh: {
      device: raw.mesh.device as IfName,
      vni: raw.mesh.vni,
      port: raw.mesh.port,
      overlay: raw.mesh.overlay as Cidr,
      mtu: raw.mesh.mtu,
      routeProtocol: raw.mesh.route_protocol,
    },
    clusters: raw.clusters.map((c) => ({
      name: c.name as DnsLabel,
      podCidr: c.pod_cidr as Cidr,
      serviceCidr: c.service_cidr as Cidr,
      cni: c.cni,
      control: (c.control ?? c.nodes[0]?.name) as DnsLabel,
      ...(c.kubeconfig === undefined ? {} : { kubeconfig: c.kubeconfig }),
      ...(c.context === undefined ? {} : { context: c.context }),
      nodes: c.nodes.map((n): InventoryNode => {
        const a = allocations[k++] as (typeof allocations)[number];
        const underlayInterface = n.underlay_interface ?? c.underlay_interface ?? raw.mesh.underlay_interface;
        return {
          name: n.name as DnsLabel,
          cluster: c.name as DnsLabel,
          ssh: sshTarget(n.host, [raw.mesh.ssh, c.ssh, n.ssh], base),
          underlayIp: (n.underlay_ip ?? n.host) as Ipv4,
          ...(underlayInterface === undefined ? {} : { underlayInterface: underlayInterface as IfName }),
          overlayIp: a.overlayIp,
          mac: a.mac,
          ...(n.pod_blocks === undefined ? {} : { podBlocks: n.pod_blocks as Cidr[] }),
        };
      }),
    })),
  };
}

/** `~/x` → home, relative → next to the inventory file. */
export function resolvePath(p: string, base: string): string {
  if (p === "~" || p.startsWith("~/")) return resolve(homedir(), p.slice(2));
  return isAbsolute(p) ? p : resolve(base, p);
}

function sshTarget(host: string, layers: (RawSsh | undefined)[], base: string): SshTarget {
  const merged: RawSsh = Object.assign({}, ...layers.filter(Boolean));
  return {
    host,
    port: merged.port ?? 22,
    user: merged.user ?? "root",
    ...(merged.identity_file === undefined ? {} : { identityFile: resolvePath(merged.identity_file, base) }),
    knownHosts: resolvePath(merged.known_hosts ?? "~/.ssh/known_hosts", base),
    become: merged.become ?? (merged.user !== undefined && merged.user !== "root"),
    connectTimeoutMs: Math.round((merged.connect_timeout ?? 10) * 1000),
  };
}

const KNOWN_KEYS = [
  "mesh",
  "clusters",
  "device",
  "vni",
  "port",
  "overlay",
  "mtu",
  "route_protocol",
  "underlay_interface",
  "ssh",
  "user",
  "identity_file",
  "known_hosts",
  "become",
  "connect_timeout",
  "name",
  "pod_cidr",
  "service_cidr",
  "cni",
  "control",
  "kubeconfig",
  "context",
  "nodes",
  "host",
  "underlay_ip",
  "overlay_ip",
  "mac",
  "pod_blocks",
];

/** " (did you mean …?)" for a key one or two edits away from a known one. */
function suggest(key: string): string {
  let best: string | undefined;
  let bestD = 3;
  for (const k of KNOWN_KEYS) {
    const d = editDistance(key.toLowerCase().replaceAll("-", "_"), k);
    if (d < bestD) {
      bestD = d;
      best = k;
    }
  }
  return best ? ` (did you mean "${best}"?)` : "";
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j] as number;
      row[j] = Math.min((row[j] as number) + 1, (row[j - 1] as number) + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length] as number;
}

function sortIssues(issues: InputIssue[]): InputIssue[] {
  return [...issues].sort((a, b) => a.line - b.line || a.col - b.col);
}

export type { RawInventory };
