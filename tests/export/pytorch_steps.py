#!/usr/bin/env python3
"""
Takes the training steps recorded in DIR/steps.json (each step's objective,
batch and random draws) with the exported project in DIR, as train.py
would: Model, weights.safetensors, train.py's objectives and optimizers.
Prints each step's losses by loss node as JSON.
"""
import json
import os
import sys

import torch

project = sys.argv[1]
sys.path.insert(0, project)
import gencomposer as gc  # noqa: E402
import train  # noqa: E402
from model import Model  # noqa: E402

DTYPES = {'float32': torch.float32, 'int32': torch.long}


def tensor(spec):
    return torch.tensor(spec['values'], dtype=DTYPES[spec['dtype']]).reshape(spec['shape'])


def main():
    with open(os.path.join(project, 'steps.json')) as f:
        recorded = json.load(f)
    torch.manual_seed(0)
    model = Model()
    gc.load_weights(model, os.path.join(project, 'weights.safetensors'))
    objectives = {o['id']: o for o in train.OBJECTIVES}
    optimizers = {oid: gc.make_optimizer(model, o['parameters'], o['optimizer']) for oid, o in objectives.items()}
    averages = {oid: gc.WeightAverage(model, o['parameters'], o['optimizer']['ema']) for oid, o in objectives.items() if o['optimizer']['ema'] > 0}
    updates = {oid: 0 for oid in objectives}
    results = []
    for step in recorded['steps']:
        objective = objectives[step['objective']]
        oid = objective['id']
        random = gc.ReplayRandom(step['draws'])
        ctx = gc.Context(random=random, step=updates[oid], batch=recorded['batch'])
        batch = {node: {port: tensor(spec) for port, spec in ports.items()} for node, ports in step['batch'].items()}
        model.zero_grad(set_to_none=True)
        out = model(batch, oid, ctx)
        sum(out['losses'].values()).backward()
        if random.draws:
            raise SystemExit(f'step of {oid}: {len(random.draws)} random draws left unused')
        gc.clip_grad_norm(model, objective['parameters'], objective['optimizer']['clipNorm'])
        gc.set_learning_rate(optimizers[oid], objective['optimizer'], updates[oid])
        optimizers[oid].step()
        if oid in averages:
            averages[oid].update()
        updates[oid] += 1
        results.append({name: value.item() for name, value in out['losses'].items()})
    json.dump(results, sys.stdout)


main()
