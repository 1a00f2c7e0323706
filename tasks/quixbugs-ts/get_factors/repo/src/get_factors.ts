export function getFactors(n: number): number[] {
  if (n === 1) {
    return [];
  }
  for (let i = 2; i * i < n; i++) {
    if (n % i === 0) {
      return [i, ...getFactors(n / i)];
    }
  }
  return [n];
}
