import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { encode1251, utf16le } from "../testing/encodings.ts";
import { type AcceptedScan, type FolderScan, ImportDirError, listPersonFolders, scanPersonFolder } from "./folder.ts";

/** Bytes that start like the real formats (the scan only sniffs and hashes; decoding is the recognizer's). */
const jpeg = (seed: string) => Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.from(`jpeg ${seed}`)]);
const png = (seed: string) => Buffer.concat([Buffer.from("\x89PNG\r\n\x1a\n", "latin1"), Buffer.from(`png ${seed}`)]);
const mp3 = (seed: string) => Buffer.concat([Buffer.from("ID3\x04\x00\x00", "latin1"), Buffer.from(`mp3 ${seed}`)]);
const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");

const root = mkdtempSync(join(tmpdir(), "persona-folder-test-"));
after(() => rmSync(root, { recursive: true, force: true }));

let n = 0;
function folder(files: Record<string, Buffer | string>, name = `person-${++n}`): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  for (const [f, content] of Object.entries(files)) writeFileSync(join(dir, f), content);
  return dir;
}

function accepted(scan: FolderScan): AcceptedScan {
  assert.ok(scan.ok, `expected the folder to be accepted: ${JSON.stringify(scan)}`);
  return scan;
}

function rejectedCode(scan: FolderScan): string {
  assert.equal(scan.ok, false, `expected the folder to be rejected: ${JSON.stringify(scan)}`);
  return scan.ok ? "" : scan.reason.code;
}

describe("a person's folder", () => {
  test("an optional groups file (groups or Groups.txt, any encoding data.txt may have); without one, no groups", async () => {
    const old = accepted(await scanPersonFolder(folder({ "data.txt": "Old\nx\nold.jpg\n", "old.jpg": jpeg("o") })));
    assert.deepEqual(old.groups, []);
    const withFile = accepted(
      await scanPersonFolder(
        folder({ "data.txt": "Анна\nДекан\n", "anna.jpg": jpeg("g"), "Groups.txt": encode1251("ИВТ-21\r\nStaff\r\n") }),
      ),
    );
    assert.deepEqual(withFile.groups, ["ИВТ-21", "Staff"]);
    assert.deepEqual(withFile.warnings, [], "the groups file is not taken for a photo or a sound");
    const plain = accepted(
      await scanPersonFolder(folder({ "data.txt": "B\nx\nb.jpg\n", "b.jpg": jpeg("b2"), groups: utf16le("Курс\n") })),
    );
    assert.deepEqual(plain.groups, ["Курс"]);
    assert.equal(
      rejectedCode(
        await scanPersonFolder(folder({ "data.txt": "C\nx\nc.jpg\n", "c.jpg": jpeg("c2"), groups: `${"x".repeat(300)}\n` })),
      ),
      "bad-groups",
    );
  });

  test("data.txt, the photo it names, the sound, and another image: the named photo first, the extra photo after", async () => {
    const dir = folder(
      {
        "data.txt": "Анна Каренина\r\nДекан\r\nanna.jpg\r\nprivet.mp3\r\n",
        "anna.jpg": jpeg("a"),
        "anna-2.png": png("b"),
        "privet.mp3": mp3("c"),
      },
      "Анна",
    );
    const s = accepted(await scanPersonFolder(dir));
    assert.equal(s.folder, "Анна");
    assert.equal(s.importKey, "Анна");
    assert.equal(s.name, "Анна Каренина");
    assert.equal(s.description, "Декан");
    assert.deepEqual(
      s.photos.map((p) => [p.fileName, p.contentType, p.ext, p.sha256]),
      [
        ["anna.jpg", "image/jpeg", "jpg", sha(jpeg("a"))],
        ["anna-2.png", "image/png", "png", sha(png("b"))],
      ],
    );
    assert.deepEqual([s.sound?.fileName, s.sound?.contentType, s.sound?.sha256], ["privet.mp3", "audio/mpeg", sha(mp3("c"))]);
    assert.deepEqual(s.warnings, []);
  });

  test("DATA.TXT in capitals, UTF-16 with CRLF, a photo named without extension and in another case", async () => {
    const s = accepted(
      await scanPersonFolder(folder({ "DATA.TXT": utf16le("Ivan Petrov\r\nStudent\r\nIVAN\r\n"), "ivan.JPG": jpeg("i") })),
    );
    assert.equal(s.name, "Ivan Petrov");
    assert.equal(s.encoding, "utf-16le");
    assert.deepEqual(
      s.photos.map((p) => p.fileName),
      ["ivan.JPG"],
    );
  });

  test("a Windows-1251 data.txt reads the Cyrillic name exactly", async () => {
    const s = accepted(
      await scanPersonFolder(
        folder({ "data.txt": encode1251("Пётр Иванов\r\nПреподаватель\r\npetr.jpg"), "petr.jpg": jpeg("p") }),
      ),
    );
    assert.equal(s.name, "Пётр Иванов");
    assert.equal(s.description, "Преподаватель");
    assert.equal(s.encoding, "windows-1251");
  });

  test("no photo line: the folder's only image is the photo", async () => {
    const s = accepted(await scanPersonFolder(folder({ "data.txt": "Ivan\nStudent\n", "face.jpeg": jpeg("only") })));
    assert.deepEqual(
      s.photos.map((p) => p.fileName),
      ["face.jpeg"],
    );
  });

  test("no photo line and several images: all of them, with a warning", async () => {
    const s = accepted(await scanPersonFolder(folder({ "data.txt": "Ivan\n", "a.jpg": jpeg("1"), "b.jpg": jpeg("2") })));
    assert.equal(s.photos.length, 2);
    assert.match(s.warnings.join(" "), /names no photo/);
  });

  test("the same image twice (a copy) is one photo, with a warning; junk files are ignored", async () => {
    const s = accepted(
      await scanPersonFolder(
        folder({
          "data.txt": "Ivan\nx\na.jpg",
          "a.jpg": jpeg("same"),
          "a - Copy.jpg": jpeg("same"),
          "._a.jpg": "AppleDouble",
          ".DS_Store": "x",
          "Thumbs.db": "x",
        }),
      ),
    );
    assert.deepEqual(
      s.photos.map((p) => p.fileName),
      ["a.jpg"],
    );
    assert.match(s.warnings.join(" "), /same image as a\.jpg/);
  });

  test("an extra file with an image extension that is not an image is skipped with a warning", async () => {
    const s = accepted(
      await scanPersonFolder(folder({ "data.txt": "Ivan\nx\na.jpg", "a.jpg": jpeg("a"), "b.jpg": "not an image" })),
    );
    assert.equal(s.photos.length, 1);
    assert.match(s.warnings.join(" "), /skipped b\.jpg: not an image/);
  });

  test("a sound that is missing or not audio: imported without a sound, with a warning", async () => {
    const missing = accepted(await scanPersonFolder(folder({ "data.txt": "Ivan\nx\na.jpg\nhello.mp3", "a.jpg": jpeg("a") })));
    assert.equal(missing.sound, null);
    assert.match(missing.warnings.join(" "), /hello\.mp3.*not in the folder/);
    const bad = accepted(
      await scanPersonFolder(folder({ "data.txt": "Ivan\nx\na.jpg\nhello.mp3", "a.jpg": jpeg("a"), "hello.mp3": "text" })),
    );
    assert.equal(bad.sound, null);
    assert.match(bad.warnings.join(" "), /not an MP3/);
  });

  test("no sound line and one sound file: it is the sound", async () => {
    const s = accepted(await scanPersonFolder(folder({ "data.txt": "Ivan\nx\na.jpg", "a.jpg": jpeg("a"), "Hi.MP3": mp3("h") })));
    assert.equal(s.sound?.fileName, "Hi.MP3");
  });
});

