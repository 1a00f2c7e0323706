import { test } from "node:test";
import assert from "node:assert/strict";
import { bitcount } from "../src/bitcount";

test("bitcount of 0 is 0", () => {
  assert.equal(bitcount(0), 0);
});

test("bitcount of 1 is 1", () => {
  assert.equal(bitcount(1), 1);
});

test("bitcount of 127 is 7", () => {
  assert.equal(bitcount(127), 7);
});

test("bitcount of 128 is 1", () => {
  assert.equal(bitcount(128), 1);
});

test("bitcount of 255 is 8", () => {
  assert.equal(bitcount(255), 8);
});
