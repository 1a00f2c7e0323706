export function isValidParenthesization(parens: string): boolean {
  let depth = 0;
  for (const paren of parens) {
    depth += paren === "(" ? 1 : -1;
    if (depth < 0) {
      return false;
    }
  }
  return depth === 0;
}
