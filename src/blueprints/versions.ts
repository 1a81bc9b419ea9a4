/** Compares dotted numeric versions (`1.10.0` > `1.9.2`); non-numeric parts compare as text. */
export const compareVersions = (a: string, b: string): number => {
  const pa = a.split(/[.+-]/);
  const pb = b.split(/[.+-]/);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i] ?? '';
    const y = pb[i] ?? '';
    const nx = Number(x);
    const ny = Number(y);
    const both = x !== '' && y !== '' && Number.isInteger(nx) && Number.isInteger(ny);
    const cmp = both ? nx - ny : x < y ? -1 : x > y ? 1 : 0;
    if (cmp !== 0) return Math.sign(cmp);
  }
  return 0;
};
