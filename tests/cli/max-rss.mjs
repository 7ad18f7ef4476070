// Preloaded into a CLI run (node --import): on exit, writes the process's peak resident memory in KB to $GENCOMPOSER_MAX_RSS_FILE.
import { writeFileSync } from 'node:fs';

const file = process.env.GENCOMPOSER_MAX_RSS_FILE;
if (file) process.on('exit', () => writeFileSync(file, String(process.resourceUsage().maxRSS)));
