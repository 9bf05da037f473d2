/**
 * inventory file → validated, resolved Inventory. Reports every problem at once (InputError, exit 3),
 * each located at file:line:col; contacts nothing.
 */
import { homedir } from "node:os";
import { dirname, isAbsolute, resolve } from "node:path";
import type { Cidr, DnsLabel, IfName, Ipv4, Mac } from "../net/addr.js";
import { type Allocation, allocate } from "./allocate.js";
import { InputError, type InputIssue } from "./errors.js";
import { inventoryMessage } from "./messages.js";
import { inventorySchema, type RawInventory, type RawSsh } from "./schema.js";
import { schemaIssues, withoutMeant } from "./schema-issues.js";
import type {
  Inventory,
  InventoryNode,
  NodeOverride,
  NodeSettings,
  NodesFrom,
  SshSetting,
  SshTarget,
} from "./types.js";
import {
  type RelationInventory,
  type RelationNode,
  salvage,
  underlayOf,
  validateRelations,
} from "./validate.js";
import { inventoryWarnings } from "./warnings.js";
import { issueAt, parseYamlText, readYamlFile, type YamlSource } from "./yaml-source.js";

export async function loadInventory(file: string): Promise<Inventory> {
  return resolveInventory(await readYamlFile(file, "inventory"));
}

/** A valid inventory and what is allowed in it but probably not meant (never an error). */
export interface CheckedInventory {
  inventory: Inventory;
  warnings: InputIssue[];
}

export async function loadCheckedInventory(file: string): Promise<CheckedInventory> {
  return checkInventory(await readYamlFile(file, "inventory"));
}

export function loadInventoryText(text: string, file = "inventory.yaml"): Inventory {
  return resolveInventory(parseYamlText(text, file, "inventory"));
}

export function resolveInventory(src: YamlSource): Inventory {
  return checkInventory(src).inventory;
}

/** Throws InputError with every problem (and the warnings) at once. */
export function checkInventory(src: YamlSource): CheckedInventory {
  const parsed = inventorySchema.safeParse(src.value ?? {}, { error: inventoryMessage });
  const schema = parsed.success ? undefined : schemaIssues(src, parsed.error.issues);
  const issues: InputIssue[] = schema?.issues ?? [];
  // Every problem at once: relations and allocation also run on whatever passed the schema.
  const rel: RelationInventory = parsed.success ? parsed.data : salvage(src.value);
  const pathIssues = validateRelations(rel);
  // Nodes without an underlay IP, or with one already taken, are reported by validateRelations: skip them.
  const taken = new Set<string>();
  const toAllocate: { n: RelationNode; underlay: string; path: (string | number)[] }[] = [];
  rel.clusters.forEach((c, ci) => {
    // A cluster whose nodes come from Kubernetes is allocated once they are read (cluster-nodes.ts).
    if (c?.nodes_from !== undefined) return;
    c?.nodes.forEach((n, ni) => {
      const underlay = n === undefined ? undefined : underlayOf(n);
      if (n === undefined || underlay === undefined || taken.has(underlay)) return;
      taken.add(underlay);
      toAllocate.push({ n, underlay, path: ["clusters", ci, "nodes", ni] });
    });
  });
  const allocations = new Map<RelationNode, Allocation>();
  if (rel.mesh.overlay !== undefined) {
    const result = allocate(
      rel.mesh.overlay as Cidr,
      toAllocate.map(({ n, underlay, path }) => ({
        path,
        name: n.name,
        underlayIp: underlay as Ipv4,
        overlayIp: n.overlay_ip as Ipv4 | undefined,
        mac: n.mac?.toLowerCase() as Mac | undefined,
      })),
    );
    for (const [i, { n }] of toAllocate.entries()) allocations.set(n, result.allocations[i] as Allocation);
    pathIssues.push(...result.issues);
  }
  issues.push(...pathIssues.map((i) => issueAt(src, i.path, i.message)));
  const warnings = sortIssues(inventoryWarnings(rel).map((i) => issueAt(src, i.path, i.message)));
  if (!parsed.success || issues.length > 0) {
    throw new InputError("inventory", sortIssues(withoutMeant(issues, schema?.meant ?? new Set())), warnings);
  }
  const raw = parsed.data;
  const base = dirname(resolve(src.file));
  const inventory: Inventory = {
    file: src.file,
    mesh: {
      device: raw.mesh.device as IfName,
      vni: raw.mesh.vni,
      port: raw.mesh.port,
      overlay: raw.mesh.overlay as Cidr,
      mtu: raw.mesh.mtu,
      routeProtocol: raw.mesh.route_protocol,
      mode: raw.mesh.mode,
      persist: raw.mesh.persist,
    },
    clusters: raw.clusters.map((c) => ({
      name: c.name as DnsLabel,
      podCidr: c.pod_cidr as Cidr,
      serviceCidr: c.service_cidr as Cidr,
      cni: c.cni,
      mode: c.mode ?? raw.mesh.mode,
      control: (c.control ?? c.nodes[0]?.name) as DnsLabel,
      ...(c.kubeconfig === undefined ? {} : { kubeconfig: c.kubeconfig }),
      ...(c.context === undefined ? {} : { context: c.context }),
      ...(c.api_server === undefined ? {} : { apiServer: c.api_server as Ipv4 }),
      testEndpoints: (c.test_endpoints ?? []) as Ipv4[],
      ...(c.nodes_from === undefined
        ? {}
        : {
            nodesFrom: nodesFromOf(
              c,
              [raw.mesh.ssh, c.ssh],
              c.underlay_interface ?? raw.mesh.underlay_interface,
              base,
            ),
          }),
      nodes:
        c.nodes_from !== undefined
          ? []
          : c.nodes.map((n): InventoryNode => {
              const a = allocations.get(n) as Allocation;
              const underlayInterface =
                n.underlay_interface ?? c.underlay_interface ?? raw.mesh.underlay_interface;
              return {
                name: n.name as DnsLabel,
                cluster: c.name as DnsLabel,
                ssh: sshTarget(n.host as string, [raw.mesh.ssh, c.ssh, n.ssh], base),
                underlayIp: (n.underlay_ip ?? n.host) as Ipv4,
                ...(underlayInterface === undefined
                  ? {}
                  : { underlayInterface: underlayInterface as IfName }),
                overlayIp: a.overlayIp,
                mac: a.mac,
                ...(n.pod_blocks === undefined ? {} : { podBlocks: n.pod_blocks as Cidr[] }),
              };
            }),
    })),
  };
  return { inventory, warnings };
}

