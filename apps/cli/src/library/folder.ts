import { createHash } from "node:crypto";
import { open, readFile, readdir, stat } from "node:fs/promises";
import { basename, join, resolve } from "node:path";
import { sniffImage } from "@persona/contracts";
import { parseDataTxt, resolveFileName } from "./dataTxt.ts";
import { GROUPS_FILE, type GroupsFileResult, parseGroupsFile } from "./groupsFile.ts";
import { IMAGE_EXTENSIONS, type MediaType, SOUND_EXTENSIONS, sniffSound } from "./media.ts";
import type { TextEncodingName } from "./text.ts";

/**
 * Reads one person's folder of the paper's format from disk: `data.txt` plus the photo (and the optional greeting
 * sound). Files are only hashed here; their bytes are read again when uploaded.
 */

export interface LocalFile {
  path: string;
  fileName: string;
  sha256: string;
  size: number;
  contentType: string;
  /** Extension for the object key (from the content, not the file name). */
  ext: string;
}

/** Why a folder (or a photo) was not imported: a short stable code and a sentence for people. */
export interface Reason {
  code: string;
  message: string;
}

interface ScanBase {
  /** The folder's name. */
  folder: string;
  path: string;
  /** The folder's name (NFC): re-importing a folder of the same name finds the same person. */
  importKey: string;
  warnings: string[];
}

export interface AcceptedScan extends ScanBase {
  ok: true;
  name: string;
  description: string;
  /** The photo named in data.txt first, then the folder's other images (duplicates by content removed). */
  photos: LocalFile[];
  sound: LocalFile | null;
  encoding: TextEncodingName;
  /** The groups of the optional `groups` file, as written (empty without one). */
  groups: string[];
}

export interface RejectedScan extends ScanBase {
  ok: false;
  reason: Reason;
}

export type FolderScan = AcceptedScan | RejectedScan;

export interface ScanOptions {
  /** Largest photo accepted, bytes. Default 20 MiB. */
  maxPhotoBytes?: number;
  /** Largest sound accepted, bytes. Default 10 MiB. */
  maxSoundBytes?: number;
}

export const DEFAULT_MAX_PHOTO_BYTES = 20 * 1024 * 1024;
export const DEFAULT_MAX_SOUND_BYTES = 10 * 1024 * 1024;

export class ImportDirError extends Error {
  override readonly name = "ImportDirError";
}

/** Operating systems' and editors' leftovers that are never part of a person's folder. */
function isJunk(name: string): boolean {
  return name.startsWith(".") || name.startsWith("~") || /^(thumbs\.db|desktop\.ini)$/i.test(name);
}

/**
 * The person folders under `dir`, sorted by name. When `dir` itself holds a data.txt it is taken as one person's
 * folder.
 */
