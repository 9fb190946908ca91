import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { UsageError } from "../errors.ts";
import { main } from "../main.ts";
import { COMMANDS, findCommand } from "./commands.ts";
import { WIDTH, commandHelp, commandRows, optionLabel, overview, usageLines } from "./help.ts";
import { type Invocation, parseInvocation } from "./parse.ts";
import { type Command, HELP_OPTION, closest, defineCommand, editDistance } from "./spec.ts";

/** A command of its own for the parser's tests, so they do not depend on the real table's options. */
const probe = defineCommand({
  name: "probe",
  args: "FILE",
  summary: "a test command",
  arity: { min: 1, max: 2 },
  options: [
    { name: "json", help: "print JSON" },
    { name: "dry-run", help: "plan only" },
    { name: "timeout", value: "SECONDS", default: "60", help: "how long" },
    { name: "model", value: "M", help: "the model" },
    { name: "yes", short: "y", help: "do not ask" },
    { name: "flip", negatable: true, help: "flip fusion" },
  ],
  run: async () => 0,
});

const withSubs = defineCommand({
  name: "things",
  summary: "things",
  subcommands: [
    { name: "list", summary: "lists them", options: ["json"] },
    { name: "show", args: "ID", summary: "shows one", options: ["json"] },
  ],
  options: [{ name: "json", help: "print JSON" }],
  run: async () => 0,
});

function parsed(c: Command, args: string[]): Exclude<Invocation, { help: true }> {
  const r = parseInvocation(c, args);
  assert.equal(r.help, false, `${args.join(" ")} asked for help`);
  return r as Exclude<Invocation, { help: true }>;
}

function usageError(c: Command, args: string[], message: RegExp): void {
  assert.throws(
    () => parseInvocation(c, args),
    (err: unknown) => err instanceof UsageError && err.exitCode === 2 && message.test(err.message),
    `${args.join(" ")} should fail with ${message}`,
  );
}

/** Every `--option` a text mentions. */
const mentioned = (text: string) => [...text.matchAll(/(?<![\w-])--([a-z][a-z0-9-]*)/g)].map((m) => m[1] as string);

/** All the text of a command's table entry. */
const textsOf = (c: Command) => [
  c.summary,
  c.args ?? "",
  ...(c.description ?? []),
  ...(c.notes ?? []),
  ...c.options.map((o) => o.help),
  ...(c.subcommands ?? []).flatMap((s) => [s.summary, s.args ?? "", s.details ?? ""]),
];

describe("the command table", () => {
  test("has every command once, each with a summary, and its help generated from it", () => {
    const names = COMMANDS.map((c) => c.name);
    assert.deepEqual(names, [
      "run",
      "status",
      "import",
      "people",
      "erase",
      "retention",
      "identify",
      "watch",
      "eval",
      "projections",
      "report",
      "users",
    ]);
    for (const c of COMMANDS) {
      assert.ok(c.summary.trim().length > 0, `${c.name} has no summary`);
      assert.ok(!c.summary.includes("\n"), `${c.name}'s summary is one line`);
      const help = commandHelp(c);
      assert.ok(help.startsWith(`persona ${c.name}: `), help);
      for (const o of [...c.options, HELP_OPTION]) assert.ok(help.includes(optionLabel(o)), `${c.name} --help lacks ${o.name}`);
      for (const line of usageLines(c)) assert.ok(help.includes(line));
    }
  });

  test("every option has help, a unique name and short form, and no default for a flag", () => {
    for (const c of COMMANDS) {
      const names = c.options.map((o) => o.name);
      assert.equal(new Set(names).size, names.length, `${c.name}: an option is there twice`);
      assert.ok(!names.includes("help"), `${c.name}: --help is added to every command, not in the table`);
      const shorts = c.options.flatMap((o) => (o.short ? [o.short] : []));
      assert.equal(new Set(shorts).size, shorts.length, `${c.name}: a short option is there twice`);
      for (const o of c.options) {
        assert.match(o.name, /^[a-z][a-z0-9-]*$/, `${c.name} --${o.name}`);
        assert.ok(o.help.trim().length > 0, `${c.name} --${o.name} has no help`);
        if (o.value === undefined) assert.equal(o.default, undefined, `${c.name} --${o.name}: a flag with a default`);
        else assert.equal(o.negatable, undefined, `${c.name} --${o.name}: a value cannot be negated`);
      }
    }
  });

  test("subcommands name only their command's options, and every option is some subcommand's", () => {
    for (const c of COMMANDS.filter((x) => x.subcommands !== undefined)) {
      const subs = c.subcommands ?? [];
      assert.equal(new Set(subs.map((s) => s.name)).size, subs.length, `${c.name}: a subcommand is there twice`);
      const used = new Set(subs.flatMap((s) => [...(s.options ?? []), ...mentioned(s.args ?? "")]));
      for (const s of subs) {
        assert.ok(s.summary.trim().length > 0, `${c.name} ${s.name} has no summary`);
        for (const n of s.options ?? [])
          assert.ok(
            c.options.some((o) => o.name === n),
            `${c.name} ${s.name}: no option --${n}`,
          );
      }
      for (const o of c.options) assert.ok(used.has(o.name), `${c.name} --${o.name} is on no subcommand's usage line`);
    }
  });

  test("every --option a command's texts mention is one of its options (the help cannot name a missing one)", () => {
    for (const c of COMMANDS) {
      const valid = new Set(["help", ...c.options.flatMap((o) => (o.negatable ? [o.name, `no-${o.name}`] : [o.name]))]);
      for (const name of textsOf(c).flatMap(mentioned)) assert.ok(valid.has(name), `${c.name}'s help mentions --${name}`);
    }
  });
});

