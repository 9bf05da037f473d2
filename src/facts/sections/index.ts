/** Every fact section, in the order the facts script prints them. */
import { fdbSection } from "./fdb.js";
import { deviceSection, holderSection, underlaySection, vxlansSection } from "./links.js";
import { neighSection } from "./neighbours.js";
import { persistSection } from "./persist.js";
import { connectedSection, mainRoutesSection, routesSection } from "./routes.js";
import { paramsSection, sessionSection, sysctlSection, udpSection } from "./system.js";
import type { FactsSection } from "./types.js";

export const SECTIONS: readonly FactsSection[] = [
  paramsSection,
  deviceSection,
  vxlansSection,
  holderSection,
  underlaySection,
  neighSection,
  fdbSection,
  routesSection,
  mainRoutesSection,
  connectedSection,
  sysctlSection,
  udpSection,
  persistSection,
  sessionSection,
];

/** The sections a read-back after a change set prints (what meshctl manages). */
export const READBACK_SECTIONS: readonly FactsSection[] = SECTIONS.filter((s) => s.readback);

export type { Draft, FactsScriptParams, FactsSection, SectionCommand } from "./types.js";
