import { test } from "node:test";
import assert from "node:assert/strict";
import { longestCommonSubsequence } from "../src/longest_common_subsequence";

test("an empty string", () => {
  assert.equal(longestCommonSubsequence("", "abc"), 0);
});

test("classic example", () => {
  assert.equal(longestCommonSubsequence("headache", "pentadactyl"), 5);
});

test("equal strings", () => {
  assert.equal(longestCommonSubsequence("abc", "abc"), 3);
});

test("repeated letters", () => {
  assert.equal(longestCommonSubsequence("aa", "a"), 1);
});
