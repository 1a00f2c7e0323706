const DIGITS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

export function toBase(num: number, base: number): string {
  let result = "";
  while (num > 0) {
    result = DIGITS[num % base] + result;
    num = Math.floor(num / base);
  }
  return result;
}
