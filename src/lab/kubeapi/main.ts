#!/usr/bin/env node
/**
 * Lab test equipment, not a Kubernetes API server.
 *
 *   node dist/lab/kubeapi/main.js --listen HOST:PORT --state FILE [--deny VERB:RESOURCE]... [--no-calico] [--verbose]
 *
 * Prints `listening on http://HOST:PORT` once it listens; with --verbose, one line per request on stderr.
 * Exits 0 on SIGTERM/SIGINT, 64 on a usage error, 1 when it cannot start.
 */
import { parseCli, USAGE } from "./cli.js";
import { startKubeApi } from "./server.js";

async function main(): Promise<void> {
  const cli = parseCli(process.argv.slice(2));
  if (typeof cli === "string") {
    process.stderr.write(`${cli}\n${USAGE}\n`);
    process.exit(64);
  }
  const log = cli.verbose ? (line: string) => process.stderr.write(`${line}\n`) : undefined;
  const api = await startKubeApi({ ...cli, ...(log ? { log } : {}) }).catch((e: unknown) => {
    process.stderr.write(`kubeapi: ${(e as Error).message}\n`);
    process.exit(1);
  });
  process.stdout.write(`listening on ${api.url}\n`);
  const stop = (): void => {
    api.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
}

await main();
