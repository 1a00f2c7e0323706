export function nextPermutation(perm: readonly number[]): number[] {
  for (let i = perm.length - 2; i >= 0; i--) {
    if (perm[i] < perm[i + 1]) {
      for (let j = perm.length - 1; j > i; j--) {
        if (perm[j] < perm[i]) {
          const next = [...perm];
          [next[i], next[j]] = [next[j], next[i]];
          return [...next.slice(0, i + 1), ...next.slice(i + 1).reverse()];
        }
      }
    }
  }
  return [...perm];
}
