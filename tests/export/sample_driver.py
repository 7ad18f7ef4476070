#!/usr/bin/env python3
"""
Runs every sampler of the exported project in DIR as sample.py does, with
GenComposer's own generator (AppRandom(SEED)) and COUNT samples, on the
project's weights.safetensors; prints each sampler's samples as JSON.
"""
import json
import os
import sys

import torch

project, seed, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
sys.path.insert(0, project)
import gencomposer as gc  # noqa: E402
import sample  # noqa: E402
from model import Model  # noqa: E402


def main():
    model = Model()
    gc.load_weights(model, os.path.join(project, 'weights.safetensors'))
    model.eval()
    results = {}
    for name, spec in sample.SAMPLERS.items():
        random = gc.AppRandom(seed)
        batch = {}
        for node in spec['data']:
            held_out = gc.load_dataset(sample.DATA[node], 'validation', os.path.join(project, 'data'), sample.SEED, sample.VALIDATION_SPLIT, sample.SHUFFLE)
            batch[node] = held_out.examples(0, count)
        with torch.no_grad():
            samples, labels = gc.run_sampler(model, spec, count, random, batch, gc.Context(random=random, batch=count))
        if isinstance(samples, list):
            results[name] = {'kind': 'tokens', 'tokens': samples}
        else:
            results[name] = {'kind': 'tensor', 'shape': list(samples.shape), 'values': samples.double().flatten().tolist()}
        results[name]['labels'] = labels
    json.dump(results, sys.stdout)


main()
