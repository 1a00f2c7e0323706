import { test } from "node:test";
import assert from "node:assert/strict";
import { findInSorted } from "../src/find_in_sorted";

test("finds the middle element", () => {
  assert.equal(findInSorted([1, 2, 3, 4, 5], 3), 2);
});

test("finds the first element", () => {
  assert.equal(findInSorted([1, 2, 3, 4, 5], 1), 0);
});

test("finds the last element", () => {
  assert.equal(findInSorted([3, 4, 5, 5, 5, 5, 6], 6), 6);
});

test("returns -1 past the end", () => {
  assert.equal(findInSorted([1, 2, 3, 4, 5], 7), -1);
});

test("returns -1 before the start", () => {
  assert.equal(findInSorted([1, 2, 3, 4, 5], 0), -1);
});
