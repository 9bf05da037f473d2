/**
 * For the facts sections' unit tests: a blank draft (as parseFacts starts one) with the lab's usual
 * parameters, and the FactsParseError a call throws.
 */
import type { Capabilities } from "../../src/facts/caps.js";
import { FactsParseError } from "../../src/facts/errors.js";
import { blankDraft } from "../../src/facts/parse.js";
import type { Draft } from "../../src/facts/sections/types.js";
import type { Ipv4 } from "../../src/net/addr.js";

export const DRAFT_LOCAL_IP = "198.18.250.2" as Ipv4;

/** A draft for one section's parser: device mshvx0, protocol 77, local IP 198.18.250.2; `more` on top. */
export function draftFor(caps: Capabilities, more: Partial<Draft> = {}): Draft {
  return {
    ...blankDraft({ device: "mshvx0", routeProtocol: 77, localIp: DRAFT_LOCAL_IP }, caps),
    ...more,
  };
}

/**
 * The FactsParseError `f` throws, as `section| message` (or its message alone with `withSection` false);
 * fails the test when it throws anything else, or nothing.
 */
export function parseErrorOf(f: () => unknown, withSection = true): string {
  try {
    f();
  } catch (e) {
    if (e instanceof FactsParseError) return withSection ? `${e.section}| ${e.message}` : e.message;
    throw e;
  }
  throw new Error("no FactsParseError");
}
