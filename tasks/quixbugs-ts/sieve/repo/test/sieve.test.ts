import { test } from "node:test";
import assert from "node:assert/strict";
import { sieve } from "../src/sieve";

test("no primes below 2", () => {
  assert.deepEqual(sieve(1), []);
});

test("just 2", () => {
  assert.deepEqual(sieve(2), [2]);
});

test("primes up to 10", () => {
  assert.deepEqual(sieve(10), [2, 3, 5, 7]);
});

test("primes up to 30", () => {
  assert.deepEqual(sieve(30), [2, 3, 5, 7, 11, 13, 17, 19, 23, 29]);
});
