import { test } from "node:test";
import assert from "node:assert/strict";
import { flatten } from "../src/flatten";

test("keeps a flat array as it is", () => {
  assert.deepEqual(flatten([1, 2, 3]), [1, 2, 3]);
});

test("flattens one level", () => {
  assert.deepEqual(flatten([1, [2, 3], 4]), [1, 2, 3, 4]);
});

test("flattens deep nesting", () => {
  assert.deepEqual(flatten([[1, [], [2, 3]], [[4]], 5]), [1, 2, 3, 4, 5]);
});

test("flattens a lone deep value", () => {
  assert.deepEqual(flatten([[[[7]]]]), [7]);
});
