#!/usr/bin/env python3
"""
Runs each node kind's PyTorch form, as an exported project writes it, on the
cases of torch-kinds.test.ts; run with PYTHONPATH=python (the gencomposer
package of this repository).

Reads a JSON array of cases on stdin and writes a JSON array of results on
stdout, one per case, in order. A case:

  module              {class, args, context}: gencomposer.<class>(<args>), args
                      the keyword arguments as Python source; context: called
                      with ctx=
  inline              or output port -> Python expression of the inputs, which
                      are bound to in_<port>
  inputs              port -> {dtype: 'float32' | 'int32', shape, values (flat)}
  weights             state_dict name -> {layout, shape, values}: the node's own
                      variables in GenComposer's layout and the layout they take
  ties                state_dict name -> {layout, transposed, shape, values}: a
                      tied variable, as the lender's parameter (in the lender's
                      layout), handed to module.tie(parameter, transposed)
  random              the draws the TF.js forward made, in order
  batch               examples in the batch
  outputs             the node's output ports

A result: {outputs: port -> {shape, dtype, values}} or {error: text}.
Everything runs in float64 (module.double(), float64 inputs and draws), in
training mode, as the TF.js forward ran.
"""
import json
import sys
import traceback

import torch
import torch.nn.functional as F

import gencomposer as gc

DT = torch.float64


def to_torch_layout(values, layout):
    """Our kernels [in, out], [kh, kw, in, out] and [kh, kw, out, in] as nn.Linear, nn.Conv2d and nn.ConvTranspose2d hold them."""
    if layout == 'linear':
        return values.t()
    if layout in ('conv', 'convT'):
        return values.permute(3, 2, 0, 1)
    if layout == 'same':
        return values
    raise ValueError(f'unknown layout {layout}')


def tensor(spec):
    return torch.tensor(spec['values'], dtype=DT).reshape(spec['shape'])


def inputs_of(case):
    out = {}
    for port, spec in case['inputs'].items():
        if spec['dtype'] == 'int32':
            out[port] = torch.tensor(spec['values'], dtype=torch.long).reshape(spec['shape'])
        else:
            out[port] = tensor(spec)
    return out


def build(case):
    form = case['module']
    module = eval(f"gc.{form['class']}({form['args']})", {'gc': gc})
    if not isinstance(module, torch.nn.Module):
        raise TypeError(f"gc.{form['class']} is not an nn.Module")
    ties = case.get('ties') or {}
    if len(ties) > 1:
        raise ValueError(f'{len(ties)} tied variables; a kind ties one matrix at most')
    for spec in ties.values():
        lent = torch.nn.Parameter(to_torch_layout(tensor(spec), spec['layout']).contiguous())
        module.tie(lent, transposed=spec['transposed'])
    expected = set(case['weights']) | set(ties)
    names = set(module.state_dict().keys())
    if names != expected:
        raise ValueError(f'state_dict holds {sorted(names)}, the torch form maps {sorted(expected)}')
    state = {}
    for name, spec in case['weights'].items():
        state[name] = to_torch_layout(tensor(spec), spec['layout'])
        if tuple(state[name].shape) != tuple(module.state_dict()[name].shape):
            raise ValueError(f'{name}: the module holds {list(module.state_dict()[name].shape)}, our variable gives {list(state[name].shape)}')
    missing, unexpected = module.load_state_dict(state, strict=False)
    if set(missing) != set(ties) or unexpected:
        raise ValueError(f'load_state_dict: missing {missing}, unexpected {unexpected}')
    return module.double().train()


def run_case(case):
    inputs = inputs_of(case)
    ctx = gc.Context(random=gc.ReplayRandom(case['random'], dtype=DT), batch=case['batch'])
    ports = case['outputs']
    if case.get('module'):
        module = build(case)
        result = module(**inputs, ctx=ctx) if case['module']['context'] else module(**inputs)
        if isinstance(result, torch.Tensor):
            if len(ports) != 1:
                raise TypeError(f'one tensor returned for the ports {ports}; a kind with several outputs returns a dict')
            result = {ports[0]: result}
        elif not isinstance(result, dict):
            raise TypeError(f'forward returned {type(result).__name__}')
    else:
        scope = {'torch': torch, 'F': F, 'gc': gc}
        scope.update({f'in_{port}': value for port, value in inputs.items()})
        result = {port: eval(expr, scope) for port, expr in case['inline'].items()}
    if sorted(result) != sorted(ports):
        raise ValueError(f'outputs {sorted(result)}, the node has {sorted(ports)}')
    left = ctx.random.draws
    if left:
        raise ValueError(f'{len(left)} of the TF.js random draws left unused: {[(d["kind"], d["shape"]) for d in left]}')
    out = {}
    for port, value in result.items():
        if not isinstance(value, torch.Tensor):
            raise TypeError(f'output {port} is {type(value).__name__}, not a tensor')
        out[port] = {'shape': list(value.shape), 'dtype': str(value.dtype).replace('torch.', ''), 'values': value.detach().reshape(-1).tolist()}
    return {'outputs': out}


def main():
    cases = json.load(sys.stdin)
    results = []
    for case in cases:
        try:
            results.append(run_case(case))
        except Exception:  # reported per case by the test
            results.append({'error': traceback.format_exc()})
    json.dump(results, sys.stdout)


if __name__ == '__main__':
    main()
