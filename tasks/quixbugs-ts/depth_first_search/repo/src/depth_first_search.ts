export type Graph = ReadonlyMap<string, readonly string[]>;

export function isReachable(graph: Graph, start: string, goal: string): boolean {
  const visited = new Set<string>();
  function search(node: string): boolean {
    if (visited.has(node)) {
      return false;
    }
    if (node === goal) {
      return true;
    }
    return (graph.get(node) ?? []).some(search);
  }
  return search(start);
}
