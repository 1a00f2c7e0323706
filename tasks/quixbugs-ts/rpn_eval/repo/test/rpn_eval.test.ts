import { test } from "node:test";
import assert from "node:assert/strict";
import { rpnEval } from "../src/rpn_eval";

test("a single number", () => {
  assert.equal(rpnEval([3.5]), 3.5);
});

test("addition", () => {
  assert.equal(rpnEval([2, 3, "+"]), 5);
});

test("subtraction keeps operand order", () => {
  assert.equal(rpnEval([10, 4, "-"]), 6);
});

test("a nested expression", () => {
  assert.equal(rpnEval([5, 1, 2, "+", 4, "*", "+", 3, "-"]), 14);
});

test("division keeps operand order", () => {
  assert.equal(rpnEval([8, 2, "/"]), 4);
});
