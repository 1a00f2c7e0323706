export function hanoi(height: number, start = 1, end = 3): [number, number][] {
  const steps: [number, number][] = [];
  if (height > 0) {
    const helper = 6 - start - end;
    steps.push(...hanoi(height - 1, start, helper));
    steps.push([start, helper]);
    steps.push(...hanoi(height - 1, helper, end));
  }
  return steps;
}
