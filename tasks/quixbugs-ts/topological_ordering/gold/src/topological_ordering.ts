export function topologicalOrdering(nodes: readonly string[], edges: readonly [string, string][]): string[] {
  const indegree = new Map<string, number>(nodes.map((n) => [n, 0]));
  for (const [, to] of edges) {
    indegree.set(to, (indegree.get(to) ?? 0) + 1);
  }
  const ready = nodes.filter((n) => indegree.get(n) === 0);
  const order: string[] = [];
  while (ready.length > 0) {
    const node = ready.shift() as string;
    order.push(node);
    for (const [from, to] of edges) {
      if (from === node) {
        const remaining = (indegree.get(to) ?? 0) - 1;
        indegree.set(to, remaining);
        if (remaining === 0) {
          ready.push(to);
        }
      }
    }
  }
  return order;
}
