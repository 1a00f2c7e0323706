export function wrap(text: string, cols: number): string[] {
  const lines: string[] = [];
  while (text.length > cols) {
    let end = text.lastIndexOf(" ", cols);
    if (end === -1) {
      end = cols;
    }
    lines.push(text.slice(0, end));
    text = text.slice(end);
  }
  lines.push(text);
  return lines;
}
