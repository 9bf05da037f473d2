/** The errors of the facts layer: the node's output could not be read (naming the section), or is too old. */
import { ParseError } from "../core/errors.js";

export class FactsParseError extends ParseError {
  constructor(
    /** The script section (without `@@`) that could not be read. */
    readonly section: string,
    readonly detail: string,
  ) {
    super(`cannot read node facts: section @@${section}: ${detail}`);
  }
}

/** A node whose iproute2 or kernel is older than meshctl supports (see README "Supported nodes"). */
export class UnsupportedNodeError extends FactsParseError {}

export function preview(text: string): string {
  const t = text.trim().replace(/\s+/g, " ");
  return JSON.stringify(t.length > 160 ? `${t.slice(0, 160)}…` : t);
}
