/**
 * Groups items, in order, so that each group's total size stays within `limit`; an item bigger than `limit`
 * gets a group of its own.
 */
export function groupBySize<T>(items: readonly T[], sizeOf: (item: T) => number, limit: number): T[][] {
  const groups: T[][] = [];
  let group: T[] = [];
  let total = 0;
  for (const item of items) {
    const size = sizeOf(item);
    if (group.length > 0 && total + size > limit) {
      groups.push(group);
      group = [];
      total = 0;
    }
    group.push(item);
    total += size;
  }
  if (group.length > 0) groups.push(group);
  return groups;
}
