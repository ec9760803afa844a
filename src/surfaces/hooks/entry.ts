/** @module The hook process's entry point (bin/autopilot.js routes `autopilot hook …` here): runs the hook and exits with its code. */
import { hookProcess } from './main.ts';

process.exitCode = await hookProcess(process.argv.slice(3));
