import { test } from "node:test";
import assert from "node:assert/strict";
import { lis } from "../src/lis";

test("empty array", () => {
  assert.equal(lis([]), 0);
});

test("increasing run", () => {
  assert.equal(lis([4, 1, 5, 3, 7, 6, 2]), 3);
});

test("repeated values do not count", () => {
  assert.equal(lis([2, 2, 2, 2]), 1);
});

test("mixed with repeats", () => {
  assert.equal(lis([1, 3, 3, 5, 5, 4]), 3);
});
