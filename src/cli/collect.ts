/** commander collector for repeatable options (`--input a=1 --input b=2`). */
export const collect = (value: string, previous: string[] | undefined): string[] => [
  ...(previous ?? []),
  value,
];