export async function listPersonFolders(dir: string): Promise<string[]> {
  const root = resolve(dir);
  let entries: import("node:fs").Dirent[];
  try {
    entries = await readdir(root, { withFileTypes: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ImportDirError(
      code === "ENOENT" ? `${dir}: no such folder` : code === "ENOTDIR" ? `${dir}: not a folder` : `${dir}: cannot read it`,
      { cause: err },
    );
  }
  if (entries.some((e) => e.isFile() && e.name.toLowerCase() === "data.txt")) return [root];
  const folders: string[] = [];
  for (const e of entries) {
    if (isJunk(e.name)) continue;
    if (e.isDirectory()) folders.push(join(root, e.name));
    else if (e.isSymbolicLink() && (await stat(join(root, e.name)).catch(() => null))?.isDirectory())
      folders.push(join(root, e.name));
  }
  return folders.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

export async function scanPersonFolder(path: string, options: ScanOptions = {}): Promise<FolderScan> {
  const maxPhoto = options.maxPhotoBytes ?? DEFAULT_MAX_PHOTO_BYTES;
  const maxSound = options.maxSoundBytes ?? DEFAULT_MAX_SOUND_BYTES;
  const folder = basename(path).normalize("NFC");
  const base: ScanBase = { folder, path, importKey: folder, warnings: [] };
  const reject = (code: string, message: string): RejectedScan => ({ ...base, ok: false, reason: { code, message } });

  let files: string[];
  try {
    files = (await readdir(path, { withFileTypes: true }))
      .filter((e) => (e.isFile() || e.isSymbolicLink()) && !isJunk(e.name))
      .map((e) => e.name)
      .sort();
  } catch (err) {
    return reject("unreadable", `cannot read the folder: ${(err as Error).message}`);
  }
  const dataTxtName = files.find((f) => f === "data.txt") ?? files.find((f) => f.toLowerCase() === "data.txt");
  if (dataTxtName === undefined) return reject("no-data-txt", "no data.txt in the folder");
  let dataBytes: Buffer;
  try {
    dataBytes = await readFile(join(path, dataTxtName));
  } catch (err) {
    return reject("unreadable", `cannot read ${dataTxtName}: ${(err as Error).message}`);
  }
  const parsed = parseDataTxt(dataBytes);
  if (!parsed.ok) return reject(parsed.problem.code, parsed.problem.message);
  const data = parsed.data;
  base.warnings.push(...data.warnings);
  const groupsName = files.find((f) => GROUPS_FILE.test(f));
  const groups = await readGroups(path, groupsName);
  if (!groups.ok) return reject(groups.reason.code, groups.reason.message);
  base.warnings.push(...groups.warnings);
  const others = files.filter((f) => f !== dataTxtName && f !== groupsName);

  // the photo named on line 3, or the folder's images when the line is missing
  const images = others.filter((f) => (IMAGE_EXTENSIONS as readonly string[]).includes(ext(f)));
  let primary: string | null = null;
  if (data.photo !== null) {
    const r = resolveFileName(data.photo, others, IMAGE_EXTENSIONS);
    if (r.found === null) {
      return reject(
        "photo-missing",
        r.candidates.length > 1
          ? `the photo "${data.photo}" named in data.txt is ambiguous: ${r.candidates.join(", ")}`
          : `the photo "${data.photo}" named in data.txt is not in the folder`,
      );
    }
    primary = r.found;
  } else if (images.length === 0) {
    return reject("no-photo", "data.txt names no photo (line 3) and the folder has no image");
  } else if (images.length > 1) {
    base.warnings.push(`data.txt names no photo (line 3); using all ${images.length} images of the folder`);
  }

  const photos: LocalFile[] = [];
  if (primary !== null) {
    const f = await hashFile(join(path, primary), primary, sniffImage);
    if (f.kind === "error") return reject("unreadable", `cannot read the photo ${primary}: ${f.message}`);
    if (f.kind === "not-media") return reject("not-an-image", `the photo ${primary} is not an image (JPEG, PNG, WebP or BMP)`);
    if (f.file.size > maxPhoto)
      return reject("too-large", `the photo ${primary} is ${mib(f.file.size)}, at most ${mib(maxPhoto)}`);
    photos.push(f.file);
  }
  for (const name of images) {
    if (name === primary) continue;
    const f = await hashFile(join(path, name), name, sniffImage);
    if (f.kind === "error") base.warnings.push(`skipped ${name}: ${f.message}`);
    else if (f.kind === "not-media") base.warnings.push(`skipped ${name}: not an image`);
    else if (f.file.size > maxPhoto) base.warnings.push(`skipped ${name}: larger than ${mib(maxPhoto)}`);
    else if (photos.some((p) => p.sha256 === f.file.sha256))
      base.warnings.push(`skipped ${name}: same image as ${photoNamed(photos, f.file.sha256)}`);
    else photos.push(f.file);
  }
  if (photos.length === 0) return reject("no-photo", "none of the folder's images could be read as an image");

  // the sound on line 4 (or the folder's only sound file); a problem with it is a warning, not a rejection
  let sound: LocalFile | null = null;
  const sounds = others.filter((f) => (SOUND_EXTENSIONS as readonly string[]).includes(ext(f)));
  let soundName: string | null = null;
  if (data.sound !== null) {
    const r = resolveFileName(data.sound, others, SOUND_EXTENSIONS);
    if (r.found === null)
      base.warnings.push(`the sound "${data.sound}" named in data.txt is not in the folder; imported without a sound`);
    else soundName = r.found;
  } else if (sounds.length === 1) {
    soundName = sounds[0] as string;
  } else if (sounds.length > 1) {
    base.warnings.push(
      `data.txt names no sound (line 4) and the folder has ${sounds.length} sound files; imported without a sound`,
    );
  }
  if (soundName !== null) {
    const f = await hashFile(join(path, soundName), soundName, sniffSound);
    if (f.kind === "error") base.warnings.push(`cannot read the sound ${soundName}: ${f.message}; imported without a sound`);
    else if (f.kind === "not-media")
      base.warnings.push(`the sound ${soundName} is not an MP3, WAV or Ogg file; imported without a sound`);
    else if (f.file.size > maxSound)
      base.warnings.push(`the sound ${soundName} is larger than ${mib(maxSound)}; imported without a sound`);
    else sound = f.file;
  }

  return {
    ...base,
    ok: true,
    name: data.name,
    description: data.description,
    photos,
    sound,
    encoding: data.encoding,
    groups: groups.groups,
  };
}

/** The folder's optional groups file, parsed (none: no groups). */
async function readGroups(path: string, fileName: string | undefined): Promise<GroupsFileResult> {
  if (fileName === undefined) return { ok: true, groups: [], warnings: [] };
  try {
    return parseGroupsFile(await readFile(join(path, fileName)), fileName);
  } catch (err) {
    return { ok: false, reason: { code: "unreadable", message: `cannot read ${fileName}: ${(err as Error).message}` } };
  }
}

function ext(name: string): string {
  const dot = name.lastIndexOf(".");
  return dot > 0 ? name.slice(dot + 1).toLowerCase() : "";
}

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

function photoNamed(photos: LocalFile[], sha256: string): string {
  return photos.find((p) => p.sha256 === sha256)?.fileName ?? "?";
}

export type Hashed = { kind: "ok"; file: LocalFile } | { kind: "not-media" } | { kind: "error"; message: string };

/** One photo given on the command line: its content type from its bytes, and its sha256. */
export function inspectPhoto(path: string): Promise<Hashed> {
  return hashFile(path, basename(path), sniffImage);
}

async function hashFile(path: string, fileName: string, sniff: (head: Uint8Array) => MediaType | null): Promise<Hashed> {
  try {
    const handle = await open(path, "r");
    try {
      const head = Buffer.alloc(64);
      const { bytesRead } = await handle.read(head, 0, head.length, 0);
      const type = sniff(head.subarray(0, bytesRead));
      if (type === null) return { kind: "not-media" };
      const hash = createHash("sha256");
      let size = 0;
      for await (const chunk of handle.createReadStream({ start: 0, autoClose: false }) as AsyncIterable<Buffer>) {
        hash.update(chunk);
        size += chunk.length;
      }
      return { kind: "ok", file: { path, fileName, sha256: hash.digest("hex"), size, ...type } };
    } finally {
      await handle.close();
    }
  } catch (err) {
    return { kind: "error", message: (err as Error).message };
  }
}