describe("the help generated from the table", () => {
  test("help lines fit the width", () => {
    for (const text of [overview(COMMANDS), ...COMMANDS.map(commandHelp)]) {
      for (const line of text.split("\n")) assert.ok(line.length <= WIDTH, `too long (${line.length}): ${line}`);
    }
  });

  test("persona help lists every command and subcommand, and the README's command list is the same", () => {
    const rows = commandRows(COMMANDS);
    const text = overview(COMMANDS);
    for (const r of rows) assert.ok(text.includes(`  ${r.usage}`), r.usage);
    for (const c of COMMANDS) {
      for (const s of c.subcommands ?? [{ name: "" }]) {
        const name = `${c.name} ${s.name}`.trim();
        assert.ok(
          rows.some((r) => r.usage === name || r.usage.startsWith(`${name} `)),
          `persona help does not list ${name}`,
        );
      }
    }
    const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
    const section = readme.slice(readme.indexOf("## Commands"), readme.indexOf("\n## ", readme.indexOf("## Commands") + 1));
    const listed = section
      .split("\n")
      .filter((l) => l.startsWith("| `persona"))
      .map((l) => {
        const cells = l.split(/(?<!\\)\|/).map((x) => x.trim().replaceAll("\\|", "|").replaceAll("`", ""));
        return { usage: (cells[1] as string).replace(/^persona /, ""), summary: cells[2] as string };
      });
    assert.deepEqual(listed, rows, "apps/cli/README.md's command list is not persona help's");
  });
});

describe("parsing from the table", () => {
  test("flags are booleans (false when absent), values strings (their default when absent)", () => {
    const r = parsed(probe, ["a.txt"]);
    assert.deepEqual(r.positionals, ["a.txt"]);
    assert.deepEqual({ ...r.values }, { json: false, "dry-run": false, timeout: "60", yes: false });
    const s = parsed(probe, ["--json", "a.txt", "--timeout", "5", "--model=m2", "-y", "b.txt"]);
    assert.deepEqual(s.positionals, ["a.txt", "b.txt"]);
    assert.deepEqual({ ...s.values }, { json: true, "dry-run": false, timeout: "5", model: "m2", yes: true });
  });

  test("a negatable flag is undefined when absent, true or false when given", () => {
    assert.equal(parsed(probe, ["a"]).values.flip, undefined);
    assert.equal(parsed(probe, ["a", "--flip"]).values.flip, true);
    assert.equal(parsed(probe, ["a", "--no-flip"]).values.flip, false);
  });

  test("eval --no-fast-path turns the fast path off (it was silently ignored before the table)", () => {
    const evaluate = findCommand("eval") as Command;
    assert.equal(parsed(evaluate, ["selflearn", "--no-fast-path"]).values["fast-path"], false);
    assert.equal(parsed(evaluate, ["selflearn"]).values["fast-path"], undefined);
    assert.equal(parsed(evaluate, ["lfw", "--no-flip", "--landmarks"]).values.flip, false);
  });

  test("unknown options are usage errors naming the closest valid one", () => {
    usageError(probe, ["a", "--jsn"], /^unknown option --jsn \(did you mean --json\?\); 'persona probe --help' lists/);
    usageError(probe, ["a", "--dry"], /did you mean --dry-run\?/);
    usageError(probe, ["a", "--no-flp"], /did you mean --no-flip\?/);
    // probe has a negatable flag, so --no-json is json: false there (as eval's --no-json always was); not in things
    assert.equal(parsed(probe, ["a", "--no-json"]).values.json, false);
    usageError(withSubs, ["list", "--no-json"], /^unknown option --no-json \(--json has no --no- form\); /);
    usageError(probe, ["a", "--frobnicate"], /^unknown option --frobnicate; /);
    usageError(probe, ["a", "-x"], /^unknown option -x; /);
  });

  test("a flag given a value, or a value option without one, is a usage error", () => {
    usageError(probe, ["a", "--json=yes"], /'--json' does not take an argument/);
    usageError(probe, ["a", "--timeout"], /'--timeout <value>' argument missing/);
  });

  test("--help wins over missing arguments; a wrong number of arguments is a usage error", () => {
    assert.deepEqual(parseInvocation(probe, ["--help"]), { help: true });
    usageError(probe, [], /^usage: persona probe FILE \[options\] \('persona probe --help' for more\)$/);
    usageError(probe, ["a", "b", "c"], /^usage: persona probe FILE/);
    assert.deepEqual(parseInvocation(findCommand("eval") as Command, []), { help: true });
  });

  test("an unknown subcommand fails naming the closest; a missing one is the command's to report", () => {
    usageError(withSubs, ["lsit"], /^unknown subcommand "lsit" \(did you mean "list"\?\); the subcommands are list, show$/);
    usageError(withSubs, ["frobnicate"], /^unknown subcommand "frobnicate"; the subcommands are list, show$/);
    assert.deepEqual(parsed(withSubs, []).positionals, []);
    assert.deepEqual(parsed(withSubs, ["show", "x", "--json"]).positionals, ["show", "x"]);
  });
});

