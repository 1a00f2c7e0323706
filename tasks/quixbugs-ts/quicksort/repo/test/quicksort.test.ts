import { test } from "node:test";
import assert from "node:assert/strict";
import { quicksort } from "../src/quicksort";

test("empty array", () => {
  assert.deepEqual(quicksort([]), []);
});

test("distinct values", () => {
  assert.deepEqual(quicksort([3, 1, 2]), [1, 2, 3]);
});

test("duplicates are kept", () => {
  assert.deepEqual(quicksort([1, 2, 6, 72, 7, 33, 4, 2]), [1, 2, 2, 4, 6, 7, 33, 72]);
});

test("all equal", () => {
  assert.deepEqual(quicksort([5, 5, 5]), [5, 5, 5]);
});
