/** Pixel dimensions read from an image's header (no decoding). */
export interface ImageSize {
  width: number;
  height: number;
}

const be16 = (b: Uint8Array, i: number) => ((b[i] ?? 0) << 8) | (b[i + 1] ?? 0);
const le16 = (b: Uint8Array, i: number) => (b[i] ?? 0) | ((b[i + 1] ?? 0) << 8);
const be32 = (b: Uint8Array, i: number) => be16(b, i) * 65536 + be16(b, i + 2);
const le24 = (b: Uint8Array, i: number) => le16(b, i) + (b[i + 2] ?? 0) * 65536;
const ascii = (b: Uint8Array, i: number, n: number) => String.fromCharCode(...b.subarray(i, i + n));

const png = (b: Uint8Array): ImageSize | undefined =>
  b.length >= 24 && ascii(b, 1, 3) === 'PNG' && ascii(b, 12, 4) === 'IHDR'
    ? { width: be32(b, 16), height: be32(b, 20) }
    : undefined;

const gif = (b: Uint8Array): ImageSize | undefined =>
  b.length >= 10 && ascii(b, 0, 4) === 'GIF8' ? { width: le16(b, 6), height: le16(b, 8) } : undefined;

/** JPEG: walk the markers to the first start-of-frame (SOF0..SOF15 except DHT, JPG, DAC). */
const jpeg = (b: Uint8Array): ImageSize | undefined => {
  if (b[0] !== 0xff || b[1] !== 0xd8) return undefined;
  let i = 2;
  while (i + 9 < b.length) {
    if (b[i] !== 0xff) return undefined;
    const marker = b[i + 1] as number;
    if (marker === 0xff) {
      i++;
      continue;
    }
    const isSof = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isSof) return { height: be16(b, i + 5), width: be16(b, i + 7) };
    i += 2 + be16(b, i + 2);
  }
  return undefined;
};

const webp = (b: Uint8Array): ImageSize | undefined => {
  if (b.length < 30 || ascii(b, 0, 4) !== 'RIFF' || ascii(b, 8, 4) !== 'WEBP') return undefined;
  const chunk = ascii(b, 12, 4);
  if (chunk === 'VP8X') return { width: le24(b, 24) + 1, height: le24(b, 27) + 1 };
  if (chunk === 'VP8 ') return { width: le16(b, 26) & 0x3fff, height: le16(b, 28) & 0x3fff };
  if (chunk === 'VP8L') {
    const bits = (b[21] ?? 0) | ((b[22] ?? 0) << 8) | ((b[23] ?? 0) << 16) | ((b[24] ?? 0) << 24);
    return { width: (bits & 0x3fff) + 1, height: ((bits >> 14) & 0x3fff) + 1 };
  }
  return undefined;
};

const length = (v: string | undefined): number | undefined => {
  const m = v?.match(/^\s*([0-9.]+)\s*(px)?\s*$/);
  return m ? Math.round(Number(m[1])) : undefined;
};

/** SVG: the root element's width/height (px or unitless), else its viewBox. */
const svg = (b: Uint8Array): ImageSize | undefined => {
  const text = new TextDecoder().decode(b.subarray(0, 4096));
  const tag = text.match(/<svg\b[^>]*>/i)?.[0];
  if (!tag) return undefined;
  const attr = (name: string) => tag.match(new RegExp(`\\s${name}\\s*=\\s*["']([^"']*)["']`, 'i'))?.[1];
  const width = length(attr('width'));
  const height = length(attr('height'));
  if (width !== undefined && height !== undefined) return { width, height };
  const box = attr('viewBox')
    ?.trim()
    .split(/[\s,]+/)
    .map(Number);
  if (box?.length === 4 && box.every(Number.isFinite))
    return { width: Math.round(box[2] as number), height: Math.round(box[3] as number) };
  return undefined;
};

/** Dimensions of a PNG, JPEG, GIF, WebP or SVG image; undefined for anything else or a broken header. */
export const imageSize = (bytes: Uint8Array): ImageSize | undefined =>
  png(bytes) ?? gif(bytes) ?? jpeg(bytes) ?? webp(bytes) ?? svg(bytes);
