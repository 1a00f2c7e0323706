export function rpnEval(tokens: readonly (number | string)[]): number {
  const stack: number[] = [];
  for (const token of tokens) {
    if (typeof token === "number") {
      stack.push(token);
      continue;
    }
    const a = stack.pop() as number;
    const b = stack.pop() as number;
    switch (token) {
      case "+": stack.push(a + b); break;
      case "-": stack.push(a - b); break;
      case "*": stack.push(a * b); break;
      case "/": stack.push(a / b); break;
      default: throw new Error(`unknown operator ${token}`);
    }
  }
  return stack.pop() as number;
}
