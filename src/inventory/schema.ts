/**
 * The inventory format, as one zod schema: the validator and the published JSON Schema
 * (schema/inventory.schema.json, `npm run schema`) are both generated from it.
 * Field-level syntax is checked here; relations between fields (overlaps, duplicates) in validate.ts.
 */
import { z } from "zod";
import { CNI_NAMES } from "../cni/names.js";
import { type ParseResult, parseCidr, parseDnsLabel, parseIfName, parseIpv4, parseMac } from "../net/addr.js";
import { routeProtocolProblem } from "./route-protocols.js";

function errorOf<T>(parse: (s: string) => ParseResult<T>, input: unknown): string {
  const r = parse(String(input));
  return r.ok ? "invalid value" : r.error;
}

/** A string field whose value must pass one of the typed parsers of src/net/addr.ts. */
function parsed<T>(parse: (s: string) => ParseResult<T>, pattern: RegExp, description: string) {
  return z
    .string()
    .regex(pattern, { error: (issue) => errorOf(parse, issue.input), abort: true })
    .superRefine((s, ctx) => {
      const r = parse(s);
      if (!r.ok) ctx.addIssue({ code: "custom", message: r.error });
    })
    .meta({ description });
}

const IPV4_PATTERN = /^\d{1,3}(\.\d{1,3}){3}$/;
const CIDR_PATTERN = /^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/;
const MAC_PATTERN = /^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}$/;
const IFNAME_PATTERN = /^[A-Za-z0-9_.-]{1,15}$/;
const LABEL_PATTERN = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
/** Where a cluster's node list may come from (besides the inventory's own `nodes:`). */
export const NODE_SOURCES = ["kubernetes"] as const;

const HOST_PATTERN = /^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$/;

export const ipv4Field = parsed(parseIpv4, IPV4_PATTERN, "IPv4 address");
export const cidrField = parsed(parseCidr, CIDR_PATTERN, "IPv4 network in CIDR form (host bits zero)");
export const macField = parsed(parseMac, MAC_PATTERN, "unicast MAC address");
export const ifNameField = parsed(
  parseIfName,
  IFNAME_PATTERN,
  "Linux interface name (at most 15 characters)",
);
export const nameField = parsed(parseDnsLabel, LABEL_PATTERN, "RFC 1123 name");
/** A path or name handed to a remote tool: no control characters (a newline would shift stdin framing). */
const pathLike = (description: string) =>
  z
    .string()
    .min(1)
    .refine((v) => ![...v].some((ch) => (ch.codePointAt(0) ?? 0) < 0x20 || ch === "\x7f"), {
      message: "must not contain control characters (newline, tab, NUL, …)",
    })
    .meta({ description });
const HOST_LABEL = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
const hostField = z
  .string()
  .regex(HOST_PATTERN, { message: "must be an IPv4 address or a DNS host name", abort: true })
  .superRefine((s, ctx) => {
    // Only digits and dots: meant as an address, so it must be a canonical one (not "010.0.0.1", "10.0.0.256").
    if (/^[\d.]+$/.test(s)) {
      const r = parseIpv4(s);
      if (!r.ok) ctx.addIssue({ code: "custom", message: r.error });
    } else if (!s.split(".").every((label) => HOST_LABEL.test(label))) {
      const message = `"${s}" is not a DNS host name (labels of letters, digits and inner '-', at most 63 each)`;
      ctx.addIssue({ code: "custom", message });
    }
  })
  .meta({ description: "SSH address: IPv4 address or DNS host name" });

export const sshSchema = z
  .strictObject({
    user: z
      .string()
      .regex(/^[a-z_][a-z0-9_.-]{0,31}$/, { message: "must be a POSIX user name" })
      .optional(),
    port: z.number().int().min(1).max(65535).optional(),
    identity_file: pathLike("private key; ~ and relative paths allowed").optional(),
    known_hosts: pathLike("OpenSSH known_hosts file used to verify hosts").optional(),
    become: z.boolean().optional().meta({ description: "run commands through sudo -n (non-root user)" }),
    connect_timeout: z.number().positive().max(300).optional().meta({ description: "seconds" }),
  })
  .meta({ description: "SSH settings; node overrides cluster overrides mesh" });

