"""
Reading and writing safetensors files (weights.safetensors) without the
safetensors package, which torch 1.13's environments often lack.

The format: an 8-byte little-endian length N, N bytes of JSON naming each
tensor's dtype, shape and byte range ("data_offsets", relative to the end of
the header) plus an optional "__metadata__" object of strings, then the raw
little-endian bytes of every tensor. Reading executes nothing, unlike a
pickle. A file is treated as untrusted: the header, every dtype, shape and
range are checked (the ranges must tile the data exactly) before a tensor is
made, and a problem is one line naming the file and the tensor.

The writer lays tensors out as GenComposer does (src/core/export/
safetensors.ts): in name order, each range right after the last, the header
padded with spaces to a multiple of 8 bytes. A file GenComposer wrote and
this module rewrites is the same bytes.
"""
import json
import struct
import sys

import torch

__all__ = ['load_safetensors', 'save_safetensors', 'read_safetensors_metadata', 'SafetensorsError', 'DTYPES']

DTYPES = {
    'F64': torch.float64,
    'F32': torch.float32,
    'F16': torch.float16,
    'BF16': torch.bfloat16,
    'I64': torch.int64,
    'I32': torch.int32,
    'I16': torch.int16,
    'I8': torch.int8,
    'U8': torch.uint8,
    'BOOL': torch.bool,
}
NAMES = {dtype: name for name, dtype in DTYPES.items()}
MAX_HEADER_BYTES = 100_000_000
MAX_RANK = 8
METADATA = '__metadata__'


class SafetensorsError(ValueError):
    """A safetensors file that cannot be read, or tensors that cannot be written as one."""


def _item_size(dtype):
    return torch.empty((), dtype=dtype).element_size()


def _is_size(value):
    # JSON numbers such as 2.0 are integers to JavaScript too; booleans are not numbers.
    if isinstance(value, bool):
        return False
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return isinstance(value, int) and 0 <= value <= 2 ** 53 - 1


def _unique_object(pairs, fail):
    out = {}
    for key, value in pairs:
        if key in out:
            fail(f'its header names "{key}" twice')
        out[key] = value
    return out


def _read_header(path, data):
    def fail(reason):
        raise SafetensorsError(f'{path}: {reason}')

    if len(data) < 8:
        fail(f'{len(data)} bytes is too short for a safetensors file')
    (header_bytes,) = struct.unpack_from('<Q', data, 0)
    if header_bytes > min(MAX_HEADER_BYTES, len(data) - 8):
        fail(f'its header claims {header_bytes} bytes, more than the file holds or {MAX_HEADER_BYTES} allows')
    start = 8 + header_bytes
    try:
        text = bytes(data[8:start]).decode('utf-8')
    except UnicodeDecodeError:
        fail('its header is not UTF-8 JSON')

    def constant(name):
        fail(f'its header is not UTF-8 JSON ({name} is not JSON)')

    try:
        header = json.loads(text, object_pairs_hook=lambda pairs: _unique_object(pairs, fail), parse_constant=constant)
    except json.JSONDecodeError:
        fail('its header is not UTF-8 JSON')
    if not isinstance(header, dict):
        fail('its header is not a JSON object')
    metadata = {}
    entries = []
    for name, value in header.items():
        if name == METADATA:
            if not isinstance(value, dict):
                fail('its __metadata__ is not an object')
            for key, item in value.items():
                if not isinstance(item, str):
                    fail(f'its __metadata__ "{key}" is not a string')
                metadata[key] = item
            continue
        ok = (
            isinstance(value, dict)
            and isinstance(value.get('dtype'), str)
            and isinstance(value.get('shape'), list)
            and len(value['shape']) <= MAX_RANK
            and all(_is_size(d) for d in value['shape'])
            and isinstance(value.get('data_offsets'), list)
            and len(value['data_offsets']) == 2
            and all(_is_size(o) for o in value['data_offsets'])
        )
        if not ok:
            fail(f'tensor "{name}" needs a dtype, a shape of at most {MAX_RANK} sizes and two data offsets')
        entries.append((name, value['dtype'], [int(d) for d in value['shape']], [int(o) for o in value['data_offsets']]))
    data_length = len(data) - start
    # The ranges must tile the data exactly: no gap, no overlap, nothing left over.
    expected = 0
    for name, _, _, (begin, end) in sorted(entries, key=lambda e: e[3][0]):
        if begin != expected:
            fail(f'tensor "{name}" starts at byte {begin} where {expected} was due (ranges must follow one another)')
        if end < begin or end > data_length:
            fail(f'tensor "{name}" ends at byte {end}, outside the {data_length} bytes of data')
        expected = end
    if expected != data_length:
        fail(f'its tensors cover {expected} of the {data_length} bytes of data')
    for name, dtype, shape, (begin, end) in entries:
        if dtype not in DTYPES:
            fail(f'tensor "{name}" has dtype {dtype}; {", ".join(DTYPES)} are read')
        count = 1
        for d in shape:
            count *= d
        needed = count * _item_size(DTYPES[dtype])
        if needed != end - begin:
            fail(f'tensor "{name}" of shape {shape} needs {needed} bytes, its range holds {end - begin}')
    return start, entries, metadata


