/** Node facts: what one node's kernel state is, gathered in one remote exec (see script.ts). */
export { FactsParseError, parseFacts } from "./parse.js";
export { effectiveRpFilter, resolveUnderlay, routesOfDevice } from "./query.js";
export {
  FACTS_MARKER,
  FACTS_SECTIONS,
  type FactsScriptParams,
  type FactsSection,
  factsScript,
} from "./script.js";
export type * from "./types.js";