describe("usage lines and suggestions", () => {
  test("usage lines list each subcommand's options", () => {
    assert.deepEqual(usageLines(withSubs), ["  persona things list [--json]", "  persona things show ID [--json]"]);
    assert.deepEqual(usageLines(probe), [
      "  persona probe FILE [--json] [--dry-run] [--timeout SECONDS] [--model M] [--yes] [--[no-]flip]",
    ]);
    assert.equal(optionLabel(probe.options[4] as (typeof probe.options)[number]), "-y, --yes");
  });

  test("closest: a few edits away or a prefix, nothing when far", () => {
    assert.equal(editDistance("kitten", "sitting"), 3);
    assert.equal(editDistance("improt", "import"), 1);
    assert.equal(closest("improt", ["run", "import", "identify"]), "import");
    assert.equal(closest("conc", ["concurrency", "json"]), "concurrency");
    assert.equal(closest("xyz", ["run", "status"]), undefined);
  });
});

describe("main", () => {
  async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
    const out: string[] = [];
    const err: string[] = [];
    const write = { out: process.stdout.write, err: process.stderr.write };
    process.stdout.write = ((t: string) => out.push(t) > 0) as typeof process.stdout.write;
    process.stderr.write = ((t: string) => err.push(t) > 0) as typeof process.stderr.write;
    try {
      const code = await main(argv);
      return { code, out: out.join(""), err: err.join("") };
    } finally {
      process.stdout.write = write.out;
      process.stderr.write = write.err;
    }
  }

  test("persona alone prints the list and exits 2; help, --help and -h exit 0", async () => {
    const list = overview(COMMANDS);
    assert.deepEqual(await run([]), { code: 2, out: list, err: "" });
    for (const h of ["help", "--help", "-h"]) assert.deepEqual(await run([h]), { code: 0, out: list, err: "" });
  });

  test("persona <command> --help and persona help <command> print the command's help, exit 0", async () => {
    for (const c of COMMANDS) {
      assert.deepEqual(await run([c.name, "--help"]), { code: 0, out: commandHelp(c), err: "" });
      assert.deepEqual(await run(["help", c.name]), { code: 0, out: commandHelp(c), err: "" });
    }
  });

  test("unknown commands and options exit 2 with one clear line", async () => {
    const unknown = await run(["improt", "x"]);
    assert.equal(unknown.code, 2);
    assert.match(unknown.err, /^persona: unknown command "improt" \(did you mean "import"\?\)\n/);
    assert.equal((await run(["help", "improt"])).code, 2);
    const option = await run(["import", ".", "--jsn"]);
    assert.deepEqual(option, {
      code: 2,
      out: "",
      err: "persona import: unknown option --jsn (did you mean --json?); 'persona import --help' lists the options\n",
    });
    const value = await run(["import", ".", "--timeout", "x"]);
    assert.deepEqual(value, {
      code: 2,
      out: "",
      err: `persona import: --timeout must be a positive number of seconds, got "x"\n`,
    });
    assert.equal((await run(["import"])).code, 2);
    assert.equal((await run(["status", "extra"])).code, 2);
    assert.equal((await run(["import", ".", "--concurrency", "0"])).code, 2);
  });

  test("a command's own usage error is not prefixed twice", async () => {
    assert.deepEqual(await run(["people"]), {
      code: 2,
      out: "",
      err: "persona people: say list, show, remove, add-photo, revert or reembed\n",
    });
  });
});
