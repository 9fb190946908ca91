import { normalizeName } from "@persona/sessions";
import type { Reason } from "./folder.ts";
import { decodeText } from "./text.ts";

/**
 * The optional `groups` file of a person's folder (#17): the names of the groups they belong to, one a line. Decoded
 * like data.txt (UTF-8 with or without BOM, UTF-16, Windows-1251; CRLF, CR or LF); spaces around a name and blank
 * lines ignored; a name given twice (ignoring case, spaces and Unicode form) counts once, with a warning. A bad line
 * (longer than 200 characters, control characters) rejects the folder with its line number: nothing is half-applied.
 */

export const GROUPS_FILE = /^groups(\.txt)?$/i;
const GROUP_NAME_MAX = 200;

export type GroupsFileResult = { ok: true; groups: string[]; warnings: string[] } | { ok: false; reason: Reason };

export function parseGroupsFile(bytes: Uint8Array, fileName = "groups"): GroupsFileResult {
  const { text } = decodeText(bytes);
  const groups: string[] = [];
  const warnings: string[] = [];
  const seen = new Map<string, number>();
  const lines = text.split(/\r\n|\r|\n/);
  for (const [i, raw] of lines.entries()) {
    const name = raw.trim();
    if (name === "") continue;
    const where = `${fileName} line ${i + 1}`;
    if (name.length > GROUP_NAME_MAX) {
      return {
        ok: false,
        reason: { code: "bad-groups", message: `${where}: a group name is at most ${GROUP_NAME_MAX} characters` },
      };
    }
    if (/\p{Cc}/u.test(name)) {
      return { ok: false, reason: { code: "bad-groups", message: `${where}: a group name may not contain control characters` } };
    }
    const key = normalizeName(name);
    const first = seen.get(key);
    if (first !== undefined) {
      warnings.push(`${where}: "${name}" repeats line ${first}`);
      continue;
    }
    seen.set(key, i + 1);
    groups.push(name);
  }
  return { ok: true, groups, warnings };
}
