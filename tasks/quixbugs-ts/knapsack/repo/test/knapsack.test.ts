import { test } from "node:test";
import assert from "node:assert/strict";
import { knapsack } from "../src/knapsack";

test("empty knapsack is worth nothing", () => {
  assert.equal(knapsack(10, []), 0);
});

test("picks the best combination", () => {
  assert.equal(knapsack(100, [[60, 10], [50, 8], [20, 4], [20, 5]]), 19);
});

test("an item that exactly fits", () => {
  assert.equal(knapsack(5, [[5, 9]]), 9);
});

test("fills capacity exactly with two items", () => {
  assert.equal(knapsack(10, [[4, 4], [6, 7], [11, 100]]), 11);
});
