import { test } from "node:test";
import assert from "node:assert/strict";
import { nextPermutation } from "../src/next_permutation";

test("swaps the last two", () => {
  assert.deepEqual(nextPermutation([1, 2, 3]), [1, 3, 2]);
});

test("carries into the prefix", () => {
  assert.deepEqual(nextPermutation([3, 2, 4, 1]), [3, 4, 1, 2]);
});

test("a longer case", () => {
  assert.deepEqual(nextPermutation([3, 5, 6, 2, 1]), [3, 6, 1, 2, 5]);
});
