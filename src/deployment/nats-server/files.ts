import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';

/** Reads a JSON file: undefined when missing, `{invalid}` when it does not parse. */
export const readJsonFile = async (
  file: string,
): Promise<{ value: unknown } | { invalid: string } | undefined> => {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as { code?: string }).code === 'ENOENT') return undefined;
    throw e;
  }
  try {
    return { value: JSON.parse(text) as unknown };
  } catch (e) {
    return { invalid: e instanceof Error ? e.message : String(e) };
  }
};

/**
 * Writes a file atomically (temp file in the same directory, fsync, rename), with `mode`
 * (default 0600: state files name pids and paths, token files hold secrets).
 */
export const writeFileAtomic = async (file: string, text: string, mode = 0o600): Promise<void> => {
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  const temp = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  const handle = await open(temp, 'wx', mode);
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await chmod(temp, mode);
  await rename(temp, file);
};

export const writeJsonFileAtomic = (file: string, value: unknown): Promise<void> =>
  writeFileAtomic(file, `${JSON.stringify(value, null, 2)}\n`);

export const removeFile = (file: string): Promise<void> => rm(file, { force: true });
