import { test } from "node:test";
import assert from "node:assert/strict";
import { isValidParenthesization } from "../src/is_valid_parenthesization";

test("balanced nesting is valid", () => {
  assert.equal(isValidParenthesization("((()()))()"), true);
});

test("closing first is invalid", () => {
  assert.equal(isValidParenthesization(")()("), false);
});

test("unclosed parens are invalid", () => {
  assert.equal(isValidParenthesization("(("), false);
});

test("an open tail is invalid", () => {
  assert.equal(isValidParenthesization("()("), false);
});
