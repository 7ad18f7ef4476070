/**
 * A traced network as an ONNX model: the kernel calls that lead to its
 * output, each through its translation (kernels.ts), the weights and
 * constants they read as initializers, the inputs and the one output by
 * name, and every traced value's shape (value_info, which viewers show).
 */
import { KERNELS, Untranslatable, type KernelCall } from './kernels.ts';
import type { NetworkTrace, TraceCall } from './trace.ts';
import { OnnxGraph, type OnnxValueInfo } from './writer.ts';

export type TranslateResult = { ok: true; bytes: Uint8Array; output: OnnxValueInfo } | { ok: false; kernel: string; detail?: string };

/** The calls the output depends on, in order: what a network computes beside it (a flow's log-determinants) is left out. */
function liveCalls(trace: NetworkTrace): TraceCall[] {
  const needed = new Set([trace.output]);
  const live: TraceCall[] = [];
  for (let i = trace.calls.length - 1; i >= 0; i--) {
    const call = trace.calls[i]!;
    if (!call.outputs.some((o) => needed.has(o))) continue;
    live.push(call);
    for (const input of call.inputs) needed.add(input.value);
  }
  return live.reverse();
}

export function translateTrace(trace: NetworkTrace, outputName: string, doc: string, metadata: Readonly<Record<string, string>>): TranslateResult {
  if (trace.values.has(outputName)) throw new Error(`the output name ${outputName} is taken by a value of network ${trace.network}`);
  const g = new OnnxGraph();
  const inputNames = new Set(trace.inputs.map((i) => i.name));
  const constants = new Map(trace.constants.map((c) => [c.name, c]));
  for (const name of trace.values.keys()) g.reserve(name);
  g.reserve(outputName);
  // The output takes its name from the network; a value computed by a kernel is simply written under it.
  const computed = new Set(trace.calls.flatMap((c) => c.outputs));
  const alias = (name: string) => (name === trace.output && computed.has(name) ? outputName : name);
  const calls = liveCalls(trace);
  for (const call of calls) {
    const translate = KERNELS[call.kernel];
    if (!translate) return { ok: false, kernel: call.kernel };
    const byPort = new Map(call.inputs.map((i) => [i.port, i.value]));
    const value = (name: string) => trace.values.get(name)!;
    const port = (p: string) => {
      const name = byPort.get(p);
      if (name === undefined) throw new Untranslatable(`no input ${p}`);
      return name;
    };
    const kernelCall: KernelCall = {
      kernel: call.kernel,
      attrs: call.attrs,
      ports: call.inputs.map((i) => i.port),
      input: (p) => alias(port(p)),
      shape: (p) => value(port(p)).shape,
      dtype: (p) => value(port(p)).dtype,
      outputs: call.outputs.map(alias),
      outShape: (i = 0) => value(call.outputs[i]!).shape,
      outDType: (i = 0) => value(call.outputs[i]!).dtype,
    };
    try {
      translate(g, kernelCall);
    } catch (error) {
      if (error instanceof Untranslatable) return { ok: false, kernel: call.kernel, ...(error.detail ? { detail: error.detail } : {}) };
      throw error;
    }
  }
  if (!computed.has(trace.output)) g.node('Identity', [trace.output], [outputName]);
  const read = new Set([...calls.flatMap((c) => c.inputs.map((i) => i.value)), trace.output]);
  for (const name of read) {
    const constant = constants.get(name);
    if (constant) g.initializer(name, constant.values, constant.dtype, constant.shape);
  }
  const out = trace.values.get(trace.output)!;
  const output: OnnxValueInfo = { name: outputName, dtype: out.dtype, shape: out.shape };
  const values: OnnxValueInfo[] = calls
    .flatMap((c) => c.outputs)
    .filter((name) => name !== trace.output && !g.isInitializer(name))
    .map((name) => ({ name, ...trace.values.get(name)! }));
  const bytes = g.encode({
    name: `${trace.sampler}.${trace.network}`,
    doc,
    inputs: trace.inputs.filter((i) => inputNames.has(i.name)).map((i) => ({ name: i.name, dtype: i.dtype, shape: i.shape })),
    outputs: [output],
    values,
    metadata,
  });
  return { ok: true, bytes, output };
}
