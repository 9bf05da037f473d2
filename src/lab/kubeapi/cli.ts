/** Command-line parsing of the lab kube-apiserver (see main.ts). */
import { parseArgs } from "node:util";
import { parseDenyRule } from "./deny.js";

export const USAGE =
  "usage: main.js --listen HOST:PORT --state FILE [--deny VERB:RESOURCE]... [--no-calico] [--verbose]";

export interface Cli {
  host: string;
  port: number;
  statePath: string;
  deny: string[];
  calico: boolean;
  verbose: boolean;
}

export function parseListen(listen: string): { host: string; port: number } | undefined {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(listen);
  const port = Number(m?.[3]);
  const host = m?.[1] ?? m?.[2];
  return host !== undefined && port <= 65535 ? { host, port } : undefined;
}

export function parseCli(argv: string[]): Cli | string {
  let values: ReturnType<typeof parse>["values"];
  try {
    values = parse(argv).values;
  } catch (e) {
    return (e as Error).message;
  }
  if (!values.listen || !values.state) return "--listen and --state are required";
  const listen = parseListen(values.listen);
  if (!listen) return `invalid --listen ${JSON.stringify(values.listen)}: expected HOST:PORT`;
  const badDeny = (values.deny ?? []).map(parseDenyRule).find((r): r is string => typeof r === "string");
  if (badDeny !== undefined) return badDeny;
  return {
    ...listen,
    statePath: values.state,
    deny: values.deny ?? [],
    calico: !values["no-calico"],
    verbose: values.verbose ?? false,
  };
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      listen: { type: "string" },
      state: { type: "string" },
      deny: { type: "string", multiple: true },
      "no-calico": { type: "boolean" },
      verbose: { type: "boolean" },
    },
  });
}
