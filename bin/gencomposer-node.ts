// The CLI's entry for a bundle run by Node alone (bench/gpu-check-bundle.ts); bin/gencomposer.js runs the sources through tsx.
import { main } from '../src/cli/main.ts';

process.exitCode = await main(process.argv.slice(2));
