export type Nested<T> = T | Nested<T>[];

export function flatten<T>(items: readonly Nested<T>[]): T[] {
  const result: T[] = [];
  for (const item of items) {
    if (Array.isArray(item)) {
      result.push(...flatten(item as Nested<T>[]));
    } else {
      result.push(item as T);
    }
  }
  return result;
}
