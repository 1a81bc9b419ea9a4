import type { Command } from 'commander';
import { lazy } from '../action.js';

/** `lily gc [--dry-run]`: retention (projections and blobs of expired runs; never events). */
export const registerGc = (program: Command): Command =>
  program
    .command('gc')
    .description("apply retention: delete expired runs' projections and unreferenced blobs (events are kept)")
    .option('--dry-run', 'print what would be deleted, delete nothing')
    .action(lazy(async () => (await import('../actions/gc.js')).gc));
