/** Writing big outputs piece by piece, waiting when the pipe is full (so memory stays flat). */
import { once } from "node:events";
import type { Writable } from "node:stream";

/** Writes each chunk as it comes (a chunk is a node's worth, so no joining), honouring backpressure. */
export async function writeChunks(out: Writable, chunks: Iterable<string>): Promise<void> {
  for (const chunk of chunks) {
    if (chunk && !out.write(chunk)) await once(out, "drain");
  }
}
