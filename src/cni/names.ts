/** The CNIs meshctl knows (an inventory's `cni:`). Pure, imports nothing. */
export const CNI_NAMES = ["calico"] as const;
export type CniName = (typeof CNI_NAMES)[number];
