import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isErrorCode } from '../contracts/error-codes.js';
import { LilyError } from '../contracts/errors.js';
import type { StoreVerification } from '../eventstore/verify-store.js';

/** The checker's entry point: the built `.js`, or the `.ts` source under tsx (tests). */
const entry = (): string[] => {
  const js = fileURLToPath(new URL('./store-check-main.js', import.meta.url));
  if (existsSync(js)) return [js];
  return ['--import', 'tsx', fileURLToPath(new URL('./store-check-main.ts', import.meta.url))];
};

/**
 * Verifies a project's event store in a child process (`verifyEventStore`), so that damage LMDB
 * cannot survive (a fault while it walks a broken page) is reported instead of killing the
 * caller. Resolves with the counts; throws `eventstore_corrupt` for a damaged store (including a
 * checker killed by a signal) and the store's own codes otherwise (`eventstore_unavailable`).
 */
export const checkStoreIsolated = (lilyRoot: string): Promise<StoreVerification> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...entry(), lilyRoot], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
    });
    child.stderr.resume();
    child.on('error', (e) =>
      reject(new LilyError('internal_error', 'cannot start the store checker', {}, { cause: e })),
    );
    child.on('close', (code, signal) => {
      if (signal) {
        reject(
          new LilyError(
            'eventstore_corrupt',
            `the event store in ${lilyRoot} is damaged: reading it faults (${signal})`,
            { dir: lilyRoot, reason: `reading the store faults (${signal})`, signal },
          ),
        );
        return;
      }
      try {
        const result = JSON.parse(out.trim().split('\n').pop() ?? '') as
          | ({ ok: true } & StoreVerification)
          | { ok: false; code: string; message: string; data: Record<string, unknown> };
        if (result.ok) resolve({ events: result.events, streams: result.streams });
        else
          reject(
            new LilyError(
              isErrorCode(result.code) ? result.code : 'internal_error',
              result.message,
              result.data,
            ),
          );
      } catch (e) {
        reject(
          new LilyError(
            'internal_error',
            `the store checker exited ${code} without a result`,
            {},
            { cause: e },
          ),
        );
      }
    });
  });
