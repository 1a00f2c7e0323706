import { test } from "node:test";
import assert from "node:assert/strict";
import { maxSublistSum } from "../src/max_sublist_sum";

test("all positive", () => {
  assert.equal(maxSublistSum([1, 2, 3]), 6);
});

test("a negative prefix", () => {
  assert.equal(maxSublistSum([-5, 4, 3]), 7);
});

test("a dip in the middle", () => {
  assert.equal(maxSublistSum([4, -5, 2, 1, -1, 3]), 5);
});

test("all negative gives the empty sum", () => {
  assert.equal(maxSublistSum([-1, -2]), 0);
});
