/**
 * A fact section: the command that prints it on the node and the parser that reads it back. The full facts,
 * the read-back and diagnose are assembled from a list of these (src/facts/sections/index.ts).
 */
import type { IfName, Ipv4 } from "../../net/addr.js";
import type { Capabilities } from "../caps.js";
import type { FactsParams, FdbFact, NeighbourFact, NodeFacts, PersistFacts, RouteFact } from "../types.js";
import type { Link } from "./link-types.js";

export interface FactsScriptParams {
  /** The VXLAN device meshctl manages. */
  device: IfName;
  /** Route protocol id that marks meshctl's routes (1–255). */
  routeProtocol: number;
  /** Underlay source address of the tunnel: the script finds the interface holding it. */
  localIp: Ipv4;
  /** Underlay device, when the inventory names one. */
  underlayDev?: IfName;
}

/** What the sections have read so far; `finish` (src/facts/assemble.ts) turns it into NodeFacts. */
export interface Draft {
  params: FactsParams;
  caps: Capabilities;
  device: Link[];
  vxlans: Link[];
  holders: Link[];
  underlays: Link[];
  neighbours: NeighbourFact[];
  fdb: FdbFact[];
  routes: RouteFact[];
  mainRoutes: RouteFact[];
  /** The kernel's routes on the device (main table); undefined when the output has no such section. */
  connected?: RouteFact[];
  sysctl: Record<string, number>;
  udpPorts: number[];
  /** Undefined when the output has no such section. */
  persist?: PersistFacts;
  sshClient?: Ipv4;
}

/**
 * How a section reads the node. `ip`/`bridge` reads name their subcommand and arguments (built from typed
 * values only); the script adds the global options the node's capabilities allow, and runs every `ip`
 * read in one `ip -batch` process (src/facts/batch.ts). `when`: only if that interface exists (else the
 * section is `[]`). `names`: the sysctl section also reads rp_filter and forwarding of the links this
 * section lists (besides the device's and the named underlay's, which the script knows by name). `sh`: a
 * shell fragment that prints the body itself.
 */
export type SectionCommand =
  | { tool: "ip" | "bridge"; args: string; when?: "device" | "underlay"; names?: true }
  | { sh: string };

export interface FactsSection {
  /** The section's name in the output (`@@name`). */
  name: string;
  command(p: FactsScriptParams): SectionCommand;
  /** Reads the section's body (JSON, or the version's plain text) into the draft. */
  parse(text: string, draft: Draft): void;
  /** Part of the read-back after a change set (what meshctl manages), or kept from the facts before. */
  readback: boolean;
  /** Output without this section still parses (captured before the section existed); its fields stay unset. */
  optional?: boolean;
  /** The NodeFacts fields this section fills (a read-back keeps the others from the facts before). */
  fields: readonly (keyof NodeFacts)[];
}
