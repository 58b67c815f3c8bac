import type { ColumnSpec, Dataset } from '#datasets/index.ts';

/** The three typed columns of the sample rows below. */
export const SPECS: ColumnSpec[] = [
  { name: 'age', type: 'numeric' },
  { name: 'plan', type: 'categorical' },
  { name: 'mobile', type: 'binary' },
];

/** The same five rows in each text format: a missing age, a missing plan, an age that is not a number. */
export const CSV =
  'id,age,plan,mobile\n1,34,basic,true\n2,,pro,false\n3,41.5,,true\n4,old,plus,true\n5,-2e1,basic,false\n';
export const JSONL = [
  '{"id":1,"age":34,"plan":"basic","mobile":true}',
  '{"id":2,"plan":"pro","mobile":false}',
  '{"id":3,"age":41.5,"plan":null,"mobile":true}',
  '{"id":4,"age":"old","plan":"plus","mobile":true}',
  '{"id":5,"age":-20,"plan":"basic","mobile":false}',
].join('\n');

/** A column's values as a plain array. */
export function values(column: Dataset['columns'][string] | undefined): unknown[] {
  return column === undefined ? [] : Array.from(column as ArrayLike<unknown>);
}
