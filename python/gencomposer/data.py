"""
The datasets of GenComposer's Data node, for train.py and sample.py: the
same files, the same examples, the same training/validation/test splits and
the same training batches as GenComposer's own data sources (src/core/data).

    ds = load_dataset({'dataset': 'mnist', 'layout': 'image'}, 'train', 'data', seed=0)
    for step, batch in zip(range(steps), batches(ds, 64, rank, world_size, step=0)):
        ...  # batch['x']: [64 // world_size, 28, 28, 1] float32; batch['y']: [64 // world_size] int64

Splits and orders come from GenComposer's own seeded generator
(xoshiro128**, ported below as Rng), so a seed splits the data exactly as the
app does: the same validation examples, the same MNIST test images. The 2D
toy sets and the reverse-strings pool are generated with it too, so they
hold the same points and strings (up to the last bit of float32 rounding of
sin, cos and log, which JavaScript and Python may compute differently).

Batches are dicts port -> tensor with the Data node's ports: x, y and, for
reverse-strings, yIn. Images are channels last ([B, H, W, C]) or flat; grey
levels become floats by the node's range (unit [0, 1], signed [-1, 1],
binary 0/1 at half intensity); tokens and class labels are torch.long.

Training batches follow GenComposer: the training examples form an endless
stream of epochs, each a fresh shuffle seeded by the epoch number, and step k
reads stream positions [k * B, (k + 1) * B). Under DistributedDataParallel
each of W ranks reads a contiguous B / W of that global batch, so the ranks
together see exactly the examples one process sees.
"""
import io
import math
import os
import re
import struct
import zipfile

import torch

__all__ = [
    'load_dataset', 'batches', 'train_batch', 'Dataset', 'DataError', 'Rng', 'stream_rng', 'decode_tokens',
    'DATASETS', 'CHAR_VOCAB', 'MNIST_FILE', 'NAMES_FILE', 'MNIST_TEST_SIZE', 'TOY_POOL_SIZE', 'REVERSE_POOL_SIZE',
]

BUILTIN_DATASETS = ('mnist', 'two-moons', 'eight-gaussians', 'swiss-roll', 'checkerboard', 'rings', 'names', 'reverse-strings')
USER_DATASETS = ('csv', 'images', 'text')
DATASETS = BUILTIN_DATASETS + USER_DATASETS
TOY_2D = ('two-moons', 'eight-gaussians', 'swiss-roll', 'checkerboard', 'rings')

# Index 0 pads, 1 marks the start and the end of a word, 2..27 are 'a'..'z'.
CHAR_VOCAB = ('_', '.') + tuple('abcdefghijklmnopqrstuvwxyz')
PAD = 0
BOUNDARY = 1

# Paths below the data folder, as in GenComposer's public/ folder.
MNIST_FILE = 'mnist.bin'
NAMES_FILE = 'names.txt'
MNIST_MAGIC = b'GCMNIST1'
MNIST_TEST_SIZE = 1000
MNIST_TEST_SEED = 0x6D6E6973

TOY_POOL_SIZE = 20000
TWO_MOONS_NOISE = 0.05
TWO_MOONS_MEAN = (0.5, 0.25)
TWO_MOONS_STD = (math.sqrt(0.75 + TWO_MOONS_NOISE ** 2), math.sqrt(0.625 - 1 / math.pi - 0.0625 + TWO_MOONS_NOISE ** 2))
EIGHT_GAUSSIANS_RADIUS = 2
EIGHT_GAUSSIANS_STD = 0.02
EIGHT_GAUSSIANS_CENTRES = tuple(
    (EIGHT_GAUSSIANS_RADIUS * math.cos(k * math.pi / 4), EIGHT_GAUSSIANS_RADIUS * math.sin(k * math.pi / 4)) for k in range(8)
)
RINGS_RADII = (3, 2.25, 1.5, 0.75)
RINGS_NOISE = 0.08
SWISS_ROLL_NOISE = 1

REVERSE_POOL_SIZE = 20000
REVERSE_MIN_LENGTH = 3

# The limits GenComposer puts on a user's files (src/core/data/user-limits.ts).
LIMITS = {
    'file_bytes': 256 * 1024 * 1024,
    'image_bytes': 512 * 1024 * 1024,
    'image_file_bytes': 64 * 1024 * 1024,
    'entries': 100000,
    'images': 100000,
    'pixel_values': 256 * 1024 * 1024,
    'classes': 10000,
    'rows': 1000000,
    'cells': 32 * 1024 * 1024,
    'cell_length': 1024,
    'lines': 1000000,
    'line_length': 4096,
    'tokens': 32 * 1024 * 1024,
}

# The Data node's params and their defaults (src/core/data/datasets.ts).
DEFAULT_PARAMS = {
    'dataset': 'mnist', 'layout': 'flat', 'range': 'unit', 'context': 16, 'file': '', 'columns': 2,
    'header': 'auto', 'labels': 'none', 'height': 28, 'width': 28, 'channels': 1,
}
CHOICES = {
    'dataset': DATASETS, 'layout': ('flat', 'image'), 'range': ('unit', 'signed', 'binary'),
    'header': ('auto', 'yes', 'no'), 'labels': ('none', 'first-column', 'last-column', 'folders'), 'channels': (1, 3),
}
INT_RANGES = {'context': (2, 1024), 'columns': (1, 4096), 'height': (1, 1024), 'width': (1, 1024)}

# What JavaScript's String.prototype.trim removes (Python's strip() differs at the edges).
JS_SPACE = '\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff'
M32 = 0xFFFFFFFF


class DataError(ValueError):
    """A data file that cannot be used: missing, malformed, over a limit, or not what the Data node declares."""


