/** The shape every diagnose check returns, and the `meshctl apply` fix most of them give. */
import type { NodeModel } from "../model/types.js";
import type { Finding, Severity } from "./types.js";

export interface CheckContext {
  /** Inventory path, for the `meshctl apply -i …` fixes. */
  inventory?: string;
}

export function applyCmd(ctx: CheckContext, node: string): string {
  return `meshctl apply${ctx.inventory ? ` -i ${ctx.inventory}` : ""} --limit ${node}`;
}

export function finding(
  node: NodeModel,
  check: string,
  severity: Severity,
  ok: boolean,
  text: string,
  fix?: string,
): Finding {
  return { node: node.name, check, ok, severity, finding: text, ...(ok || fix === undefined ? {} : { fix }) };
}
