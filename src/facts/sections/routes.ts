/**
 * The route sections: meshctl's own routes (its protocol, any table), and the main table's `scope global`
 * routes that could conflict with them (gateway routes, default, blackholes — not the kernel's link-scope
 * subnet routes nor a CNI's per-pod /32s).
 */
import { parseRouteList } from "./route-list.js";
import type { FactsSection } from "./types.js";

export const routesSection: FactsSection = {
  name: "routes",
  command: (p) => ({ tool: "ip", args: `route show table all proto ${p.routeProtocol}` }),
  parse(text, d) {
    d.routes = parseRouteList(text, "routes", d.caps.ipJson, d.params.routeProtocol);
  },
  readback: true,
  fields: ["routes"],
};

export const mainRoutesSection: FactsSection = {
  name: "routes-main",
  command: () => ({ tool: "ip", args: "route show table main scope global" }),
  parse(text, d) {
    d.mainRoutes = parseRouteList(text, "routes-main", d.caps.ipJson, "boot");
  },
  readback: false,
  fields: ["foreignRoutes"],
};

/**
 * The kernel's routes on meshctl's device in the main table (the connected route of its overlay address),
 * so a connected route flushed by hand is seen and put back. Read only when the device exists.
 */
export const connectedSection: FactsSection = {
  name: "connected",
  command: (p) => ({
    tool: "ip",
    args: `route show table main dev ${p.device} proto kernel`,
    when: "device",
  }),
  parse(text, d) {
    d.connected = parseRouteList(text, "connected", d.caps.ipJson, "kernel");
  },
  readback: true,
  optional: true,
  fields: ["connected"],
};
