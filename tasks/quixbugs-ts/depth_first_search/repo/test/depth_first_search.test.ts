import { test } from "node:test";
import assert from "node:assert/strict";
import { isReachable } from "../src/depth_first_search";

test("a node reaches itself", () => {
  assert.equal(isReachable(new Map(), "a", "a"), true);
});

test("follows a path", () => {
  assert.equal(isReachable(new Map([["a", ["b"]], ["b", ["c"]]]), "a", "c"), true);
});

test("a cycle without the goal", () => {
  assert.equal(isReachable(new Map([["a", ["b"]], ["b", ["a"]]]), "a", "z"), false);
});

test("the goal behind a cycle", () => {
  assert.equal(isReachable(new Map([["a", ["b", "c"]], ["b", ["a"]], ["c", ["d"]]]), "a", "d"), true);
});