/** `~/x` → home, relative → next to the inventory file. */
export function resolvePath(p: string, base: string): string {
  if (p === "~" || p.startsWith("~/")) return resolve(homedir(), p.slice(2));
  return isAbsolute(p) ? p : resolve(base, p);
}

/** `nodes_from`: the inventory's `nodes:` as overrides by name, and the settings of a node without one. */
function nodesFromOf(
  c: RawInventory["clusters"][number],
  layers: (RawSsh | undefined)[],
  underlayInterface: string | undefined,
  base: string,
): NodesFrom {
  const defaults: NodeSettings = {
    ssh: sshSettings(layers, base),
    ...(underlayInterface === undefined ? {} : { underlayInterface: underlayInterface as IfName }),
  };
  return {
    source: "kubernetes",
    defaults,
    overrides: c.nodes.map((n): NodeOverride => {
      const dev = n.underlay_interface ?? underlayInterface;
      return {
        name: n.name as DnsLabel,
        ssh: sshSettings([...layers, n.ssh], base),
        ...(dev === undefined ? {} : { underlayInterface: dev as IfName }),
        ...(n.host === undefined ? {} : { host: n.host }),
        ...(n.underlay_ip === undefined ? {} : { underlayIp: n.underlay_ip as Ipv4 }),
        ...(n.overlay_ip === undefined ? {} : { overlayIp: n.overlay_ip as Ipv4 }),
        ...(n.mac === undefined ? {} : { mac: n.mac.toLowerCase() as Mac }),
        ...(n.pod_blocks === undefined ? {} : { podBlocks: n.pod_blocks as Cidr[] }),
      };
    }),
  };
}

function sshTarget(host: string, layers: (RawSsh | undefined)[], base: string): SshTarget {
  return { host, ...sshSettings(layers, base) };
}

function sshSettings(layers: (RawSsh | undefined)[], base: string): Omit<SshTarget, "host"> {
  const merged: RawSsh = Object.assign({}, ...layers.filter(Boolean));
  return {
    port: merged.port ?? 22,
    user: merged.user ?? "root",
    ...(merged.identity_file === undefined ? {} : { identityFile: resolvePath(merged.identity_file, base) }),
    knownHosts: resolvePath(merged.known_hosts ?? "~/.ssh/known_hosts", base),
    become: merged.become ?? (merged.user !== undefined && merged.user !== "root"),
    connectTimeoutMs: Math.round((merged.connect_timeout ?? 10) * 1000),
    explicit: explicitSsh(merged),
  };
}

/** Which SSH settings the inventory gives (they win over ~/.ssh/config; the rest may come from it). */
function explicitSsh(m: RawSsh): SshSetting[] {
  const keys: [keyof RawSsh, SshSetting][] = [
    ["user", "user"],
    ["port", "port"],
    ["identity_file", "identityFile"],
    ["known_hosts", "knownHosts"],
    ["become", "become"],
    ["connect_timeout", "connectTimeout"],
  ];
  return keys.flatMap(([k, s]) => (m[k] === undefined ? [] : [s]));
}

function sortIssues(issues: InputIssue[]): InputIssue[] {
  return [...issues].sort((a, b) => a.line - b.line || a.col - b.col);
}

export { missingKey } from "./messages.js";
export type { RawInventory };
