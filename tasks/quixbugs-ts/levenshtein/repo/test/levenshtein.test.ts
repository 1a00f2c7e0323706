import { test } from "node:test";
import assert from "node:assert/strict";
import { levenshtein } from "../src/levenshtein";

test("identical strings", () => {
  assert.equal(levenshtein("kitten", "kitten"), 0);
});

test("kitten to sitting", () => {
  assert.equal(levenshtein("kitten", "sitting"), 3);
});

test("deleting everything", () => {
  assert.equal(levenshtein("abc", ""), 3);
});

test("inserting everything", () => {
  assert.equal(levenshtein("", "abcd"), 4);
});

test("a dropped prefix", () => {
  assert.equal(levenshtein("xxabc", "abc"), 2);
});
