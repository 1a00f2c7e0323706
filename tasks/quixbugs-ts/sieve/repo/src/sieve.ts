export function sieve(max: number): number[] {
  const primes: number[] = [];
  for (let n = 2; n <= max; n++) {
    if (primes.some((p) => n % p > 0)) {
      primes.push(n);
    }
  }
  return primes;
}
