export function pascal(n: number): number[][] {
  const rows: number[][] = [];
  for (let r = 0; r < n; r++) {
    const row: number[] = [];
    for (let c = 0; c <= r; c++) {
      const upLeft = c > 0 ? rows[r - 1][c - 1] : 0;
      const upRight = c < r ? rows[r - 1][c] : 0;
      row.push(r === 0 ? 1 : upLeft + upRight);
    }
    rows.push(row);
  }
  return rows;
}
