import { test } from "node:test";
import assert from "node:assert/strict";
import { powerset } from "../src/powerset";

test("the empty set", () => {
  assert.deepEqual(powerset([]), [[]]);
});

test("one element", () => {
  assert.deepEqual(powerset(['a']), [[], ['a']]);
});

test("three elements", () => {
  assert.deepEqual(powerset(['a', 'b', 'c']), [[], ['c'], ['b'], ['b', 'c'], ['a'], ['a', 'c'], ['a', 'b'], ['a', 'b', 'c']]);
});
