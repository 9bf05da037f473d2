import { Option } from "commander";

export type OutputFormat = "text" | "json";

export const inventoryOption = () =>
  new Option("-i, --inventory <file>", "inventory file (YAML)").makeOptionMandatory();
export const outputOption = () =>
  new Option("-o, --output <format>", "output format").choices(["text", "json"]).default("text");
export const limitOption = () =>
  new Option("-l, --limit <names>", "only these nodes or clusters (comma-separated names)");

export function parseLimit(limit: string | undefined): Set<string> | undefined {
  if (!limit) return undefined;
  return new Set(
    limit
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean),
  );
}