describe("a folder is rejected, saying why", () => {
  test("no data.txt", async () => {
    assert.equal(rejectedCode(await scanPersonFolder(folder({ "a.jpg": jpeg("a") }))), "no-data-txt");
  });
  test("an empty data.txt, or an empty name", async () => {
    assert.equal(
      rejectedCode(await scanPersonFolder(folder({ "data.txt": "\uFEFF\r\n\r\n", "a.jpg": jpeg("a") }))),
      "empty-data-txt",
    );
    assert.equal(
      rejectedCode(await scanPersonFolder(folder({ "data.txt": "\r\nDean\r\na.jpg", "a.jpg": jpeg("a") }))),
      "empty-name",
    );
  });
  test("the photo named in data.txt is missing (even when other images are there)", async () => {
    const scan = await scanPersonFolder(folder({ "data.txt": "Ivan\nx\nivan.jpg", "other.jpg": jpeg("o") }));
    assert.equal(rejectedCode(scan), "photo-missing");
    assert.match(scan.ok ? "" : scan.reason.message, /"ivan\.jpg" named in data\.txt is not in the folder/);
  });
  test("the photo is not an image", async () => {
    assert.equal(
      rejectedCode(await scanPersonFolder(folder({ "data.txt": "Ivan\nx\nivan.jpg", "ivan.jpg": "<html>oops</html>" }))),
      "not-an-image",
    );
  });
  test("no photo line and no image", async () => {
    assert.equal(rejectedCode(await scanPersonFolder(folder({ "data.txt": "Ivan\nx\n", "notes.txt": "x" }))), "no-photo");
  });
  test("a photo over the size limit", async () => {
    const scan = await scanPersonFolder(folder({ "data.txt": "Ivan\nx\na.jpg", "a.jpg": jpeg("a".repeat(100)) }), {
      maxPhotoBytes: 10,
    });
    assert.equal(rejectedCode(scan), "too-large");
  });
});

describe("the import folder", () => {
  test("sub-folders sorted, hidden ones skipped; files beside them ignored", async () => {
    const dir = join(root, "library-1");
    for (const d of ["b", "a", ".git", "Я"]) mkdirSync(join(dir, d), { recursive: true });
    writeFileSync(join(dir, "README.txt"), "x");
    assert.deepEqual(
      (await listPersonFolders(dir)).map((p) => p.slice(dir.length + 1)),
      ["a", "b", "Я"],
    );
  });
  test("a folder that holds data.txt itself is one person", async () => {
    const dir = folder({ "data.txt": "Ivan\nx\na.jpg", "a.jpg": jpeg("a") }, "single");
    assert.deepEqual(await listPersonFolders(dir), [dir]);
  });
  test("a missing folder is an ImportDirError", async () => {
    await assert.rejects(
      listPersonFolders(join(root, "nope")),
      (err) => err instanceof ImportDirError && /no such folder/.test(err.message),
    );
  });
});
