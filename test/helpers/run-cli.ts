import { main } from '../../src/cli/main.js';

// Runs the command line from the TypeScript sources, for end-to-end tests.
process.exitCode = await main(process.argv.slice(2));
