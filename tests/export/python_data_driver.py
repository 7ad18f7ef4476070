"""
The Python side of python-data.test.ts: reads a JSON list of requests on
stdin, answers each with gencomposer.data or gencomposer.weights, and writes
a JSON list of answers on stdout. A request that raises answers
{'error': 'ExceptionName: message'} so the test can check messages too.
"""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'python'))

import torch  # noqa: E402

from gencomposer import data, weights  # noqa: E402


def tensor_json(t):
    return {'dtype': str(t.dtype).replace('torch.', ''), 'shape': list(t.shape), 'values': t.reshape(-1).tolist()}


def batch_json(batch):
    return {port: tensor_json(t) for port, t in batch.items()}


def open_dataset(r, split=None):
    return data.load_dataset(r['params'], split or r['split'], r['dataDir'], r['seed'], r['validationSplit'], r['shuffle'])


def op_examples(r):
    """Examples of a split read in order at the given [start, count] ranges, and the split's size."""
    ds = open_dataset(r)
    positions = [p for start, count in r['ranges'] for p in range(start, min(len(ds), start + count))]
    batch = ds.batch(positions)
    only = r.get('only')
    out = {'len': len(ds), 'ports': list(ds.ports), 'batch': batch_json({p: t for p, t in batch.items() if not only or p in only})}
    if r.get('decode'):
        out['decoded'] = [ds.decode(row) for row in batch[r['decode']].tolist()]
    out['vocabulary'] = list(ds.vocabulary) if ds.vocabulary else None
    out['classes'] = ds.classes
    return out


def op_stream(r):
    """Step `step`'s batch for each rank of each world size."""
    ds = open_dataset(r, 'train')
    out = {}
    for world in r['worldSizes']:
        out[str(world)] = [batch_json(data.train_batch(ds, r['batchSize'], r['step'], rank, world)) for rank in range(world)]
    # batches() from the same step yields the same first batch, then the next step's.
    gen = data.batches(ds, r['batchSize'], 0, 1, step=r['step'])
    first, second = next(gen), next(gen)
    out['generator'] = [batch_json(first), batch_json(second)]
    return out


def op_load_error(r):
    try:
        open_dataset(r)
    except data.DataError as error:
        return {'message': str(error)}
    return {'message': None}


def op_safetensors(r):
    """TS file in -> load -> save out; what was read."""
    tensors = weights.load_safetensors(r['in'])
    metadata = weights.read_safetensors_metadata(r['in'])
    weights.save_safetensors(r['out'], tensors, metadata)
    return {'tensors': {name: {'dtype': weights.NAMES[t.dtype], 'shape': list(t.shape)} for name, t in tensors.items()}, 'metadata': metadata}


def same_bytes(a, b):
    if a.dtype != b.dtype or a.shape != b.shape:
        return False
    return a.numel() == 0 or torch.equal(a.contiguous().reshape(-1).view(torch.uint8), b.contiguous().reshape(-1).view(torch.uint8))


def op_safetensors_dtypes(r):
    """Every dtype through save and load; the names whose bytes, dtype or shape changed."""
    g = torch.Generator().manual_seed(5)
    tensors = {
        'f64': torch.randn(3, 4, dtype=torch.float64, generator=g),
        'f32': torch.randn(2, 3, generator=g).t(),  # not contiguous
        'f16': torch.randn(5, generator=g).half(),
        'bf16': torch.randn(2, 2, generator=g).bfloat16(),
        'i64': torch.tensor([-(2 ** 62), 0, 2 ** 62 + 3]),
        'i32': torch.tensor([[-(2 ** 31), 2 ** 31 - 1]], dtype=torch.int32),
        'i16': torch.tensor([-300, 300], dtype=torch.int16),
        'i8': torch.tensor([-128, 127], dtype=torch.int8),
        'u8': torch.tensor([0, 255], dtype=torch.uint8),
        'bool': torch.tensor([True, False, True]),
        'scalar': torch.tensor(2.5),
        'empty': torch.zeros(0, 3),
    }
    weights.save_safetensors(r['path'], tensors, {'format': 'pt'})
    back = weights.load_safetensors(r['path'])
    changed = [name for name, t in tensors.items() if not same_bytes(t, back[name])]
    return {'changed': changed, 'names': sorted(back), 'metadata': weights.read_safetensors_metadata(r['path'])}


def op_safetensors_error(r):
    try:
        weights.load_safetensors(r['path'])
    except weights.SafetensorsError as error:
        return {'message': str(error)}
    return {'message': None}


def op_has_pillow(r):
    try:
        import PIL  # noqa: F401
    except ImportError:
        return {'pillow': False}
    return {'pillow': True}


OPS = {
    'examples': op_examples,
    'stream': op_stream,
    'load-error': op_load_error,
    'safetensors': op_safetensors,
    'safetensors-dtypes': op_safetensors_dtypes,
    'safetensors-error': op_safetensors_error,
    'has-pillow': op_has_pillow,
}


def main():
    answers = []
    for r in json.load(sys.stdin):
        try:
            answers.append(OPS[r['op']](r))
        except Exception as error:  # the test reports it with the request
            answers.append({'error': f'{type(error).__name__}: {error}'})
    json.dump(answers, sys.stdout)


if __name__ == '__main__':
    main()
