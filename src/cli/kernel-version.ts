import { readFileSync } from 'node:fs';

/** The version of this Lily (package.json): what `run.started` and run manifests pin as kernel version. */
export const kernelVersion = (): string => {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version?: string;
    };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
};