def _read_bytes(path):
    with open(path, 'rb') as f:
        return f.read()


def read_safetensors_metadata(path):
    """The file's __metadata__ (a dict of strings; empty when it has none), checked like load_safetensors checks the file."""
    return _read_header(path, _read_bytes(path))[2]


def load_safetensors(path, device='cpu'):
    """Every tensor of a safetensors file, as a dict name -> torch.Tensor (on `device`), in the file's header order."""
    data = bytearray(_read_bytes(path))
    start, entries, _ = _read_header(path, data)
    out = {}
    for name, dtype, shape, (begin, end) in entries:
        torch_dtype = DTYPES[dtype]
        if end == begin:
            tensor = torch.empty(shape, dtype=torch_dtype)
        else:
            raw = torch.frombuffer(data, dtype=torch.uint8, count=end - begin, offset=start + begin).clone()
            if torch_dtype == torch.bool and int(raw.max()) > 1:
                raise SafetensorsError(f'{path}: tensor "{name}" of dtype BOOL holds a byte other than 0 and 1')
            size = _item_size(torch_dtype)
            if sys.byteorder == 'big' and size > 1:
                raw = raw.reshape(-1, size).flip(1).reshape(-1)
            tensor = raw.view(torch_dtype).reshape(shape)
        out[name] = tensor.to(device)
    return out


def _tensor_bytes(tensor):
    flat = tensor.detach().to('cpu').contiguous().reshape(-1)
    if flat.numel() == 0:
        return b''
    raw = flat.view(torch.uint8)
    size = flat.element_size()
    if sys.byteorder == 'big' and size > 1:
        raw = raw.reshape(-1, size).flip(1).reshape(-1)
    return raw.numpy().tobytes()


def save_safetensors(path, tensors, metadata=None):
    """Writes a dict name -> tensor (any device; copied to the CPU) and optional string metadata as one safetensors file."""
    metadata = dict(metadata or {})
    for key, value in metadata.items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise SafetensorsError(f'{path}: metadata "{key}" must map a string to a string')
    header = {METADATA: metadata} if metadata else {}
    for name in tensors:
        if not isinstance(name, str) or name == METADATA:
            raise SafetensorsError(f'{path}: tensor name {name!r} is reserved or not a string')
    chunks = []
    offset = 0
    # JavaScript's string order (UTF-16 code units), as GenComposer's writer sorts.
    for name in sorted(tensors, key=lambda n: n.encode('utf-16-be', 'surrogatepass')):
        tensor = tensors[name]
        if not isinstance(tensor, torch.Tensor):
            raise SafetensorsError(f'{path}: tensor "{name}" is a {type(tensor).__name__}, not a torch.Tensor')
        if tensor.dtype not in NAMES:
            raise SafetensorsError(f'{path}: tensor "{name}" has dtype {tensor.dtype}; {", ".join(str(d) for d in NAMES)} are written')
        if tensor.dim() > MAX_RANK:
            raise SafetensorsError(f'{path}: tensor "{name}" has {tensor.dim()} dimensions; at most {MAX_RANK} are written')
        raw = _tensor_bytes(tensor)
        header[name] = {'dtype': NAMES[tensor.dtype], 'shape': list(tensor.shape), 'data_offsets': [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(',', ':'), ensure_ascii=False).encode('utf-8')
    padded = -(-len(text) // 8) * 8
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', padded))
        f.write(text + b' ' * (padded - len(text)))
        for raw in chunks:
            f.write(raw)
