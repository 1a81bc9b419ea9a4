import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { LilyError } from '../../contracts/errors.js';
import type { Json, JsonObject } from '../../contracts/json.js';

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `k=v`: `v` as JSON when it parses (`n=3`, `flag=true`, `list=[1,2]`), else the string itself. */
export const parseInputPair = (pair: string): [string, Json] => {
  const eq = pair.indexOf('=');
  if (eq <= 0) {
    throw new LilyError('usage_invalid', `--input ${JSON.stringify(pair)}: expected key=value`, {
      reason: 'inputPair',
      value: pair,
    });
  }
  const key = pair.slice(0, eq);
  const raw = pair.slice(eq + 1);
  try {
    return [key, JSON.parse(raw) as Json];
  } catch {
    return [key, raw];
  }
};

/**
 * The run input of `--input-file` (JSON or YAML, an object) overlaid with `--input k=v` pairs;
 * undefined when neither is given (the job's own input applies). Throws `usage_invalid` for a
 * missing or unreadable file, a file that is not an object, or a pair without `=`.
 */
export const readRunInput = async (options: {
  input?: string[];
  inputFile?: string;
}): Promise<JsonObject | undefined> => {
  let base: JsonObject | undefined;
  if (options.inputFile !== undefined) {
    const file = options.inputFile;
    const text = await readFile(file, 'utf8').catch((e: Error) => {
      throw new LilyError('usage_invalid', `--input-file ${file}: ${e.message}`, {
        reason: 'inputFile',
        file,
      });
    });
    let value: unknown;
    try {
      value = parse(text);
    } catch (e) {
      throw new LilyError(
        'usage_invalid',
        `--input-file ${file}: not JSON or YAML: ${(e as Error).message}`,
        {
          reason: 'inputFile',
          file,
        },
      );
    }
    if (!isObject(value)) {
      throw new LilyError('usage_invalid', `--input-file ${file}: the run input must be an object`, {
        reason: 'inputFile',
        file,
      });
    }
    base = value;
  }
  const pairs = options.input ?? [];
  if (pairs.length === 0) return base;
  return { ...base, ...Object.fromEntries(pairs.map(parseInputPair)) };
};
