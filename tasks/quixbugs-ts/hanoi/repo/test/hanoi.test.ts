import { test } from "node:test";
import assert from "node:assert/strict";
import { hanoi } from "../src/hanoi";

test("no disks need no moves", () => {
  assert.deepEqual(hanoi(0), []);
});

test("two disks", () => {
  assert.deepEqual(hanoi(2), [[1, 2], [1, 3], [2, 3]]);
});

test("three disks take seven moves ending on peg 3", () => {
  const moves = hanoi(3);
  assert.equal(moves.length, 7);
  assert.deepEqual(moves[6], [1, 3]);
});

test("one disk to peg 2", () => {
  assert.deepEqual(hanoi(1, 1, 2), [[1, 2]]);
});
