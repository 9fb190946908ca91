import assert from "node:assert/strict";
import { test } from "node:test";
import { type SourceFile, type Workspace, checkHouse, floorOf, functionSizes, readWorkspaces } from "./check.ts";

const ws = (dir: string, name: string, declared: string[] = [], exports: string[] = [""]): Workspace => ({
  dir,
  name,
  floor: floorOf(dir),
  declared: new Set(declared),
  exports: new Set(exports),
});

const WORKSPACES = [
  ws("contracts", "@persona/contracts"),
  ws("packages/bus", "@persona/bus", ["@persona/contracts"]),
  ws("packages/eval", "@persona/eval", ["@persona/bus", "@persona/service-recognizer"]),
  ws("apps/cli", "@persona/cli", ["@persona/service-portal", "@persona/bus"]),
  ws("services/portal", "@persona/service-portal", ["@persona/bus", "@persona/service-bot"], ["", "projections"]),
  ws("services/bot", "@persona/service-bot", ["@persona/bus"]),
];

const rules = (files: SourceFile[], baseline = {}) => checkHouse(files, WORKSPACES, baseline).map((v) => v.rule);

// built, so that this file does not plant violations in the repository it checks
const DOOR = ["consumers", "get"].join(".");
const NOT_EXPORTED = ["@persona/service-portal", "src", "x.ts"].join("/");
const REMOVED = ["Person", "Removed"].join("");

test("a clean tree passes: libraries below services below the CLI, declared, through exports", () => {
  const files = [
    { path: "packages/bus/src/a.ts", text: 'import { x } from "@persona/contracts";\nimport { y } from "./b.ts";' },
    { path: "services/bot/src/a.ts", text: 'import { Bus } from "@persona/bus";' },
    { path: "apps/cli/src/a.ts", text: 'import { p } from "@persona/service-portal/projections";' },
    { path: "packages/bus/src/bus.ts", text: `await js.${DOOR}('X');` },
  ];
  assert.deepEqual(checkHouse(files, WORKSPACES, {}), []);
});

test("planted violations are each found: a service importing a service, a library importing a service", () => {
  assert.deepEqual(rules([{ path: "services/portal/src/a.ts", text: 'import { b } from "@persona/service-bot";' }]), ["floors"]);
  const drive = 'import { b } from "@persona/service-bot";';
  assert.deepEqual(
    rules([{ path: "services/portal/src/a.int.test.ts", text: drive }]),
    [],
    "a test may drive a declared service",
  );
  const evalWs = [...WORKSPACES, ws("services/recognizer", "@persona/service-recognizer")];
  const v = checkHouse(
    [{ path: "packages/eval/src/a.ts", text: 'import { r } from "@persona/service-recognizer";' }],
    evalWs,
    {},
  );
  assert.deepEqual(
    v.map((x) => x.rule),
    ["floors"],
  );
  assert.match(v[0]?.message ?? "", /a library \(packages\/eval\) may not import the service @persona\/service-recognizer/);
});

test("planted violations: a relative import out of the workspace, an undeclared or non-exported import", () => {
  const deep = checkHouse(
    [
      {
        path: "packages/eval/src/selflearn.ts",
        text: 'import { decideTrack } from "../../../services/recognizer/src/trackVote.ts";',
      },
    ],
    WORKSPACES,
    {},
  );
  assert.deepEqual(
    deep.map((x) => x.rule),
    ["deep-import"],
  );
  assert.equal(deep[0]?.line, 1);
  const trainer = [...WORKSPACES, ws("services/trainer", "@persona/service-trainer")];
  assert.deepEqual(
    checkHouse(
      [{ path: "services/trainer/src/c/g.ts", text: 'import { G } from "../../../../models/src/onnx.ts";' }],
      trainer,
      {},
    ).map((x) => x.rule),
    ["deep-import"],
  );
  assert.deepEqual(rules([{ path: "services/bot/src/a.ts", text: 'import { c } from "@persona/contracts";' }]), ["declared"]);
  assert.deepEqual(rules([{ path: "apps/cli/src/a.ts", text: `import { x } from "${NOT_EXPORTED}";` }]), ["deep-import"]);
});

test("planted violation: a JetStream consumer opened outside packages/bus", () => {
  const v = checkHouse(
    [{ path: "services/bot/src/a.ts", text: `\n\nconst c = await bus.js.${DOOR}('LIBRARY');` }],
    WORKSPACES,
    {},
  );
  assert.deepEqual(
    v.map((x) => [x.rule, x.line]),
    [["jetstream-door", 3]],
  );
});

test("planted violation: a LIBRARY event built outside packages/library/src/writer.ts", () => {
  const build = (fn: string, type: string) => `const e = bus.${fn}(\n  "${type}",\n  { personId: "p" },\n);`;
  const v = checkHouse([{ path: "services/bot/src/a.ts", text: `\n${build("envelope", REMOVED)}` }], WORKSPACES, {});
  assert.deepEqual(
    v.map((x) => [x.rule, x.line]),
    [["library-writer", 2]],
  );
  const made = `${["make", "Envelope"].join("")}("${["FaceTemplate", "Reverted"].join("")}", d, m)`;
  assert.deepEqual(rules([{ path: "apps/cli/src/commands/revert.ts", text: made }]), ["library-writer"]);
  assert.deepEqual(rules([{ path: "packages/library/src/writer.ts", text: build("envelope", REMOVED) }]), [], "the writer may");
  assert.deepEqual(rules([{ path: "services/bot/src/a.int.test.ts", text: build("envelope", REMOVED) }]), [], "tests may");
  assert.deepEqual(rules([{ path: "services/bot/src/a.ts", text: build("envelope", "VisitorNamed") }]), [], "other events");
});

test("planted violation: a production function over 120 lines, unless it is known debt that did not grow", () => {
  const body = Array.from({ length: 125 }, (_, i) => `  const v${i} = ${i};`).join("\n");
  const text = `export function big() {\n${body}\n}\nclass K {\n  m() {\n    return 1;\n  }\n}\n`;
  const f = { path: "services/bot/src/big.ts", text };
  assert.deepEqual(
    functionSizes(f).map((s) => [s.name, s.lines]),
    [
      ["big", 127],
      ["K.m", 3],
    ],
  );
  assert.deepEqual(rules([f]), ["function-length"]);
  assert.deepEqual(rules([f], { "services/bot/src/big.ts#big": 127 }), []);
  assert.deepEqual(rules([f], { "services/bot/src/big.ts#big": 126 }), ["function-length"], "known debt may not grow");
  assert.deepEqual(rules([{ path: "services/bot/src/big.test.ts", text }]), [], "tests are not production code");
});

test("the repository's own workspaces are read with their floors", () => {
  const root = new URL("../..", import.meta.url).pathname;
  const all = readWorkspaces(root);
  const floor = (dir: string) => all.find((w) => w.dir === dir)?.floor;
  assert.equal(floor("contracts"), "contracts");
  assert.equal(floor("packages/bus"), "library");
  assert.equal(floor("services/portal"), "service");
  assert.equal(floor("apps/cli"), "application");
  assert.ok(all.find((w) => w.dir === "services/portal")?.exports.has("projections"));
});
