import { test } from "node:test";
import assert from "node:assert/strict";
import { mergesort } from "../src/mergesort";

test("empty array", () => {
  assert.deepEqual(mergesort([]), []);
});

test("one element", () => {
  assert.deepEqual(mergesort([7]), [7]);
});

test("unsorted numbers", () => {
  assert.deepEqual(mergesort([5, 2, 9, 1, 5, 6]), [1, 2, 5, 5, 6, 9]);
});

test("already sorted", () => {
  assert.deepEqual(mergesort([1, 2, 3, 4]), [1, 2, 3, 4]);
});
