import { createHash } from "node:crypto";
import type { SessionsCommand } from "./decide.ts";
import type { GroupKind } from "./events.ts";
import { type SessionsState, normalizeName } from "./state.ts";

/**
 * A CSV roster (one line per membership: a person's name or id, a group's name or id) turned into the commands that
 * apply it, and a report with a line-numbered reason for every line that cannot be applied. All or nothing: with any
 * error there are no commands. Files as spreadsheets write them: UTF-8 with or without a BOM, CRLF or LF, `,` or `;`
 * between fields, fields in double quotes ("" for a quote), an optional header line `person,group`, blank lines.
 */

export interface CsvRecord {
  /** The 1-based line the record starts on. */
  line: number;
  cells: string[];
}

export interface CsvParse {
  records: CsvRecord[];
  /** A quote never closed: the line it opened on. */
  unterminatedAt: number | null;
}

/** RFC 4180 records with this separator (a quote is special only at the start of a field). Cells are trimmed. */
export function parseCsv(text: string, separator: "," | ";"): CsvParse {
  const src = text.startsWith("\uFEFF") ? text.slice(1) : text;
  const records: CsvRecord[] = [];
  let line = 1;
  let i = 0;
  while (i < src.length) {
    const start = line;
    const cells: string[] = [];
    for (;;) {
      let cell = "";
      while (src[i] === " " || src[i] === "\t") i++;
      if (src[i] === '"') {
        i++;
        for (;;) {
          if (i >= src.length) return { records, unterminatedAt: start };
          const ch = src[i] as string;
          if (ch === '"' && src[i + 1] === '"') [cell, i] = [`${cell}"`, i + 2];
          else if (ch === '"') {
            i++;
            break;
          } else {
            if (ch === "\n") line++;
            [cell, i] = [cell + ch, i + 1];
          }
        }
      }
      while (i < src.length && src[i] !== separator && src[i] !== "\n" && src[i] !== "\r") cell += src[i++];
      cells.push(cell.trim());
      if (src[i] === separator) {
        i++;
        continue;
      }
      break;
    }
    if (src[i] === "\r") i++;
    if (src[i] === "\n") i++;
    line++;
    records.push({ line: start, cells });
  }
  return { records, unterminatedAt: null };
}

const blank = (r: CsvRecord) => r.cells.every((c) => c === "");
const twoFields = (r: CsvRecord) => r.cells.filter((c, i) => i < 2 || c !== "").length === 2;

/** The separator under which more non-blank lines have exactly two fields (`,` on a tie). */
export function detectSeparator(text: string): "," | ";" {
  const score = (sep: "," | ";") => parseCsv(text, sep).records.filter((r) => !blank(r) && twoFields(r)).length;
  return score(";") > score(",") ? ";" : ",";
}

export interface RosterOptions {
  /** Create the groups the file names that do not exist (otherwise an unknown group is an error). */
  createGroups?: boolean;
  groupKind?: GroupKind;
  /** The id of a group created for a name (default: "g-" and 16 hex digits of the normalised name's SHA-256). */
  groupIdFor?: (name: string) => string;
  by: string;
}

export type LineOutcome = "add" | "already-member" | "duplicate" | "header" | "error";

export interface RosterLine {
  line: number;
  person: string;
  group: string;
  outcome: LineOutcome;
  personId: string | null;
  groupId: string | null;
  message: string | null;
}

export interface RosterReport {
  separator: "," | ";";
  lines: RosterLine[];
  errors: { line: number; message: string }[];
  warnings: { line: number; message: string }[];
  groupsCreated: { groupId: string; name: string }[];
  summary: { lines: number; add: number; alreadyMember: number; duplicate: number; errors: number };
}

export interface RosterPlan {
  ok: boolean;
  /** The commands to apply, in order (group creations first); empty when there is any error. */
  commands: SessionsCommand[];
  report: RosterReport;
}

/** The id of a group created by name from a roster or an import folder: the same name gives the same id. */
export const defaultGroupId = (name: string) =>
  `g-${createHash("sha256").update(normalizeName(name)).digest("hex").slice(0, 16)}`;
const tidy = (s: string) => s.normalize("NFC").replace(/\s+/gu, " ").trim();

type Resolved = { id: string } | { error: string };

function indexByName<T>(items: Iterable<T>, name: (t: T) => string, id: (t: T) => string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const t of items) {
    const k = normalizeName(name(t));
    out.set(k, [...(out.get(k) ?? []), id(t)]);
  }
  return out;
}

