import { test } from "node:test";
import assert from "node:assert/strict";
import { hasCycle, type ListNode } from "../src/detect_cycle";

test("an empty list has no cycle", () => {
  assert.equal(hasCycle(null), false);
});

test("a list of odd length", () => {
  const c: ListNode = { value: 3, next: null };
  const b: ListNode = { value: 2, next: c };
  assert.equal(hasCycle({ value: 1, next: b }), false);
});

test("a single node", () => {
  assert.equal(hasCycle({ value: 1, next: null }), false);
});

test("a list of even length", () => {
  const b: ListNode = { value: 2, next: null };
  assert.equal(hasCycle({ value: 1, next: b }), false);
});

test("a loop back to the head", () => {
  const a: ListNode = { value: 1, next: null };
  a.next = { value: 2, next: a };
  assert.equal(hasCycle(a), true);
});
