import { extensionOf } from './plan-types.js';

/** The asset buckets of `by_asset_bucket`, in shard order. */
export const BUCKET_ORDER = ['images', 'styles', 'scripts', 'fonts', 'media', 'other'];

const TYPES: Record<string, [bucket: string, mediaType: string]> = {
  '.png': ['images', 'image/png'],
  '.jpg': ['images', 'image/jpeg'],
  '.jpeg': ['images', 'image/jpeg'],
  '.gif': ['images', 'image/gif'],
  '.svg': ['images', 'image/svg+xml'],
  '.webp': ['images', 'image/webp'],
  '.avif': ['images', 'image/avif'],
  '.ico': ['images', 'image/vnd.microsoft.icon'],
  '.bmp': ['images', 'image/bmp'],
  '.css': ['styles', 'text/css'],
  '.scss': ['styles', 'text/x-scss'],
  '.sass': ['styles', 'text/x-sass'],
  '.less': ['styles', 'text/x-less'],
  '.js': ['scripts', 'text/javascript'],
  '.mjs': ['scripts', 'text/javascript'],
  '.cjs': ['scripts', 'text/javascript'],
  '.jsx': ['scripts', 'text/javascript'],
  '.ts': ['scripts', 'text/x-typescript'],
  '.mts': ['scripts', 'text/x-typescript'],
  '.cts': ['scripts', 'text/x-typescript'],
  '.tsx': ['scripts', 'text/x-typescript'],
  '.woff': ['fonts', 'font/woff'],
  '.woff2': ['fonts', 'font/woff2'],
  '.ttf': ['fonts', 'font/ttf'],
  '.otf': ['fonts', 'font/otf'],
  '.eot': ['fonts', 'application/vnd.ms-fontobject'],
  '.mp4': ['media', 'video/mp4'],
  '.webm': ['media', 'video/webm'],
  '.mov': ['media', 'video/quicktime'],
  '.mp3': ['media', 'audio/mpeg'],
  '.wav': ['media', 'audio/wav'],
  '.ogg': ['media', 'audio/ogg'],
  '.m4a': ['media', 'audio/mp4'],
  '.json': ['other', 'application/json'],
  '.md': ['other', 'text/markdown'],
  '.txt': ['other', 'text/plain'],
  '.html': ['other', 'text/html'],
};

export const bucketOf = (path: string): string => TYPES[extensionOf(path)]?.[0] ?? 'other';
export const mediaTypeOf = (path: string): string =>
  TYPES[extensionOf(path)]?.[1] ?? 'application/octet-stream';
