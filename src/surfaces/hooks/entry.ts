/** @module The hook process's entry point (bin/autopilot.js routes `autopilot hook …` here): runs the hook and exits with its code. */
import { hookProcess } from './main.ts';

// Whatever escapes is a denial: exit 2 blocks the call for every agent client and fails git's hook.
const deny = (err: unknown) => {
  process.stderr.write(
    `Autopilot's hook failed (${(err as Error)?.message ?? String(err)}), so it denies. Run \`autopilot doctor\` to see what is wrong.\n`,
  );
  process.exit(2);
};
process.on('uncaughtException', deny);
process.on('unhandledRejection', deny);

process.exitCode = await hookProcess(process.argv.slice(3));
