export interface ListNode {
  value: number;
  next: ListNode | null;
}

export function hasCycle(head: ListNode | null): boolean {
  let slow = head;
  let fast = head;
  while (fast !== null && fast.next !== null) {
    slow = (slow as ListNode).next;
    fast = fast.next;
    if (slow === fast) {
      return true;
    }
  }
  return false;
}
