import { test } from "node:test";
import assert from "node:assert/strict";
import { getFactors } from "../src/get_factors";

test("factors of 1", () => {
  assert.deepEqual(getFactors(1), []);
});

test("factors of a prime", () => {
  assert.deepEqual(getFactors(101), [101]);
});

test("factors of 100", () => {
  assert.deepEqual(getFactors(100), [2, 2, 5, 5]);
});

test("factors of a square of a prime", () => {
  assert.deepEqual(getFactors(9), [3, 3]);
});

test("factors of 4", () => {
  assert.deepEqual(getFactors(4), [2, 2]);
});
