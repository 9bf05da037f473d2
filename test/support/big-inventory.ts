/** Big inventories for tests: the generator lives with the bench (src/bench/big-inventory.ts). */
export { bigInventoryYaml } from "../../src/bench/big-inventory.js";
