/** Prints a big inventory (see src/bench/big-inventory.ts): `npx tsx scripts/big-inventory.ts CLUSTERS NODES`. */
import { bigInventoryYaml } from "../src/bench/big-inventory.js";

const [clusters = "4", nodes = "250"] = process.argv.slice(2);
process.stdout.write(bigInventoryYaml(Number(clusters), Number(nodes)));
