import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { fileName, parseDataTxt, resolveFileName } from "./dataTxt.ts";
import { decodeText } from "./text.ts";
import { encode1251, utf16be, utf16le } from "../testing/encodings.ts";

const utf8bom = (text: string) => Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text, "utf8")]);

const NAME = "Ёлкина Анна Сергеевна";
const DESCRIPTION = "Декан факультета";
const LINES = [NAME, DESCRIPTION, "anna.jpg", "privet.mp3"];

function parsed(bytes: Uint8Array) {
  const r = parseDataTxt(bytes);
  assert.ok(r.ok, `expected data.txt to parse: ${JSON.stringify(r)}`);
  return r.data;
}

describe("data.txt: encodings", () => {
  const cases: [string, Buffer, string][] = [
    ["UTF-8 without BOM", Buffer.from(LINES.join("\n"), "utf8"), "utf-8"],
    ["UTF-8 with BOM", utf8bom(LINES.join("\n")), "utf-8-bom"],
    ["UTF-16 LE with BOM", utf16le(LINES.join("\r\n")), "utf-16le"],
    ["UTF-16 BE with BOM", utf16be(LINES.join("\r\n")), "utf-16be"],
    ["UTF-16 LE without BOM", utf16le(`Anna Petrova\r\nDean\r\nanna.jpg`, false), "utf-16le"],
    ["Windows-1251 (Cyrillic, not valid UTF-8)", encode1251(LINES.join("\r\n")), "windows-1251"],
  ];
  for (const [what, bytes, encoding] of cases) {
    test(`given ${what}, the name, description and file names are read exactly`, () => {
      const d = parsed(bytes);
      assert.equal(d.encoding, encoding);
      if (encoding === "utf-16le" && what.includes("without")) {
        assert.deepEqual([d.name, d.description, d.photo, d.sound], ["Anna Petrova", "Dean", "anna.jpg", null]);
      } else {
        assert.deepEqual([d.name, d.description, d.photo, d.sound], LINES);
      }
    });
  }

  test("plain ASCII is UTF-8; Latin-1 accents in UTF-8 stay UTF-8", () => {
    assert.equal(decodeText(Buffer.from("José Müller\n")).encoding, "utf-8");
    assert.equal(decodeText(Buffer.from("José Müller\n")).text, "José Müller\n");
  });
});

describe("data.txt: line ends, spaces and blank lines", () => {
  for (const [what, eol] of [
    ["LF", "\n"],
    ["CRLF", "\r\n"],
    ["CR (old Mac)", "\r"],
  ] as const) {
    test(`given ${what} line ends, the four lines are found`, () => {
      assert.deepEqual(
        (({ name, description, photo, sound }) => [name, description, photo, sound])(parsed(Buffer.from(LINES.join(eol)))),
        LINES,
      );
    });
  }

  test("trailing and leading spaces and tabs and blank trailing lines are tolerated", () => {
    const d = parsed(Buffer.from(`  ${NAME}  \t\r\n${DESCRIPTION}   \r\n  anna.jpg \r\n\r\n\r\n   \r\n`));
    assert.equal(d.name, NAME);
    assert.equal(d.description, DESCRIPTION);
    assert.equal(d.photo, "anna.jpg");
    assert.equal(d.sound, null);
  });

  test("runs of spaces inside the name collapse to one; the name keeps its script exactly (NFC)", () => {
    const decomposed = "Jose\u0301  Ma\u0308rz"; // e + combining acute, a + combining diaeresis
    assert.equal(parsed(Buffer.from(`${decomposed}\nx\nphoto.jpg`)).name, "José März");
  });

  test("a blank description line keeps the photo on line 3", () => {
    const d = parsed(Buffer.from("Ivan Petrov\n\nivan.jpg\n"));
    assert.equal(d.description, "");
    assert.equal(d.photo, "ivan.jpg");
  });

  test("a missing photo line gives photo null (the folder scan falls back to the only image)", () => {
    const d = parsed(Buffer.from("Ivan Petrov\nStudent\n"));
    assert.equal(d.photo, null);
  });

  test("lines after the fourth are ignored with a warning; a too long description is cut with a warning", () => {
    const d = parsed(Buffer.from(`A\n${"x".repeat(1200)}\na.jpg\nb.mp3\nextra\n`));
    assert.equal(d.description.length, 1000);
    assert.equal(d.warnings.length, 2);
  });

  test("quotes and paths around file names are removed", () => {
    assert.equal(fileName(`"C:\\Users\\anna\\Pictures\\anna.jpg"`), "anna.jpg");
    assert.equal(fileName("./photos/anna.jpg"), "anna.jpg");
    assert.equal(fileName("'anna.jpg'"), "anna.jpg");
    assert.equal(fileName("   "), null);
  });
});

describe("data.txt: what is rejected", () => {
  test("an empty file, or one with only blank lines and a BOM, is rejected as empty", () => {
    for (const bytes of [Buffer.alloc(0), utf8bom("\r\n \r\n"), utf16le("\r\n")]) {
      const r = parseDataTxt(bytes);
      assert.equal(r.ok, false);
      if (!r.ok) assert.equal(r.problem.code, "empty-data-txt");
    }
  });

  test("a blank line 1 is an empty name (the description is not taken for the name)", () => {
    const r = parseDataTxt(Buffer.from("  \r\nДекан\r\nanna.jpg\r\n"));
    assert.equal(r.ok ? null : r.problem.code, "empty-name");
  });

  test("a name with control characters is rejected", () => {
    const r = parseDataTxt(Buffer.from("Ctl\u0001\u0007Name\r\nДекан\r\nanna.jpg\r\n"));
    assert.equal(r.ok ? null : r.problem.code, "control-characters");
  });

  test("a name longer than 200 characters is rejected", () => {
    const r = parseDataTxt(Buffer.from(`${"Я".repeat(201)}\nx\ny.jpg`));
    assert.equal(r.ok ? null : r.problem.code, "name-too-long");
  });
});

describe("file names in data.txt are matched like a user expects", () => {
  const files = ["Anna.JPG", "Privet.MP3", "other.png", "notes.txt", "ivan.petrov.jpeg"];
  const images = ["jpg", "jpeg", "png"];
  test("exactly, case-insensitively, without extension, with another image extension", () => {
    assert.deepEqual(resolveFileName("Anna.JPG", files, images), { found: "Anna.JPG" });
    assert.deepEqual(resolveFileName("anna.jpg", files, images), { found: "Anna.JPG" });
    assert.deepEqual(resolveFileName("ANNA", files, images), { found: "Anna.JPG" });
    assert.deepEqual(resolveFileName("anna.jpeg", files, images), { found: "Anna.JPG" });
    assert.deepEqual(resolveFileName("ivan.petrov", files, images), { found: "ivan.petrov.jpeg" });
    assert.deepEqual(resolveFileName("privet", files, ["mp3"]), { found: "Privet.MP3" });
  });
  test("a name that is not there is not found; two images with the same stem are ambiguous", () => {
    assert.deepEqual(resolveFileName("boris.jpg", files, images), { found: null, candidates: [] });
    assert.deepEqual(resolveFileName("x", ["x.jpg", "X.png"], images), { found: null, candidates: ["X.png", "x.jpg"] });
  });
});
