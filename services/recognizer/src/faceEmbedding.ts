import type { Embedder } from "@persona/vision";

/** The model name recorded with templates: the embedder's spec name plus "+flip" when flip fusion is on. */
export function templateModelName(embedder: Embedder): string {
  return embedder.flip ? `${embedder.spec.name}+flip` : embedder.spec.name;
}