export const nodeSchema = z.strictObject({
  name: nameField,
  host: hostField.optional().meta({
    description:
      "SSH address: IPv4 address or DNS host name; required unless the cluster's nodes_from gives it (InternalIP)",
  }),
  underlay_ip: ipv4Field
    .optional()
    .meta({ description: "tunnel source address; default: host, when it is an IP" }),
  underlay_interface: ifNameField
    .optional()
    .meta({ description: "default: the interface holding underlay_ip" }),
  overlay_ip: ipv4Field
    .optional()
    .meta({ description: "default: underlay host bits mapped into the overlay" }),
  mac: macField.optional().meta({ description: "VXLAN device MAC; default: derived from the overlay IP" }),
  pod_blocks: z
    .array(cidrField)
    .optional()
    .meta({ description: "pod blocks this node owns; default: discovered" }),
  ssh: sshSchema.optional(),
});

/** How a node reaches a peer's pod blocks (src/model/paths.ts): the tunnel, plain routes, or per peer. */
export const MESH_MODES = ["vxlan", "direct", "auto"] as const;
const modeField = z.enum(MESH_MODES).meta({
  description:
    "vxlan: every peer through the VXLAN tunnel; direct: remote pod blocks routed via the peer's underlay address (every peer must be on a connected subnet); auto: direct per peer when it is on a connected subnet, the tunnel otherwise",
});

export const clusterSchema = z.strictObject({
  name: nameField,
  pod_cidr: cidrField,
  service_cidr: cidrField,
  cni: z.enum(CNI_NAMES).default("calico"),
  nodes_from: z.enum(NODE_SOURCES).optional().meta({
    description:
      "kubernetes: the cluster's nodes are its Kubernetes Nodes (name, InternalIP); `nodes:` entries are then overrides by name, and the control node must be one of them with its host",
  }),
  control: nameField.optional().meta({ description: "node where kubectl runs; default: the first node" }),
  kubeconfig: pathLike("kubeconfig path on the control node").optional(),
  api_server: ipv4Field.optional().meta({
    description:
      "the Kubernetes API server address the cluster's nodes use (a VIP or load balancer); no range meshctl routes may contain it",
  }),
  context: pathLike("kubeconfig context").optional(),
  test_endpoints: z
    .array(ipv4Field)
    .optional()
    .meta({ description: "pod IPs in this cluster that `meshctl verify` pings from the other clusters" }),
  underlay_interface: ifNameField.optional(),
  mode: modeField.optional().meta({ description: "this cluster's mode; default: mesh.mode" }),
  ssh: sshSchema.optional(),
  nodes: z.array(nodeSchema).min(1),
});

export const meshSchema = z.strictObject({
  device: ifNameField.default("vxlan-mesh"),
  vni: z.number().int().min(1).max(16777215).default(10001),
  port: z
    .number()
    .int()
    .min(1)
    .max(65535)
    .refine((p) => p !== 4789 && p !== 8472, {
      message: "4789 is Calico's (and IANA's) VXLAN port and 8472 Flannel's: choose another (e.g. 4899)",
    })
    .default(4899),
  overlay: cidrField.meta({ description: "overlay subnet shared by every node's VXLAN device" }),
  mode: modeField.default("vxlan"),
  mtu: z
    .union([z.literal("auto"), z.number().int().min(576).max(9000)], {
      error: 'must be "auto" or a number from 576 to 9000',
    })
    .default("auto"),
  route_protocol: z
    .number()
    .int()
    .min(0)
    .max(254)
    .superRefine((n, ctx) => {
      const problem = routeProtocolProblem(n);
      if (problem) ctx.addIssue({ code: "custom", message: problem });
    })
    .default(77)
    .meta({
      description:
        "ip route protocol id of meshctl's routes; numbers of the kernel and of routing daemons are refused",
    }),
  underlay_interface: ifNameField.optional(),
  persist: z.boolean().default(true).meta({
    description:
      "install on every node a systemd unit (meshctl-<device>.service) and the ip/bridge batch files it replays at boot; false: install none (and remove any installed)",
  }),
  ssh: sshSchema.optional(),
});

export const inventorySchema = z
  .strictObject({
    mesh: meshSchema,
    clusters: z.array(clusterSchema).min(1),
  })
  .meta({ title: "meshctl inventory" });

export type RawInventory = z.output<typeof inventorySchema>;
export type RawCluster = RawInventory["clusters"][number];
export type RawNode = RawCluster["nodes"][number];
export type RawSsh = z.output<typeof sshSchema>;

export function inventoryJsonSchema(): unknown {
  return z.toJSONSchema(inventorySchema, { io: "input", unrepresentable: "any" });
}
