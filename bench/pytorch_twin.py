#!/usr/bin/env python3
"""
The PyTorch twin of a graph for `gencomposer bench --against pytorch`: the
exported project in PROJECT (model.py, train.py, weights.safetensors, data/)
trains one step per line "step" on standard input, as train.py does in one
process (gencomposer.train_step), and answers each with a JSON line of the
step's time in milliseconds (up to its loss read back as a number) and loss.
It starts by saying which BLAS torch's products run on and how many threads.
"""
import json
import os
import sys
import time

import torch

project, threads = sys.argv[1], int(sys.argv[2])
device = torch.device(sys.argv[3] if len(sys.argv) > 3 else 'cpu')
sys.path.insert(0, project)
import gencomposer as gc  # noqa: E402
import train  # noqa: E402
from model import Model  # noqa: E402


def blas_library():
    """The BLAS library this process has mapped (Debian's torch takes the system's libblas.so.3, whichever it points at)."""
    a = torch.randn(64, 64)
    (a @ a).sum().item()
    with open('/proc/self/maps') as maps:
        paths = sorted({line.split()[-1] for line in maps if '.so' in line and 'blas' in os.path.basename(line.split()[-1]).lower()})
    # The real file: Debian's alternatives link libblas.so.3 to the reference BLAS or to OpenBLAS.
    return ', '.join(os.path.realpath(p) for p in paths) or 'unknown'


def main():
    torch.set_num_threads(threads)
    torch.manual_seed(train.SEED)
    model = Model()
    gc.load_weights(model, os.path.join(project, 'weights.safetensors'))
    model.to(device)
    objectives = train.OBJECTIVES
    optimizers = {o['id']: gc.make_optimizer(model, o['parameters'], o['optimizer']) for o in objectives}
    averages = {o['id']: gc.WeightAverage(model, o['parameters'], o['optimizer']['ema']) for o in objectives if o['optimizer']['ema'] > 0}
    cycle = [o for o in objectives for _ in range(o['share'])]
    datasets = {node: gc.load_dataset(params, 'train', os.path.join(project, 'data'), train.SEED, train.VALIDATION_SPLIT, train.SHUFFLE) for node, params in train.DATA.items()}
    updates = {o['id']: 0 for o in objectives}
    blas = blas_library()
    print(json.dumps({'ready': True, 'torch': torch.__version__, 'blas': blas,
                      'device': torch.cuda.get_device_name(device) if device.type == 'cuda' else str(device), 'threads': torch.get_num_threads(),
                      'parameters': sum(p.numel() for p in gc.named_parameters(model).values())}), flush=True)
    step = 0
    for line in sys.stdin:
        if line.strip() != 'step':
            break
        objective = cycle[step % len(cycle)]
        oid = objective['id']
        start = time.perf_counter()
        losses = gc.train_step(model, model, objective, optimizers[oid], averages.get(oid), datasets, train.BATCH_SIZE, step, updates[oid], train.SEED, device)
        # Read back as a number: on a GPU this waits for the step's kernels.
        loss = float(sum(losses.values()))
        ms = (time.perf_counter() - start) * 1000
        updates[oid] += 1
        step += 1
        print(json.dumps({'ms': ms, 'loss': loss}), flush=True)


main()
