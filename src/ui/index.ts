/**
 * The web console (`lily ui`): an HTTP server over `LilyClient` and the single-page console it
 * serves (built from src/ui/web into dist/ui/public). See docs/ui.md.
 */
export { type ConsoleOptions, type RunningConsole, startConsole } from './server/start.js';
