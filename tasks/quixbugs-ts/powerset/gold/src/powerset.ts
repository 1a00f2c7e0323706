export function powerset<T>(arr: readonly T[]): T[][] {
  if (arr.length === 0) {
    return [[]];
  }
  const [first, ...rest] = arr;
  const restSubsets = powerset(rest);
  return [...restSubsets, ...restSubsets.map((subset) => [first, ...subset])];
}
