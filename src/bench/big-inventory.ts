/**
 * Big inventories for scale tests and measurements (`npx tsx scripts/big-inventory.ts 4 250 > big.yaml`, `npm run bench -- --scale 1000`).
 * Every address lies in 198.18.0.0/15: underlays in 198.18.0.0/20, the overlay 198.18.16.0/20, each
 * cluster's pods in a /20 of 198.18.128.0/17 (a /28 block per node), services in 198.19.N.0/24.
 * At most 8 clusters of at most 256 nodes.
 */
export function bigInventoryYaml(clusters: number, nodesPerCluster: number): string {
  if (clusters < 1 || clusters > 8 || nodesPerCluster < 1 || nodesPerCluster > 256) {
    throw new RangeError("bigInventoryYaml: 1..8 clusters of 1..256 nodes");
  }
  const out = [
    "mesh:",
    "  device: vxlan-big",
    "  overlay: 198.18.16.0/20",
    "  ssh:",
    "    identity_file: ./id_ed25519",
    "    known_hosts: ./known_hosts",
    "clusters:",
  ];
  let seq = 0;
  for (let c = 0; c < clusters; c++) {
    out.push(
      `  - name: big${c + 1}`,
      `    pod_cidr: 198.18.${128 + 16 * c}.0/20`,
      `    service_cidr: 198.19.${c + 1}.0/24`,
      "    nodes:",
    );
    for (let n = 0; n < nodesPerCluster; n++) {
      // Skip .0 and .255 of every /24, and 198.18.0.0-9 (the lab's own addresses live there).
      let host: number;
      do host = 10 + seq++;
      while (host % 256 === 0 || host % 256 === 255);
      const block = `198.18.${128 + 16 * c + (n >> 4)}.${(n & 15) * 16}/28`;
      out.push(
        `      - name: big${c + 1}-n${n + 1}`,
        `        host: 198.18.${host >> 8}.${host & 255}`,
        `        pod_blocks: [${block}]`,
      );
    }
  }
  return `${out.join("\n")}\n`;
}
