"""
GenComposer's node kinds as PyTorch modules, for projects exported from
GenComposer (`gencomposer export GRAPH --to pytorch`). Each class is one node
kind; model.py wires them as the graph does. Tensors keep GenComposer's
layout: images are [B, H, W, C] (channels last) and convolutions move the
channels first only inside.
"""
from .runtime import *  # noqa: F401,F403
from .layers import *  # noqa: F401,F403
from .blocks import *  # noqa: F401,F403
from .losses import *  # noqa: F401,F403
from .training import *  # noqa: F401,F403
from .data import *  # noqa: F401,F403
from .sampling import *  # noqa: F401,F403
from .weights import *  # noqa: F401,F403
