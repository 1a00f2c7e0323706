import { test } from "node:test";
import assert from "node:assert/strict";
import { gcd } from "../src/gcd";

test("gcd with zero second argument", () => {
  assert.equal(gcd(17, 0), 17);
});

test("gcd of 35 and 21 is 7", () => {
  assert.equal(gcd(35, 21), 7);
});

test("gcd of 12 and 8 is 4", () => {
  assert.equal(gcd(12, 8), 4);
});

test("gcd of coprime numbers is 1", () => {
  assert.equal(gcd(13, 7), 1);
});