function resolver(ids: Set<string>, byName: Map<string, string[]>, what: string) {
  return (cell: string): Resolved => {
    if (ids.has(cell)) return { id: cell };
    const found = byName.get(normalizeName(cell)) ?? [];
    if (found.length === 1) return { id: found[0] as string };
    if (found.length > 1)
      return { error: `ambiguous ${what} "${cell}": ${found.length} share that name (${found.sort().join(", ")}); use the id` };
    return { error: `unknown ${what} "${cell}"` };
  };
}

/** Plans a CSV roster against the library's people and the groups; see the module's rules. */
export function planRoster(text: string, state: SessionsState, options: RosterOptions): RosterPlan {
  const separator = detectSeparator(text);
  const parsed = parseCsv(text, separator);
  const person = resolver(
    new Set(state.people.keys()),
    indexByName(
      state.people,
      ([, n]) => n,
      ([id]) => id,
    ),
    "person",
  );
  const group = resolver(
    new Set(state.groups.keys()),
    indexByName(
      state.groups.values(),
      (g) => g.name,
      (g) => g.groupId,
    ),
    "group",
  );
  const groupIdFor = options.groupIdFor ?? defaultGroupId;
  const created = new Map<string, { groupId: string; name: string }>();
  const seen = new Map<string, number>();
  const adds = new Map<string, string[]>();
  const lines: RosterLine[] = [];
  const warnings: RosterReport["warnings"] = [];
  const records = parsed.records.filter((r) => !blank(r));
  for (const [k, r] of records.entries()) {
    const [p = "", g = ""] = r.cells;
    const row: RosterLine = { line: r.line, person: p, group: g, outcome: "error", personId: null, groupId: null, message: null };
    lines.push(row);
    if (k === 0 && normalizeName(p) === "person" && normalizeName(g) === "group") {
      row.outcome = "header";
      continue;
    }
    if (!twoFields(r)) {
      row.message = `expected 2 fields (person, group), found ${r.cells.filter((c) => c !== "").length}`;
      continue;
    }
    if (p === "" || g === "") {
      row.message = p === "" ? "the person is empty" : "the group is empty";
      continue;
    }
    const who = person(p);
    let where = group(g);
    if ("error" in where && options.createGroups && where.error.startsWith("unknown")) {
      const name = tidy(g);
      const key = normalizeName(name);
      if (!created.has(key)) created.set(key, { groupId: groupIdFor(name), name });
      where = { id: (created.get(key) as { groupId: string }).groupId };
    }
    const problems = ["error" in who ? who.error : null, "error" in where ? where.error : null].filter((x) => x !== null);
    if ("error" in who || "error" in where) {
      row.message = problems.join("; ");
      continue;
    }
    [row.personId, row.groupId] = [who.id, where.id];
    const key = `${who.id}\u0000${where.id}`;
    const first = seen.get(key);
    if (first !== undefined) {
      [row.outcome, row.message] = ["duplicate", `same as line ${first}: skipped`];
      warnings.push({ line: r.line, message: row.message });
      continue;
    }
    seen.set(key, r.line);
    if (state.groups.get(where.id)?.members.has(who.id)) {
      [row.outcome, row.message] = ["already-member", null];
      continue;
    }
    row.outcome = "add";
    adds.set(where.id, [...(adds.get(where.id) ?? []), who.id]);
  }
  const errors = lines.filter((l) => l.outcome === "error").map((l) => ({ line: l.line, message: l.message ?? "error" }));
  if (parsed.unterminatedAt !== null) {
    errors.push({ line: parsed.unterminatedAt, message: "a quote opened on this line is never closed" });
  }
  const report: RosterReport = {
    separator,
    lines,
    errors,
    warnings,
    groupsCreated: [...created.values()],
    summary: {
      lines: lines.filter((l) => l.outcome !== "header").length,
      add: lines.filter((l) => l.outcome === "add").length,
      alreadyMember: lines.filter((l) => l.outcome === "already-member").length,
      duplicate: lines.filter((l) => l.outcome === "duplicate").length,
      errors: errors.length,
    },
  };
  if (errors.length > 0) return { ok: false, commands: [], report };
  const commands: SessionsCommand[] = [
    ...[...created.values()].map(
      (g): SessionsCommand => ({
        kind: "create-group",
        groupId: g.groupId,
        name: g.name,
        by: options.by,
        ...(options.groupKind ? { groupKind: options.groupKind } : {}),
      }),
    ),
    ...[...adds].map(([groupId, add]): SessionsCommand => ({ kind: "change-members", groupId, add, remove: [], by: options.by })),
  ];
  return { ok: true, commands, report };
}
