/**
 * An ONNX graph under construction and its protobuf bytes (onnx-proto):
 * nodes in order, initializers (weights and constants, little-endian raw
 * data), named inputs and outputs with their dtypes and shapes. Opset 17,
 * IR version 8.
 */
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

export const OPSET = 17;
const IR_VERSION = 8;

export type OnnxDType = 'float32' | 'int32' | 'int64' | 'bool';

const ELEMENT_TYPE: Readonly<Record<OnnxDType, number>> = {
  float32: onnx.TensorProto.DataType.FLOAT,
  int32: onnx.TensorProto.DataType.INT32,
  int64: onnx.TensorProto.DataType.INT64,
  bool: onnx.TensorProto.DataType.BOOL,
};

/** An attribute value, typed as ONNX types it (an alpha of 1 is a float, a count of 1 an int). */
export type OnnxAttr = { int: number } | { float: number } | { string: string } | { ints: readonly number[] } | { floats: readonly number[] };

export const int = (value: number): OnnxAttr => ({ int: value });
export const float = (value: number): OnnxAttr => ({ float: value });
export const ints = (values: readonly number[]): OnnxAttr => ({ ints: values });
export const str = (value: string): OnnxAttr => ({ string: value });

export interface OnnxValueInfo {
  name: string;
  dtype: OnnxDType;
  shape: readonly number[];
}

export type TensorValues = Float32Array | Int32Array | Uint8Array | readonly number[];

/** Little-endian bytes of `values` as ONNX stores `dtype`. */
function rawBytes(values: TensorValues, dtype: OnnxDType): Uint8Array {
  const n = values.length;
  const size = dtype === 'bool' ? 1 : dtype === 'int64' ? 8 : 4;
  const bytes = new Uint8Array(n * size);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < n; i++) {
    const v = Number(values[i]);
    if (dtype === 'float32') view.setFloat32(i * 4, v, true);
    else if (dtype === 'int32') view.setInt32(i * 4, v, true);
    else if (dtype === 'int64') view.setBigInt64(i * 8, BigInt(Math.trunc(v)), true);
    else bytes[i] = v ? 1 : 0;
  }
  return bytes;
}

function attribute(name: string, value: OnnxAttr): onnxProto.onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if ('int' in value) return { name, type: T.INT, i: value.int };
  if ('float' in value) return { name, type: T.FLOAT, f: value.float };
  if ('string' in value) return { name, type: T.STRING, s: new TextEncoder().encode(value.string) };
  if ('ints' in value) return { name, type: T.INTS, ints: [...value.ints] };
  return { name, type: T.FLOATS, floats: [...value.floats] };
}

function valueInfo(v: OnnxValueInfo): onnxProto.onnx.IValueInfoProto {
  return {
    name: v.name,
    type: { tensorType: { elemType: ELEMENT_TYPE[v.dtype], shape: { dim: v.shape.map((d) => ({ dimValue: d })) } } },
  };
}

/** A graph being written: every name is unique, helper values get names of their own. */
export class OnnxGraph {
  private readonly nodes: onnxProto.onnx.INodeProto[] = [];
  private readonly initializers: onnxProto.onnx.ITensorProto[] = [];
  private readonly taken = new Set<string>();
  private readonly initializerNames = new Set<string>();
  private readonly int64Cache = new Map<string, string>();
  private counter = 0;

  /** A new name for a helper value, from a hint (the value it helps compute). */
  fresh(hint: string): string {
    let name: string;
    do name = `${hint}~${this.counter++}`;
    while (this.taken.has(name));
    this.taken.add(name);
    return name;
  }

  reserve(name: string): void {
    this.taken.add(name);
  }

  node(op: string, inputs: readonly string[], outputs: readonly string[], attrs: Readonly<Record<string, OnnxAttr>> = {}): void {
    for (const o of outputs) this.taken.add(o);
    this.nodes.push({
      opType: op,
      name: `${op}:${this.nodes.length}`,
      input: [...inputs],
      output: [...outputs],
      attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
    });
  }

  /** One node with a fresh output, returned: for chains of helpers. */
  apply(op: string, inputs: readonly string[], hint: string, attrs: Readonly<Record<string, OnnxAttr>> = {}): string {
    const out = this.fresh(hint);
    this.node(op, inputs, [out], attrs);
    return out;
  }

  initializer(name: string, values: TensorValues, dtype: OnnxDType, shape: readonly number[]): string {
    this.taken.add(name);
    this.initializerNames.add(name);
    this.initializers.push({ name, dataType: ELEMENT_TYPE[dtype], dims: [...shape], rawData: rawBytes(values, dtype) });
    return name;
  }

  /** A constant helper tensor. */
  constant(values: TensorValues, dtype: OnnxDType, shape: readonly number[], hint = 'const'): string {
    return this.initializer(this.fresh(hint), values, dtype, shape);
  }

  scalar(value: number, dtype: OnnxDType, hint = 'const'): string {
    return this.constant([value], dtype, [], hint);
  }

  /** A 1-D int64 constant (shapes, axes, pads), shared by every node that needs the same numbers. */
  int64s(values: readonly number[]): string {
    const key = values.join(',');
    let name = this.int64Cache.get(key);
    if (!name) {
      name = this.constant(values, 'int64', [values.length], 'int64s');
      this.int64Cache.set(key, name);
    }
    return name;
  }

  isInitializer(name: string): boolean {
    return this.initializerNames.has(name);
  }

  encode(options: { name: string; doc: string; inputs: readonly OnnxValueInfo[]; outputs: readonly OnnxValueInfo[]; values: readonly OnnxValueInfo[]; metadata: Readonly<Record<string, string>> }): Uint8Array {
    const model = onnx.ModelProto.create({
      irVersion: IR_VERSION,
      opsetImport: [{ domain: '', version: OPSET }],
      producerName: 'gencomposer',
      docString: options.doc,
      metadataProps: Object.entries(options.metadata).map(([key, value]) => ({ key, value })),
      graph: {
        name: options.name,
        node: this.nodes,
        initializer: this.initializers,
        input: options.inputs.map(valueInfo),
        output: options.outputs.map(valueInfo),
        valueInfo: options.values.map(valueInfo),
      },
    });
    return onnx.ModelProto.encode(model).finish();
  }
}
