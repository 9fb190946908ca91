import type { Bus } from "@persona/bus";
import type { BlobRef } from "@persona/contracts";

/** Reads a blob named by a BlobRef from its Object Store bucket; a missing one is an error naming it. */
export async function loadBlob(bus: Bus, ref: BlobRef): Promise<Uint8Array> {
  const store = await bus.objectStore(ref.bucket);
  const data = await store.getBlob(ref.key);
  if (!data) throw new Error(`object ${ref.bucket}/${ref.key} does not exist`);
  return data;
}
