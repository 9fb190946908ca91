import assert from "node:assert/strict";
import { test } from "node:test";
import { IncrementalClusters, clusterPurity } from "./clustering.ts";

const DIMS = 16;

/** A unit vector at similarity `sim` to axis `a`, leaning towards axis `b`. */
function near(a: number, sim: number, b: number): Float32Array {
  const v = new Float32Array(DIMS);
  v[a] = sim;
  v[b] = Math.sqrt(1 - sim * sim);
  return v;
}

const opts = { minFaces: 3, maxDistance: 0.05, maxFaces: 1000 };

test("clustering: two faces are noise; the third close one makes a cluster of all three, with the oldest's id", () => {
  const c = new IncrementalClusters(opts);
  assert.equal(c.add({ id: "a1", embedding: near(0, 1, 1), at: 1 }).clusterOf, null);
  assert.equal(c.add({ id: "a2", embedding: near(0, 0.99, 1), at: 2 }).clusterOf, null);
  assert.deepEqual([...c.clusters().keys()], []);
  const ch = c.add({ id: "a3", embedding: near(0, 0.99, 2), at: 3 });
  assert.equal(ch.clusterOf, "a1");
  assert.deepEqual(ch.changed, ["a1"]);
  assert.deepEqual(c.members("a1"), ["a1", "a2", "a3"]);
  // the same id again changes nothing
  assert.deepEqual(c.add({ id: "a3", embedding: near(0, 0.99, 2), at: 4 }), { changed: [], merged: [], clusterOf: "a1" });
});

test("clustering: far faces stay apart; a border face joins its nearest core's cluster", () => {
  const c = new IncrementalClusters(opts);
  for (const [i, s] of [0.999, 0.998, 0.997].entries()) c.add({ id: `a${i}`, embedding: near(0, s, 1 + i), at: i });
  for (const [i, s] of [0.999, 0.998, 0.997].entries()) c.add({ id: `b${i}`, embedding: near(5, s, 6 + i), at: 10 + i });
  // an outlier, far from both
  assert.equal(c.add({ id: "x", embedding: near(10, 1, 11), at: 20 }).clusterOf, null);
  assert.deepEqual(
    [...c.clusters()].map(([k, v]) => [k, v]),
    [
      ["a0", ["a0", "a1", "a2"]],
      ["b0", ["b0", "b1", "b2"]],
    ],
  );
  // a face at the edge of a's cluster, close to one core only
  const edge = near(0, 0.955, 1);
  assert.equal(c.add({ id: "e", embedding: edge, at: 21 }).clusterOf, "a0");
});

test("clustering: a face that links two clusters' cores merges them into the older one", () => {
  const c = new IncrementalClusters({ ...opts, maxDistance: 0.02 });
  // two tight groups ~0.035 apart in distance (sim 0.965): separate at maxDistance 0.02
  const mid = (t: number) => {
    const v = new Float32Array(DIMS);
    v[0] = Math.cos(t);
    v[1] = Math.sin(t);
    return v;
  };
  for (let i = 0; i < 3; i++) c.add({ id: `l${i}`, embedding: mid(0 + i * 0.01), at: i });
  for (let i = 0; i < 3; i++) c.add({ id: `r${i}`, embedding: mid(0.26 + i * 0.01), at: 10 + i });
  assert.deepEqual([...c.clusters().keys()], ["l0", "r0"]);
  // bridges: within 0.02 of the inner faces of both sides
  const merges = ["m1", "m2", "m3"].flatMap((id, i) => c.add({ id, embedding: mid(0.12 + i * 0.01), at: 20 + i }).merged);
  assert.deepEqual(merges, [["r0", "l0"]]);
  assert.deepEqual([...c.clusters().keys()], ["l0"]);
  assert.equal(c.members("l0").length, 9);
});

test("clustering: memory is bounded by dropping the oldest unclustered faces first", () => {
  const c = new IncrementalClusters({ ...opts, maxFaces: 5 });
  for (let i = 0; i < 3; i++) c.add({ id: `a${i}`, embedding: near(0, 1 - i * 0.001, 1 + i), at: i });
  for (let i = 0; i < 6; i++) c.add({ id: `n${i}`, embedding: near(3 + i, 1, 12), at: 10 + i });
  assert.equal(c.size, 5);
  assert.ok(c.has("a0") && c.has("a1") && c.has("a2"), "the cluster is kept");
  assert.ok(!c.has("n0") && c.has("n5"), "oldest noise went first");
});

test("clustering: purity is the share of clustered faces with their cluster's majority label", () => {
  const clusters = new Map([
    ["c1", ["a", "b", "c", "d"]],
    ["c2", ["e", "f"]],
  ]);
  const label = (id: string) => ({ a: "ann", b: "ann", c: "ann", d: "bob", e: "cy", f: "cy" })[id] as string;
  const p = clusterPurity(clusters, label);
  assert.equal(p.clustered, 6);
  assert.ok(Math.abs(p.purity - 5 / 6) < 1e-12);
  assert.equal(clusterPurity(new Map(), label).purity, 1);
});

test("clustering: options are checked", () => {
  assert.throws(() => new IncrementalClusters({ ...opts, minFaces: 1 }), /minFaces/);
  assert.throws(() => new IncrementalClusters({ ...opts, maxDistance: 0 }), /maxDistance/);
});
