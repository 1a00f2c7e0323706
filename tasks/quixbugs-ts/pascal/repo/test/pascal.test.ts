import { test } from "node:test";
import assert from "node:assert/strict";
import { pascal } from "../src/pascal";

test("zero rows", () => {
  assert.deepEqual(pascal(0), []);
});

test("one row", () => {
  assert.deepEqual(pascal(1), [[1]]);
});

test("five rows", () => {
  assert.deepEqual(pascal(5), [[1], [1, 1], [1, 2, 1], [1, 3, 3, 1], [1, 4, 6, 4, 1]]);
});
