import { test } from "node:test";
import assert from "node:assert/strict";
import { topologicalOrdering } from "../src/topological_ordering";

test("independent nodes keep their order", () => {
  assert.deepEqual(topologicalOrdering(["a", "b"], []), ["a", "b"]);
});

test("a chain", () => {
  assert.deepEqual(topologicalOrdering(["c", "b", "a"], [["a", "b"], ["b", "c"]]), ["a", "b", "c"]);
});

test("a diamond", () => {
  assert.deepEqual(topologicalOrdering(["a", "b", "c", "d"], [["a", "b"], ["a", "c"], ["b", "d"], ["c", "d"]]), ["a", "b", "c", "d"]);
});
