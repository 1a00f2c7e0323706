import { test } from "node:test";
import assert from "node:assert/strict";
import { wrap } from "../src/wrap";

test("short text stays on one line", () => {
  assert.deepEqual(wrap("hello", 10), ["hello"]);
});

test("breaks at spaces", () => {
  assert.deepEqual(wrap("the quick brown fox", 10), ["the quick", " brown fox"]);
});

test("cuts long words", () => {
  assert.deepEqual(wrap("abcdefgh", 3), ["abc", "def", "gh"]);
});
