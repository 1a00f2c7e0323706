import { test } from "node:test";
import assert from "node:assert/strict";
import { toBase } from "../src/to_base";

test("a single digit", () => {
  assert.equal(toBase(7, 10), "7");
});

test("a palindrome in base 2", () => {
  assert.equal(toBase(5, 2), "101");
});

test("31 in base 16", () => {
  assert.equal(toBase(31, 16), "1F");
});

test("8227 in base 18", () => {
  assert.equal(toBase(8227, 18), "1771");
});

test("decimal", () => {
  assert.equal(toBase(1234, 10), "1234");
});
