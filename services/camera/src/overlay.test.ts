import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { escapeXml, overlaySvg } from "./overlay.ts";
import { TrackNames } from "./trackNames.ts";

describe("overlay", () => {
  test("one rect per box, a label tab and escaped text when text is on", () => {
    const svg = overlaySvg(
      640,
      480,
      [
        { box: { x: 10, y: 50, width: 80, height: 80 }, label: `Zoë <script>&"`, color: "#22c55e", lineWidth: 2 },
        { box: { x: 300, y: 0, width: 60, height: 60 }, label: null, color: "#9ca3af", lineWidth: 1 },
      ],
      { text: true },
    );
    assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg" width="640" height="480">/);
    assert.equal((svg.match(/<rect /g) ?? []).length, 3);
    assert.match(svg, /Zoë &lt;script&gt;&amp;&quot;<\/text>/);
    assert.ok(!svg.includes("<script>"));
  });

  test("boxes only when text is off; labels at the top edge stay inside", () => {
    const items = [{ box: { x: 5, y: 2, width: 50, height: 50 }, label: "x", color: "#fff", lineWidth: 2 }];
    assert.ok(!overlaySvg(100, 100, items, { text: false }).includes("<text"));
    assert.match(overlaySvg(100, 100, items, { text: true }), /<rect x="5" y="2" width="\d+" height="\d+" fill="#fff"\/>/);
  });

  test("long labels are cut", () => {
    const svg = overlaySvg(
      100,
      100,
      [{ box: { x: 0, y: 50, width: 10, height: 10 }, label: "a".repeat(80), color: "#fff", lineWidth: 1 }],
      {
        text: true,
      },
    );
    assert.match(svg, />a{39}…<\/text>/);
    assert.equal(escapeXml("'"), "&apos;");
    // characters XML cannot hold are dropped (a BEL in a name turned the live labels off)
    assert.equal(escapeXml("Ctl\u0001\u0007Name \uD800x \uFFFE"), "CtlName x ");
  });
});

describe("TrackNames", () => {
  test("a confirmed name wins over probable and unknown, whatever the order", () => {
    const n = new TrackNames();
    n.unknown("t1");
    assert.deepEqual(n.get("t1"), { label: "unknown", kind: "unknown" });
    n.recognized("t1", "Ada", "probable");
    n.recognized("t1", "Ada L.", "confirmed");
    n.recognized("t1", "Bob", "probable");
    n.unknown("t1");
    assert.deepEqual(n.get("t1"), { label: "Ada L.", kind: "confirmed" });
    assert.equal(n.get("t2"), undefined);
  });

  test("bounded: the oldest tracks are forgotten", () => {
    const n = new TrackNames(3);
    for (let i = 0; i < 5; i++) n.recognized(`t${i}`, `p${i}`, "confirmed");
    assert.equal(n.size, 3);
    assert.equal(n.get("t0"), undefined);
    assert.equal(n.get("t4")?.label, "p4");
  });
});
