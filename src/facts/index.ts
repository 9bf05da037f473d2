/** Node facts: what one node's kernel state is, gathered in one remote exec (see script.ts, sections/). */
export { type Capabilities, MIN_IPROUTE2, MIN_KERNEL } from "./caps.js";
export { FactsParseError, UnsupportedNodeError } from "./errors.js";
export { mergeReadback, nodeCapabilities, parseFacts, parseReadback } from "./parse.js";
export { effectiveRpFilter, resolveUnderlay, routesOfDevice } from "./query.js";
export { FACTS_MARKER, type FactsScriptParams, factsScript, readbackScript } from "./script.js";
export { READBACK_SECTIONS, SECTIONS } from "./sections/index.js";
export type { FactsSection } from "./sections/types.js";
export type * from "./types.js";
