/** Loading the inventory for a verb: its warnings go to stderr and into the verb's -o json|yaml document. */
import { loadCheckedInventory } from "../inventory/load.js";
import type { Inventory } from "../inventory/types.js";
import { reportWarnings } from "./warnings.js";

export async function loadInventoryReporting(file: string): Promise<Inventory> {
  const { inventory, warnings } = await loadCheckedInventory(file);
  reportWarnings(warnings);
  return inventory;
}