def _js_order(text):
    """Sort key of JavaScript's default string order (UTF-16 code units), which names and paths are sorted by."""
    return text.encode('utf-16-be', 'surrogatepass')


# ---------------------------------------------------------------------------
# GenComposer's seeded generator (src/core/base/random.ts)
# ---------------------------------------------------------------------------

def _rotl(x, k):
    return ((x << k) | (x >> (32 - k))) & M32


class Rng:
    """xoshiro128** seeded through splitmix32, draw for draw the generator GenComposer splits and shuffles with."""

    def __init__(self, seed):
        s = seed & M32
        state = []
        for _ in range(4):
            s = (s + 0x9E3779B9) & M32
            z = s
            z = ((z ^ (z >> 16)) * 0x85EBCA6B) & M32
            z = ((z ^ (z >> 13)) * 0xC2B2AE35) & M32
            state.append(z ^ (z >> 16))
        self.a, self.b, self.c, self.d = state
        self._spare = None

    def next_uint32(self):
        a, b, c, d = self.a, self.b, self.c, self.d
        result = (_rotl((b * 5) & M32, 7) * 9) & M32
        t = (b << 9) & M32
        c ^= a
        d ^= b
        b ^= c
        a ^= d
        c ^= t
        self.a, self.b, self.c, self.d = a, b, c, _rotl(d, 11)
        return result

    def uniform(self):
        """Uniform in [0, 1)."""
        return self.next_uint32() / 4294967296.0

    def normal(self):
        """Standard normal (Box-Muller, keeping the second value)."""
        if self._spare is not None:
            value, self._spare = self._spare, None
            return value
        u = 0.0
        while u == 0.0:
            u = self.uniform()
        v = self.uniform()
        r = math.sqrt(-2 * math.log(u))
        self._spare = r * math.sin(2 * math.pi * v)
        return r * math.cos(2 * math.pi * v)

    def integer(self, high):
        """Integer in [0, high)."""
        return math.floor(self.uniform() * high)


def stream_rng(seed, stream):
    """An independent generator for one use of the seed ('split', 'pool', 'epoch 3'): FNV-1a of the name mixed with the seed."""
    h = 0x811C9DC5
    units = _js_order(stream)
    for unit in struct.unpack(f'>{len(units) // 2}H', units):
        h = ((h ^ unit) * 0x01000193) & M32
    return Rng((h ^ (((seed & M32) * 0x9E3779B1) & M32)) & M32)


def _shuffle(values, rng):
    """Fisher-Yates in place, drawing as GenComposer's shuffleInPlace does."""
    for i in range(len(values) - 1, 0, -1):
        j = rng.integer(i + 1)
        values[i], values[j] = values[j], values[i]
    return values


def _validation_count(n, share):
    # JavaScript's Math.round: halves round up.
    return math.floor(n * share + 0.5)


def _split(indices, share, seed):
    """Shuffles the indices by the seed's 'split' stream; the first round(n * share) are validation, the rest training."""
    order = _shuffle(list(indices), stream_rng(seed, 'split'))
    k = _validation_count(len(order), share)
    return {'validation': order[:k], 'train': order[k:]}


# ---------------------------------------------------------------------------
# Params
# ---------------------------------------------------------------------------

def _segment_ok(segment):
    first, rest = segment[:1], segment[1:]
    if not first or not (first.isalpha() or first.isnumeric() or first == '_') or segment.endswith(' '):
        return False
    return all(ch.isalpha() or ch.isnumeric() or ch in '_ .()+-' for ch in rest)


def _check_file_name(name):
    """User file names stay inside the data folder: a relative path of plain segments, as GenComposer requires."""
    if len(name.encode('utf-16-le', 'surrogatepass')) // 2 > 200:
        raise DataError('a file name has at most 200 characters')
    if not all(_segment_ok(s) for s in name.split('/')):
        raise DataError(f'"{name}" is not a plain file name: use letters, digits, spaces and . _ - ( ) +, \'/\' between folders, no leading dot or slash and no ".."')


def data_params(params):
    """The Data node's params (camelCase, as in the graph) with defaults filled in, checked as GenComposer checks them."""
    unknown = sorted(set(params) - set(DEFAULT_PARAMS))
    if unknown:
        raise ValueError(f'unknown Data params {unknown}; known: {sorted(DEFAULT_PARAMS)}')
    p = {**DEFAULT_PARAMS, **params}
    for name, choices in CHOICES.items():
        if p[name] not in choices or isinstance(p[name], bool):
            raise ValueError(f'Data param {name} is {p[name]!r}; one of {list(choices)}')
    for name, (low, high) in INT_RANGES.items():
        value = p[name]
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ValueError(f'Data param {name} is {value!r}; an integer in [{low}, {high}]')
    if not isinstance(p['file'], str):
        raise ValueError(f'Data param file is {p["file"]!r}; a file name')
    if p['file']:
        _check_file_name(p['file'])
    return p


# ---------------------------------------------------------------------------
# The dataset object
# ---------------------------------------------------------------------------

