import { createHash } from "node:crypto";

/** A person id (a valid subject token) derived from an import key, so importing a folder again finds the same person. */
export function personIdFromImportKey(importKey: string): string {
  return `p-${createHash("sha256").update(`import:${importKey}`).digest("hex").slice(0, 20)}`;
}
