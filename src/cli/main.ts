/**
 * `gencomposer COMMAND ...`: the headless runner. Exit codes: 0 success,
 * 1 the input has problems (diagnostics), 2 usage or unreadable input,
 * 3 an internal error (a bug).
 * User errors print a message, never a stack trace.
 */
import { inert } from '../core/base/text.ts';
import { UsageError } from './args.ts';
import { BENCH_USAGE, benchCommand } from './bench.ts';
import { CliError } from './errors.ts';
import { EXPORT_USAGE, exportCommand } from './export.ts';
import { IMPORT_WEIGHTS_USAGE, importWeightsCommand } from './import-weights.ts';
import { REPRODUCE_USAGE, reproduceCommand } from './reproduce.ts';
import { SAMPLE_USAGE, sampleCommand } from './sample.ts';
import { TRAIN_USAGE, trainCommand } from './train.ts';
import { validateCommand } from './validate.ts';

const COMMANDS: Record<string, { summary: string; run(args: string[]): Promise<number> }> = {
  validate: { summary: 'validate FILE... [--json] [--memory-budget MB]\n      check graph documents; print their diagnostics', run: validateCommand },
  train: { summary: `${TRAIN_USAGE}\n      train a graph; write metrics.jsonl, summary.json, samples and a checkpoint to DIR (default runs/NAME)`, run: trainCommand },
  sample: { summary: `${SAMPLE_USAGE}\n      sample from a trained checkpoint; write a PNG (and a .txt for text)`, run: sampleCommand },
  export: { summary: `${EXPORT_USAGE}\n      write the graph as a PyTorch project (model.py, train.py for torchrun, weights.safetensors),\n      or the networks its samplers run as ONNX models (one per network, and onnx.json)`, run: exportCommand },
  'import-weights': { summary: `${IMPORT_WEIGHTS_USAGE}\n      turn weights trained in an exported PyTorch project into a checkpoint of the graph`, run: importWeightsCommand },
  reproduce: {
    summary: `${REPRODUCE_USAGE}\n      train presets (default: all) once per seed (default 3) and write the README's results table,\n      docs/results/results.json and the sample pictures in docs/results/`,
    run: reproduceCommand,
  },
  bench: { summary: `${BENCH_USAGE}\n      time training steps and count kernels per step, against a hand-written TF.js version of the model`, run: benchCommand },
};

/** Exit code of an internal error (a bug), apart from the input's 1 and 2. */
export const INTERNAL_ERROR = 3;

export const USAGE = `Usage: gencomposer COMMAND [options]

Commands:
${Object.values(COMMANDS)
  .map((c) => `  ${c.summary}`)
  .join('\n')}

Exit codes: 0 success, 1 the input has problems, 2 usage error or unreadable input, 3 internal error.`;

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    console.log(USAGE);
    return command === undefined ? 2 : 0;
  }
  const entry = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
  if (!entry) {
    console.error(inert`gencomposer: unknown command "${command}"` + `\n\n${USAGE}`);
    return 2;
  }
  try {
    return await entry.run(rest);
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(inert`gencomposer ${command}: ${error.message}` + `\n\n${USAGE}`);
      return 2;
    }
    if (error instanceof CliError) {
      console.error(`gencomposer ${command}: ${error.message}`);
      return error.exitCode;
    }
    // A bug, not the user's input: one line that says so, the trace only on request.
    if (process.env.GENCOMPOSER_DEBUG) console.error(error);
    const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
    console.error(inert`gencomposer ${command}: internal error: ${message}` + ' (a bug in GenComposer; GENCOMPOSER_DEBUG=1 prints the stack trace)');
    return INTERNAL_ERROR;
  }
}
