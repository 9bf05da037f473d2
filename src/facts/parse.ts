/**
 * Parses the output of `factsScript` / `readbackScript` into NodeFacts: splits it into sections, reads the
 * node's capabilities and the echoed parameters, lets every section read its body, then assembles.
 * Pure, no I/O. Anything that cannot be read throws a FactsParseError naming the section.
 */
import { finish } from "./assemble.js";
import { type Capabilities, type NodeVersions, parseCaps } from "./caps.js";
import { FactsParseError } from "./errors.js";
import { READBACK_SECTIONS, SECTIONS } from "./sections/index.js";
import { parseParams } from "./sections/system.js";
import type { Draft, FactsSection } from "./sections/types.js";
import { splitSections } from "./split.js";
import type { FactsParams, NodeFacts } from "./types.js";

export { FactsParseError, UnsupportedNodeError } from "./errors.js";

function section(sections: Map<string, string>, name: string): string {
  const text = sections.get(name);
  if (text === undefined) throw new FactsParseError(name, "the section is missing");
  return text;
}

/** A draft before any section is read: the node's parameters and capabilities, nothing else. */
export function blankDraft(params: FactsParams, caps: Capabilities): Draft {
  return {
    params,
    caps,
    device: [],
    vxlans: [],
    holders: [],
    underlays: [],
    neighbours: [],
    fdb: [],
    routes: [],
    mainRoutes: [],
    sysctl: {},
    udpPorts: [],
  };
}

function emptyDraft(sections: Map<string, string>): Draft {
  const { caps } = parseCaps(section(sections, "caps"));
  return blankDraft(parseParams(section(sections, "params")), caps);
}

function read(output: string, list: readonly FactsSection[]): NodeFacts {
  const sections = splitSections(output);
  const draft = emptyDraft(sections);
  for (const s of list) {
    if (s.optional && !sections.has(s.name)) continue;
    s.parse(section(sections, s.name), draft);
  }
  return finish(draft);
}

/** The full facts; `extra` sections (diagnose's) are read too, into their own results. */
export function parseFacts(output: string, extra: readonly FactsSection[] = []): NodeFacts {
  return read(output, [...SECTIONS, ...extra]);
}

/** The capabilities and versions the node reported (`@@caps`). */
export function nodeCapabilities(output: string): { caps: Capabilities; versions: NodeVersions } {
  return parseCaps(section(splitSections(output), "caps"));
}

/**
 * The read-back after a change set, completed from the facts before it: the sections the read-back does
 * not print (the rest of the node: underlay, other links, foreign routes, sysctls, UDP ports) are as the
 * facts before the change set found them — a change set touches none of them.
 */
export function parseReadback(output: string, before: NodeFacts): NodeFacts {
  return mergeReadback(before, read(output, READBACK_SECTIONS));
}

export function mergeReadback(before: NodeFacts, readback: NodeFacts): NodeFacts {
  const kept: Partial<Record<keyof NodeFacts, unknown>> = {};
  for (const s of SECTIONS) {
    if (s.readback) continue;
    for (const f of s.fields) kept[f] = before[f];
  }
  const merged = { ...readback, ...kept } as NodeFacts;
  if (before.underlay === undefined) delete merged.underlay;
  return merged;
}
