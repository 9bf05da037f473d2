/** A kubeconfig pointing kubectl at a lab kube-apiserver over plain HTTP, without credentials. */
import { writeFile } from "node:fs/promises";
import { stringify } from "yaml";

export function kubeconfigFor(url: string, contextName: string): string {
  return stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: contextName, cluster: { server: url } }],
    users: [{ name: contextName, user: {} }],
    contexts: [{ name: contextName, context: { cluster: contextName, user: contextName } }],
    "current-context": contextName,
    preferences: {},
  });
}

export async function writeKubeconfig(path: string, url: string, contextName: string): Promise<void> {
  await writeFile(path, kubeconfigFor(url, contextName), { mode: 0o600 });
}
