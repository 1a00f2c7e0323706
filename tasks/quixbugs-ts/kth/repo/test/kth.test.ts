import { test } from "node:test";
import assert from "node:assert/strict";
import { kth } from "../src/kth";

test("the smallest", () => {
  assert.equal(kth([3, 6, 7, 1, 6, 3, 8, 9], 0), 1);
});

test("the pivot itself", () => {
  assert.equal(kth([5, 1, 9], 1), 5);
});

test("the largest", () => {
  assert.equal(kth([3, 6, 7, 1, 6, 3, 8, 9], 7), 9);
});

test("an element above the pivot", () => {
  assert.equal(kth([3, 6, 7, 1, 6, 3, 8, 9], 5), 7);
});
