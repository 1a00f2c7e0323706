export function findInSorted(arr: readonly number[], x: number): number {
  function search(start: number, end: number): number {
    if (start >= end) {
      return -1;
    }
    const mid = Math.floor((start + end) / 2);
    if (x < arr[mid]) {
      return search(start, mid);
    } else if (x > arr[mid]) {
      return search(mid + 1, end);
    }
    return mid;
  }
  return search(0, arr.length);
}
