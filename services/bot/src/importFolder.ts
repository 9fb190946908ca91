import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "@persona/runtime";

/**
 * /reset: the import folder read again by `persona import` itself (the same code, as a child process), against the
 * bot's NATS. Imported people are brought back to what their folders say; nobody else is touched.
 */

export interface ImportSummary {
  total: number;
  imported: number;
  updated: number;
  unchanged: number;
  rejected: number;
  failed: number;
  photosAdded: number;
  photosRejected: number;
}

export interface ImportRun {
  ok: boolean;
  summary: ImportSummary | null;
  problems: string[];
  error: string | null;
}

export function personaBin(): string {
  return join(repoRoot(), "apps", "cli", "bin", "persona.js");
}

export async function runImport(dir: string, natsUrl: string, timeoutMs: number): Promise<ImportRun> {
  const bin = personaBin();
  if (!existsSync(bin)) return { ok: false, summary: null, problems: [], error: `the persona command is not installed (${bin})` };
  const child = spawn(process.execPath, [bin, "import", dir, "--json"], {
    env: { ...process.env, NATS_URL: natsUrl },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout.on("data", (d: Buffer) => {
    out += d.toString("utf8");
  });
  child.stderr.on("data", (d: Buffer) => {
    if (err.length < 8192) err += d.toString("utf8");
  });
  const timer = setTimeout(() => child.kill("SIGTERM"), timeoutMs);
  const code = await new Promise<number | null>((resolve) => {
    child.on("close", (c) => resolve(c));
    child.on("error", () => resolve(null));
  });
  clearTimeout(timer);
  try {
    const report = JSON.parse(out) as {
      summary: ImportSummary;
      people: { name: string | null; folder: string; status: string; reason: { message: string } | null }[];
    };
    const problems = report.people
      .filter((p) => p.status === "rejected" || p.status === "failed")
      .map((p) => `${p.name ?? p.folder}: ${p.reason?.message ?? p.status}`);
    return { ok: code === 0, summary: report.summary, problems, error: null };
  } catch {
    const last = err.trim().split("\n").filter(Boolean).slice(-2).join(" ");
    return { ok: false, summary: null, problems: [], error: last || `persona import ended with code ${code}` };
  }
}

export function importText(dir: string, r: ImportRun): string {
  if (!r.summary) return `The import of ${dir} failed: ${r.error ?? "no report"}`;
  const s = r.summary;
  const lines = [
    `Import folder read again: ${s.total} folder(s): ${s.imported} imported, ${s.updated} updated, ${s.unchanged} unchanged, ${s.rejected} rejected, ${s.failed} failed; ${s.photosAdded} photo(s) added, ${s.photosRejected} rejected. Everyone else is kept.`,
    ...r.problems.slice(0, 20).map((p) => `• ${p}`),
  ];
  return lines.join("\n");
}