class Dataset:
    """
    One split of a Data node's dataset, in memory.

    len(ds) is the number of examples in the split; ds.batch(positions)
    gathers examples by position (0 <= position < len(ds)) into a dict port
    -> tensor with the batch axis in front; ds.examples(start, count) reads
    positions [start, start + count) in the split's fixed order (how
    GenComposer reads validation and test examples); ds[i] is one example
    without the batch axis. For the training split, ds.stream_positions(start,
    count) are the positions at places [start, start + count) of the endless
    stream of shuffled epochs that training batches are read from.

    ports: the Data node's output ports in order; shapes: each port's shape
    of one example; vocabulary and decode(tokens): text datasets; classes:
    class names of labels read from a user file.
    """

    def __init__(self, name, split, columns, rows, seed, shuffle, vocabulary=None, classes=None, training_texts=None):
        self.name = name
        self.split = split
        self._columns = columns
        self.rows = torch.tensor(rows, dtype=torch.long)
        self.seed = seed
        self.shuffle = shuffle
        self.ports = tuple(columns)
        self.shapes = {port: tuple(c['values'].shape[1:]) for port, c in columns.items()}
        self.vocabulary = vocabulary
        self.classes = classes
        self.training_texts = training_texts
        self._epoch = None

    def __len__(self):
        return len(self.rows)

    def __repr__(self):
        shapes = ', '.join(f'{p}: {list(s)}' for p, s in self.shapes.items())
        return f'<Dataset {self.name} {self.split}: {len(self)} examples; {shapes}>'

    def batch(self, positions):
        """Examples at these positions of the split, as a dict port -> tensor [n, ...]."""
        positions = torch.as_tensor(positions, dtype=torch.long)
        if len(positions) and (int(positions.min()) < 0 or int(positions.max()) >= len(self)):
            raise IndexError(f'{self.name} {self.split}: positions must lie in [0, {len(self)})')
        index = self.rows[positions]
        out = {}
        for port, column in self._columns.items():
            values = column['values'][index]
            lookup = column.get('lookup')
            out[port] = lookup[values.long()] if lookup is not None else values
        return out

    def __getitem__(self, i):
        if not -len(self) <= i < len(self):
            raise IndexError(f'{self.name} {self.split}: example {i} of {len(self)}')
        return {port: t[0] for port, t in self.batch([i % len(self)]).items()}

    def examples(self, start, count):
        """Examples at positions [start, start + count) in order, the end clipped to the split's size (validation and test batches)."""
        if not 0 <= start < len(self):
            raise IndexError(f'{self.name} {self.split}: start {start} is outside [0, {len(self)})')
        if count < 1:
            raise ValueError(f'count must be a positive integer, got {count}')
        return self.batch(range(start, min(len(self), start + count)))

    def _epoch_order(self, epoch, seed):
        if not self.shuffle:
            return None
        if self._epoch is None or self._epoch[0] != (epoch, seed):
            self._epoch = ((epoch, seed), _shuffle(list(range(len(self))), stream_rng(seed, f'epoch {epoch}')))
        return self._epoch[1]

    def stream_positions(self, start, count, seed=None):
        """Positions of stream places [start, start + count): epoch after epoch over the split, each shuffled by the seed's 'epoch <n>' stream."""
        n = len(self)
        if n == 0:
            raise DataError('no training examples to draw from (is the dataset empty?)')
        seed = self.seed if seed is None else seed
        out = []
        for place in range(start, start + count):
            order = self._epoch_order(place // n, seed)
            out.append(place % n if order is None else order[place % n])
        return out

    def decode(self, tokens):
        """Tokens back to text (text datasets): see decode_tokens."""
        return decode_tokens(tokens)


def decode_tokens(tokens):
    """Character tokens back to text: a leading start token is skipped, reading stops at the end token or padding."""
    tokens = [int(t) for t in tokens]
    text = []
    for t in tokens[1 if tokens[:1] == [BOUNDARY] else 0:]:
        if t in (BOUNDARY, PAD):
            break
        text.append(CHAR_VOCAB[t] if BOUNDARY < t < len(CHAR_VOCAB) else '?')
    return ''.join(text)


def train_batch(dataset, batch_size, step, rank=0, world_size=1, seed=None):
    """
    This rank's share of step `step`'s training batch: the global batch is
    stream places [step * batch_size, (step + 1) * batch_size), and rank r of
    world_size takes the contiguous r-th of batch_size // world_size of them.
    """
    if dataset.split != 'train':
        raise ValueError(f'training batches come from the train split, not {dataset.split}; read it in order with dataset.examples(start, count)')
    if batch_size < 1 or world_size < 1 or not 0 <= rank < world_size:
        raise ValueError(f'batch size {batch_size}, rank {rank} of {world_size}: need batch size >= 1 and 0 <= rank < world size')
    if batch_size % world_size:
        raise ValueError(f'a batch of {batch_size} does not split evenly over {world_size} ranks; choose a batch size that is a multiple of the number of processes')
    share = batch_size // world_size
    return dataset.batch(dataset.stream_positions(step * batch_size + rank * share, share, seed))


def batches(dataset, batch_size, rank=0, world_size=1, seed=None, step=0):
    """Training batches from step `step` on, one per step, endlessly: train_batch for step, step + 1, ..."""
    while True:
        yield train_batch(dataset, batch_size, step, rank, world_size, seed)
        step += 1


# ---------------------------------------------------------------------------
# Built-in datasets
# ---------------------------------------------------------------------------

def _grey_lookup(range_name):
    """Grey level 0..255 to the value a batch carries, computed in double and rounded to float32 as GenComposer does."""
    levels = torch.arange(256, dtype=torch.float64)
    if range_name == 'signed':
        table = 2 * levels / 255 - 1
    elif range_name == 'binary':
        table = (levels >= 128).double()
    else:
        table = levels / 255
    return table.float()


def _read_file(path, what):
    try:
        with open(path, 'rb') as f:
            return f.read()
    except FileNotFoundError:
        raise DataError(f'{what} is missing: looked for {path}') from None


def _load_mnist(data_dir):
    path = os.path.join(data_dir, MNIST_FILE)
    data = _read_file(path, 'the MNIST file')

    def fail(why):
        raise DataError(f"{path} is not a packed MNIST file ({why}); copy it again from GenComposer's public/data/mnist.bin")

    if len(data) < 20:
        fail(f'only {len(data)} bytes')
    if data[:8] != MNIST_MAGIC:
        fail('wrong magic')
    count, rows, cols = struct.unpack_from('<III', data, 8)
    if len(data) != 20 + count + count * rows * cols:
        fail(f'{len(data)} bytes where the header implies {20 + count + count * rows * cols}')
    if (rows, cols) != (28, 28):
        raise DataError(f'{path} holds {rows}x{cols} images, not 28x28')
    if count <= MNIST_TEST_SIZE:
        raise DataError(f'{path} holds only {count} images')
    labels = torch.frombuffer(bytearray(data[20:20 + count]), dtype=torch.uint8)
    if int(labels.max()) > 9:
        fail(f'label {int(labels.max())}')
    pixels = torch.frombuffer(bytearray(data[20 + count:]), dtype=torch.uint8).reshape(count, rows, cols, 1)
    return labels.long(), pixels


def _open_mnist(p, split, data_dir, seed, share):
    labels, pixels = _load_mnist(data_dir)
    count = len(labels)
    order = _shuffle(list(range(count)), Rng(MNIST_TEST_SEED))
    test, rest = order[:MNIST_TEST_SIZE], order[MNIST_TEST_SIZE:]
    rows = test if split == 'test' else _split(rest, share, seed)[split]
    x = pixels if p['layout'] == 'image' else pixels.reshape(count, -1)
    return {'x': {'values': x, 'lookup': _grey_lookup(p['range'])}, 'y': {'values': labels}}, rows, {}


def _js_trim(text):
    return text.strip(JS_SPACE)


def _letter_tokens(word):
    return [2 + ord(ch) - ord('a') for ch in word]


def _name_rows(names, context):
    """Rows of context + 1 tokens: [1, letters..., 1] padded with 0."""
    rows = torch.zeros(len(names), context + 1, dtype=torch.long)
    for i, name in enumerate(names):
        tokens = [BOUNDARY] + _letter_tokens(name) + [BOUNDARY]
        rows[i, :len(tokens)] = torch.tensor(tokens, dtype=torch.long)
    return rows


def _text_columns(names, context):
    tokens = _name_rows(names, context)
    return {'x': {'values': tokens[:, :context]}, 'y': {'values': tokens[:, 1:]}}


def load_names(data_dir):
    """names.txt as GenComposer reads it: lowercase words of a-z, deduplicated, sorted."""
    path = os.path.join(data_dir, NAMES_FILE)
    text = _read_file(path, 'the names file').decode('utf-8', 'replace')
    if text.startswith('\ufeff'):
        text = text[1:]
    kept = {}
    for line in text.split('\n'):
        word = _js_trim(line).lower()
        if re.fullmatch('[a-z]+', word):
            kept[word] = True
    if not kept:
        raise DataError(f"{path} holds no names; copy it again from GenComposer's public/data/names.txt")
    return sorted(kept)


def _open_names(p, split, data_dir, seed, share):
    context = p['context']
    kept = [n for n in load_names(data_dir) if len(n) <= context - 1]
    if not kept:
        raise DataError(f'no name fits a context of {context} tokens')
    parts = _split(range(len(kept)), share, seed)
    extra = {'vocabulary': CHAR_VOCAB, 'training_texts': frozenset(kept[i] for i in parts['train'])}
    return _text_columns(kept, context), parts[split], extra


def reverse_strings(seed, context, count=REVERSE_POOL_SIZE):
    """`count` distinct random strings of a-z, lengths uniform in [3, context - 2], as GenComposer draws them (at most 5 * count tries)."""
    max_length = context - 2
    if max_length < REVERSE_MIN_LENGTH:
        raise ValueError(f'reverse-strings needs a context of at least {REVERSE_MIN_LENGTH + 2}, got {context}')
    rng = stream_rng(seed, 'pool')
    letters = 'abcdefghijklmnopqrstuvwxyz'
    pool = {}
    tries = 0
    while len(pool) < count and tries < 5 * count:
        length = REVERSE_MIN_LENGTH + rng.integer(max_length - REVERSE_MIN_LENGTH + 1)
        pool[''.join(letters[rng.integer(26)] for _ in range(length))] = True
        tries += 1
    return list(pool)


def _open_reverse_strings(p, split, data_dir, seed, share):
    context = p['context']
    strings = reverse_strings(seed, context)
    source = torch.zeros(len(strings), context, dtype=torch.long)
    target = torch.zeros(len(strings), context + 1, dtype=torch.long)
    for i, s in enumerate(strings):
        letters = _letter_tokens(s)
        source[i, :len(letters)] = torch.tensor(letters, dtype=torch.long)
        reversed_row = [BOUNDARY] + letters[::-1] + [BOUNDARY]
        target[i, :len(reversed_row)] = torch.tensor(reversed_row, dtype=torch.long)
    columns = {'x': {'values': source}, 'yIn': {'values': target[:, :context]}, 'y': {'values': target[:, 1:]}}
    return columns, _split(range(len(strings)), share, seed)[split], {'vocabulary': CHAR_VOCAB}


def _toy_point(dataset, rng):
    if dataset == 'two-moons':
        t = rng.uniform() * math.pi
        upper = rng.uniform() < 0.5
        x = (math.cos(t) if upper else 1 - math.cos(t)) + TWO_MOONS_NOISE * rng.normal()
        y = (math.sin(t) if upper else 0.5 - math.sin(t)) + TWO_MOONS_NOISE * rng.normal()
        return (x - TWO_MOONS_MEAN[0]) / TWO_MOONS_STD[0], (y - TWO_MOONS_MEAN[1]) / TWO_MOONS_STD[1]
    if dataset == 'eight-gaussians':
        cx, cy = EIGHT_GAUSSIANS_CENTRES[rng.integer(8)]
        return cx + EIGHT_GAUSSIANS_STD * rng.normal(), cy + EIGHT_GAUSSIANS_STD * rng.normal()
    if dataset == 'swiss-roll':
        t = 1.5 * math.pi * (1 + 2 * rng.uniform())
        return (t * math.cos(t) + SWISS_ROLL_NOISE * rng.normal()) / 5, (t * math.sin(t) + SWISS_ROLL_NOISE * rng.normal()) / 5
    if dataset == 'checkerboard':
        x1 = rng.uniform() * 4 - 2
        x2 = rng.uniform() - rng.integer(2) * 2 + math.floor(x1) % 2
        return x1 * 2, x2 * 2
    if dataset == 'rings':
        r = RINGS_RADII[rng.integer(len(RINGS_RADII))]
        a = rng.uniform() * 2 * math.pi
        return r * math.cos(a) + RINGS_NOISE * rng.normal(), r * math.sin(a) + RINGS_NOISE * rng.normal()
    raise ValueError(f'{dataset} is not a 2D toy dataset')


def sample_toy_2d(dataset, count, rng):
    """`count` points [count, 2] float32 of a 2D toy distribution (see GenComposer's toy2d.ts for the constructions)."""
    return torch.tensor([_toy_point(dataset, rng) for _ in range(count)], dtype=torch.float64).float()


def _open_toy_2d(p, split, data_dir, seed, share):
    dataset = p['dataset']
    points = sample_toy_2d(dataset, TOY_POOL_SIZE, stream_rng(seed, f'pool:{dataset}'))
    return {'x': {'values': points}}, _split(range(TOY_POOL_SIZE), share, seed)[split], {}


# ---------------------------------------------------------------------------
# The user's own files: csv, images, text
# ---------------------------------------------------------------------------

def _format_bytes(n):
    mb = 1024 * 1024
    if n >= mb:
        return f'{n / mb:.0f} MB' if n % mb == 0 else f'{n / mb:.1f} MB'
    return f'{n:,} byte{"" if n == 1 else "s"}'


def _utf8_text(data, name):
    """The file as text: UTF-8 only (a byte-order mark is dropped), an error naming the first bad byte otherwise."""
    if len(data) > LIMITS['file_bytes']:
        raise DataError(f'{name} is {_format_bytes(len(data))}; the limit is {_format_bytes(LIMITS["file_bytes"])}')
    try:
        text = data.decode('utf-8')
    except UnicodeDecodeError as error:
        raise DataError(f'{name} is not UTF-8 text: {error.reason}, at byte offset {error.start}') from None
    return text[1:] if text.startswith('\ufeff') else text


def parse_text_lines(data, name, context):
    """A text file's examples: lines trimmed and lowercased, blank ones skipped, letters a-z only, each at most context - 1 letters."""
    text = _utf8_text(data, name)
    max_lines = min(LIMITS['lines'], LIMITS['tokens'] // (context + 1))
    lines = []
    for number, raw in enumerate(re.split('\r\n|\r|\n', text), start=1):
        length = len(raw.encode('utf-16-le', 'surrogatepass')) // 2
        if length > LIMITS['line_length']:
            raise DataError(f'{name} line {number} has {length} characters; the limit is {LIMITS["line_length"]}')
        lead = len(raw) - len(raw.lstrip(JS_SPACE))
        line = _js_trim(raw).lower()
        if not line:
            continue
        bad = re.search('[^a-z]', line)
        if bad:
            c = bad.group()
            shown = 'a space' if c == ' ' else 'a tab' if c == '\t' else f'"{c}"'
            raise DataError(f"{name} line {number}, column {lead + bad.start() + 1}: {shown} is not a letter a-z (the text datasets' vocabulary is a-z only)")
        if len(line) > context - 1:
            raise DataError(f'{name} line {number} has {len(line)} letters; a context of {context} holds at most {context - 1} (set context to at least {len(line) + 1})')
        if len(lines) >= max_lines:
            raise DataError(f'{name} has more than {max_lines:,} lines, the limit at a context of {context}')
        lines.append(line)
    if not lines:
        raise DataError(f'{name} has no lines of text')
    return lines


_NUMBER = re.compile(r'[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?')
_LINE_END = re.compile('\r\n|\r|\n')
_MAX_FIELDS = 4097


def _parse_cell(cell):
    if not _NUMBER.fullmatch(cell):
        return None
    value = float(cell)
    return value if math.isfinite(value) else None


def _csv_records(text, name):
    """(line, cells) of each record that is not blank: quotes may span lines, "" inside quotes is a quote, unquoted cells are trimmed."""
    n = len(text)
    pos = 0
    line = 1
    records = 0
    while pos <= n:
        record_line = line
        end = _LINE_END.search(text, pos)
        segment = text[pos:end.start() if end else n]
        if '"' not in segment:
            cells = [_js_trim(c) for c in segment.split(',')]
            quoted_any = False
            pos = end.end() if end else n + 1
            line += 1
        else:
            cells, pos, line, quoted_any = _csv_quoted_record(text, pos, line, name)
        for cell in cells:
            if len(cell) > LIMITS['cell_length'] // 4 and len(cell.encode('utf-8')) > LIMITS['cell_length']:
                raise DataError(f'{name} line {record_line}: a field longer than {LIMITS["cell_length"]:,} bytes, the limit')
        if len(cells) > _MAX_FIELDS:
            raise DataError(f'{name} line {record_line} has more than {_MAX_FIELDS} fields, the limit')
        if cells == [''] and not quoted_any:
            continue
        if records >= LIMITS['rows'] + 1:
            raise DataError(f'{name} has more than {LIMITS["rows"]:,} rows, the limit')
        records += 1
        yield record_line, cells


def _csv_quoted_record(text, pos, line, name):
    """One record holding quotes, read character by character; returns its cells, where the next record starts, the line there, and True."""
    n = len(text)
    cells, cell = [], []
    quoted = was_quoted = False
    quote_line = line

    def end_cell():
        value = ''.join(cell)
        cells.append(value if was_quoted else _js_trim(value))

    i = pos
    while i < n:
        c = text[i]
        if quoted:
            if c == '"':
                if i + 1 < n and text[i + 1] == '"':
                    cell.append('"')
                    i += 2
                    continue
                quoted = False
            else:
                if c == '\n':
                    line += 1
                cell.append(c)
        elif c == '"':
            if any(ch not in ' \t' for ch in cell):
                raise DataError(f'{name} line {line}, column {len(cells) + 1}: a quote inside an unquoted field; put the whole field in quotes')
            quoted = was_quoted = True
            quote_line = line
            cell = []
        elif c == ',':
            end_cell()
            cell, was_quoted = [], False
        elif c in '\r\n':
            end_cell()
            return cells, i + (2 if text.startswith('\r\n', i) else 1), line + 1, True
        elif was_quoted:
            if c not in ' \t':
                raise DataError(f'{name} line {line}, column {len(cells) + 1}: text after a closing quote')
        else:
            cell.append(c)
        i += 1
    if quoted:
        raise DataError(f'{name} line {quote_line}, column {len(cells) + 1}: a quote is opened and never closed')
    end_cell()
    return cells, n + 1, line, True


def sort_classes(names):
    """Class names in index order: numerically when every one is a number, else in JavaScript's string order."""
    names = list(dict.fromkeys(names))
    if all(_parse_cell(n) is not None for n in names):
        return sorted(names, key=lambda n: (float(n), _js_order(n)))
    return sorted(names, key=_js_order)


def parse_csv(data, name, columns, header, labels):
    """A CSV table as GenComposer reads it: returns (values [rows, columns] float32, labels [rows] long or None, classes or None)."""
    text = _utf8_text(data, name)
    width = columns + (0 if labels == 'none' else 1)
    label_at = 0 if labels == 'first-column' else width - 1 if labels == 'last-column' else -1
    first = 1 if label_at == 0 else 0
    max_rows = min(LIMITS['rows'], LIMITS['cells'] // columns)
    layout = f'{columns} number{"" if columns == 1 else "s"}' + (
        ' plus a label in the first column' if labels == 'first-column' else ' plus a label in the last column' if labels == 'last-column' else '')

    # First the layout and the row count, so a file over the limits is refused before its numbers are read.
    has_header = None
    rows = 0
    for line, cells in _csv_records(text, name):
        if len(cells) != width:
            raise DataError(f'{name} line {line} has {len(cells)} field{"" if len(cells) == 1 else "s"}; the Data node declares {layout}, so {width} per row (set columns to match the file)')
        if has_header is None:
            has_header = header == 'yes' or (header == 'auto' and any(_parse_cell(c) is None for c in cells[first:first + columns]))
            if has_header:
                continue
        if rows >= max_rows:
            raise DataError(f'{name} has more than {max_rows:,} rows of {columns} numbers, the limit')
        rows += 1
    if rows == 0:
        raise DataError(f'{name} has no rows of data')

    values = []
    label_ids = []
    label_index = {}
    skip = has_header
    for line, cells in _csv_records(text, name):
        if skip:
            skip = False
            continue
        for j in range(columns):
            cell = cells[first + j]
            value = _parse_cell(cell)
            if value is None:
                what = 'is empty' if cell == '' else f'"{cell[:40] + "…" if len(cell) > 40 else cell}" is not a number'
                raise DataError(f'{name} line {line}, column {first + j + 1}: {what}')
            values.append(value)
        if label_at >= 0:
            label = cells[label_at]
            if label == '':
                raise DataError(f'{name} line {line}, column {label_at + 1}: the label is empty')
            if label not in label_index:
                if len(label_index) >= LIMITS['classes']:
                    raise DataError(f'{name} has more than {LIMITS["classes"]} distinct labels, the limit')
                label_index[label] = len(label_index)
            label_ids.append(label_index[label])
    table = torch.tensor(values, dtype=torch.float64).float().reshape(rows, columns)
    if label_at < 0:
        return table, None, None
    classes = sort_classes(label_index)
    order = {label_index[c]: i for i, c in enumerate(classes)}
    return table, torch.tensor([order[i] for i in label_ids], dtype=torch.long), classes


_OTHER_IMAGE = re.compile(r'\.(jpe?g|gif|bmp|webp|tiff?|avif|heic)$', re.IGNORECASE)
_PNG_SIGNATURE = b'\x89PNG\r\n\x1a\n'


def _ignored(path):
    """Entries that are bookkeeping, not data: folders, hidden files, macOS's __MACOSX copies, Thumbs.db, desktop.ini."""
    return (path.endswith('/') or any(s.startswith('.') or s == '__MACOSX' for s in path.split('/'))
            or re.search(r'(^|/)(Thumbs\.db|desktop\.ini)$', path, re.IGNORECASE) is not None)


def _check_counts(name, entries, size):
    if entries > LIMITS['entries']:
        raise DataError(f'{name} holds more than {LIMITS["entries"]:,} files, the limit')
    if size > LIMITS['image_bytes']:
        raise DataError(f'{name} holds {_format_bytes(size)} of files; the limit is {_format_bytes(LIMITS["image_bytes"])}')


def _archive_entries(path, name):
    """(path inside, size, read()) of each data file of a zip or a folder, sorted by path."""
    if os.path.isdir(path):
        entries = []
        for root, _, files in os.walk(path):
            for f in files:
                full = os.path.join(root, f)
                inside = os.path.relpath(full, path).replace(os.sep, '/')
                if not _ignored(inside):
                    entries.append((inside, os.path.getsize(full), lambda full=full: _read_file(full, full)))
        _check_counts(name, len(entries), sum(e[1] for e in entries))
    else:
        data = _read_file(path, f'the data file "{name}"')
        if len(data) > LIMITS['file_bytes']:
            raise DataError(f'{name} is {_format_bytes(len(data))}; the limit is {_format_bytes(LIMITS["file_bytes"])}')
        if data[:2] != b'PK':
            raise DataError(f'{name} is not a zip archive (use a .zip of PNG images)')
        try:
            archive = zipfile.ZipFile(io.BytesIO(data))
        except zipfile.BadZipFile as error:
            raise DataError(f'{name} is not a readable zip archive ({error})') from None
        by_path = {}
        for info in archive.infolist():
            # Names without the UTF-8 flag are read byte for byte (latin-1), as GenComposer reads them.
            inside = info.filename if info.flag_bits & 0x800 else info.filename.encode('cp437').decode('latin-1')
            if _ignored(inside):
                continue
            if info.flag_bits & 1:
                raise DataError(f'{name}: {inside} is encrypted; use a zip without a password')
            if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                raise DataError(f'{name}: {inside} is compressed with method {info.compress_type}; only stored and deflated entries are read (zip it again with the default settings)')
            by_path[inside] = info
            _check_counts(name, len(by_path), sum(i.file_size for i in by_path.values()))

        def reader(info, inside):
            def read():
                try:
                    with archive.open(info) as f:
                        out = f.read(info.file_size + 1)
                except (zipfile.BadZipFile, OSError, EOFError) as error:
                    raise DataError(f'{name}: {inside} is damaged in the zip ({error})') from None
                if len(out) != info.file_size:
                    raise DataError(f'{name}: {inside} is damaged in the zip (it unpacks to {len(out):,} bytes, and the directory says {info.file_size:,})')
                return out
            return read

        entries = [(inside, info.file_size, reader(info, inside)) for inside, info in by_path.items()]
    return sorted(entries, key=lambda e: _js_order(e[0]))


def _pil():
    try:
        from PIL import Image
    except ImportError:
        raise DataError('the images dataset decodes PNG files with Pillow, which is not installed: pip install pillow') from None
    return Image


def _decode_png(data, entry, height, width, channels):
    """Grey levels 0..255 [height, width, channels] uint8 as GenComposer decodes a PNG: alpha dropped, 16-bit samples' high byte, palettes looked up."""
    if data[:8] != _PNG_SIGNATURE or len(data) < 24 or data[12:16] != b'IHDR':
        raise DataError(f'{entry} is not a PNG image')
    w, h = struct.unpack_from('>II', data, 16)
    if (w, h) != (width, height):
        raise DataError(f'{entry} is {w}x{h} (width x height); the Data node declares {width}x{height}, and every image must have that size')
    Image = _pil()
    try:
        image = Image.open(io.BytesIO(data), formats=['PNG'])
        image.load()
    except Exception as error:  # Pillow raises many kinds for damaged files
        raise DataError(f'{entry} is a damaged PNG ({error})') from None
    mode = image.mode
    if mode == 'P':
        palette = torch.tensor(image.getpalette() or [], dtype=torch.uint8).reshape(-1, 3)
        index = torch.frombuffer(bytearray(image.tobytes()), dtype=torch.uint8).long().reshape(h, w)
        if len(palette) == 0 or int(index.max()) >= len(palette):
            raise DataError(f'{entry} is a damaged PNG (a pixel points outside its palette)')
        colour = bool(((palette[:, 0] != palette[:, 1]) | (palette[:, 1] != palette[:, 2])).any())
        rgb = palette[index]
        grey = rgb[..., :1]
    elif mode in ('RGB', 'RGBA'):
        colour = True
        rgb = torch.frombuffer(bytearray(image.tobytes()), dtype=torch.uint8).reshape(h, w, len(mode))[..., :3]
    elif mode.startswith('I'):
        # 16-bit grey: the high byte of each sample.
        colour = False
        grey = (torch.tensor(list(image.getdata()), dtype=torch.int64) >> 8).to(torch.uint8).reshape(h, w, 1)
    elif mode in ('1', 'L', 'LA'):
        colour = False
        band = image.convert('L') if mode == '1' else image.getchannel(0) if mode == 'LA' else image
        grey = torch.frombuffer(bytearray(band.tobytes()), dtype=torch.uint8).reshape(h, w, 1)
    else:
        raise DataError(f'{entry}: PNG mode {mode} is not read')
    if colour and channels == 1:
        raise DataError(f'{entry} is a colour image; the Data node declares 1 channel (grey): set channels to 3')
    if channels == 3:
        return rgb if colour or mode == 'P' else grey.expand(h, w, 3)
    return grey


def read_images(path, name, height, width, channels, labels):
    """A zip (or folder) of PNGs: pixels [N, H, W, C] uint8, and with labels 'folders' the class index of each and the class names."""
    entries = []
    for entry in _archive_entries(path, name):
        if _OTHER_IMAGE.search(entry[0]):
            raise DataError(f'{name}: {entry[0]} is not a PNG; only PNG images are read, so convert it (or remove it)')
        if re.search(r'\.png$', entry[0], re.IGNORECASE):
            entries.append(entry)
    if not entries:
        raise DataError(f'{name} holds no PNG images')
    if len(entries) > LIMITS['images']:
        raise DataError(f'{name} holds {len(entries):,} images; the limit is {LIMITS["images"]:,}')
    by_folder = labels == 'folders'
    paths = [e[0].split('/') for e in entries]
    top = paths[0][0]
    wrapped = all(len(p) > (2 if by_folder else 1) and p[0] == top for p in paths)
    relative = [p[1:] if wrapped else p for p in paths]
    per_image = height * width * channels
    if len(entries) * per_image > LIMITS['pixel_values']:
        raise DataError(f'{name}: {len(entries):,} images of {height}x{width}x{channels} are {len(entries) * per_image:,} values; the limit is {LIMITS["pixel_values"]:,}')
    for inside, size, _ in entries:
        if size > LIMITS['image_file_bytes']:
            raise DataError(f'{name}: {inside} is {_format_bytes(size)}; the limit for one image file is {_format_bytes(LIMITS["image_file_bytes"])}')
    label_ids, classes = None, None
    if by_folder:
        for (inside, _, _), rel in zip(entries, relative):
            if len(rel) < 2:
                raise DataError(f'{name}: {inside} is not inside a class folder; with labels "folders" every image sits in a folder named for its class')
        classes = sorted(set(rel[0] for rel in relative), key=_js_order)
        if len(classes) > LIMITS['classes']:
            raise DataError(f'{name} has {len(classes)} class folders; the limit is {LIMITS["classes"]}')
        index = {c: i for i, c in enumerate(classes)}
        label_ids = torch.tensor([index[rel[0]] for rel in relative], dtype=torch.long)
    pixels = torch.empty(len(entries), height, width, channels, dtype=torch.uint8)
    for i, (inside, _, read) in enumerate(entries):
        pixels[i] = _decode_png(read(), f'{name}: {inside}', height, width, channels)
    return pixels, label_ids, classes


def _open_user(p, split, data_dir, seed, share):
    dataset, name = p['dataset'], p['file']
    if name == '':
        raise DataError(f'no file is named: the {dataset} dataset reads a file of yours (the Data node\'s file param)')
    path = os.path.join(data_dir, *name.split('/'))
    if not os.path.exists(path):
        raise DataError(f'the data file "{name}" is missing (looked for {path}); put it in the data folder')
    if dataset != 'images' and os.path.isdir(path):
        raise DataError(f'{name} is a folder; the {dataset} dataset reads one file')
    labels_fit = p['labels'] in (('none', 'first-column', 'last-column') if dataset == 'csv' else ('none', 'folders') if dataset == 'images' else (p['labels'],))
    if not labels_fit:
        allowed = 'none, first-column or last-column' if dataset == 'csv' else 'none or folders'
        raise DataError(f'the {dataset} dataset takes labels {allowed}, not {p["labels"]}')
    extra = {}
    if dataset == 'csv':
        table, label_ids, classes = parse_csv(_read_file(path, name), name, p['columns'], p['header'], p['labels'])
        columns = {'x': {'values': table}}
        count = len(table)
    elif dataset == 'images':
        pixels, label_ids, classes = read_images(path, name, p['height'], p['width'], p['channels'], p['labels'])
        count = len(pixels)
        columns = {'x': {'values': pixels if p['layout'] == 'image' else pixels.reshape(count, -1), 'lookup': _grey_lookup(p['range'])}}
    else:
        lines = parse_text_lines(_read_file(path, name), name, p['context'])
        columns, label_ids, classes, count = _text_columns(lines, p['context']), None, None, len(lines)
    if label_ids is not None:
        columns['y'] = {'values': label_ids}
        extra['classes'] = classes
    parts = _split(range(count), share, seed)
    if not parts['train']:
        raise DataError(f'{name} has {count:,} example{"" if count == 1 else "s"}, which leaves none to train on after the validation split')
    if dataset == 'text':
        extra.update(vocabulary=CHAR_VOCAB, training_texts=frozenset(lines[i] for i in parts['train']))
    return columns, parts[split], extra


# ---------------------------------------------------------------------------
# Entry point
# ---------------------------------------------------------------------------

def load_dataset(params, split='train', data_dir='data', seed=0, validation_split=0.1, shuffle=True):
    """
    One split of a Data node's dataset, as GenComposer splits it.

    params: the Data node's params with GenComposer's names ({'dataset':
    'mnist', 'layout': 'image', 'range': 'signed'}; the rest default).
    split: 'train', 'validation', or 'test' (MNIST only: the 1,000 held-out
    images, the same for every seed). data_dir: the folder holding mnist.bin,
    names.txt and the user files the graph names. seed, validation_split
    (the share of examples held out, in [0, 0.5]) and shuffle (whether
    training epochs are shuffled) are the document's training settings.
    """
    p = data_params(params)
    if split not in ('train', 'validation', 'test'):
        raise ValueError(f"split must be 'train', 'validation' or 'test', not {split!r}")
    if split == 'test' and p['dataset'] != 'mnist':
        raise ValueError(f'{p["dataset"]} has no test split; only mnist holds one out')
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ValueError(f'seed must be an integer, got {seed!r}')
    if not 0 <= validation_split <= 0.5:
        raise ValueError(f'validation_split must lie in [0, 0.5], got {validation_split}')
    dataset = p['dataset']
    if dataset == 'mnist':
        opener = _open_mnist
    elif dataset == 'names':
        opener = _open_names
    elif dataset == 'reverse-strings':
        opener = _open_reverse_strings
    elif dataset in TOY_2D:
        opener = _open_toy_2d
    else:
        opener = _open_user
    columns, rows, extra = opener(p, split, data_dir, seed, validation_split)
    return Dataset(dataset, split, columns, rows, seed, shuffle, **extra)
