import { test } from "node:test";
import assert from "node:assert/strict";
import { findFirstInSorted } from "../src/find_first_in_sorted";

test("finds the first of repeated values", () => {
  assert.equal(findFirstInSorted([3, 4, 5, 5, 5, 5, 6], 5), 2);
});

test("finds a value at the start", () => {
  assert.equal(findFirstInSorted([1, 1, 2, 3], 1), 0);
});

test("returns -1 for a missing value", () => {
  assert.equal(findFirstInSorted([3, 4, 6, 7], 5), -1);
});

test("returns -1 for an empty array", () => {
  assert.equal(findFirstInSorted([], 5), -1);
});
