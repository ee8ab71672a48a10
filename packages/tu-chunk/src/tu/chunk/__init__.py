"""tu.chunk: chunked forward passes that save memory in feed-forward blocks and LM heads.

``apply_chunking_to_forward`` runs a forward function slice by slice along one dimension (as
transformers' function of that name does, without its restrictions), writing the slices into one
preallocated result when autograd is not recording. ``chunked`` wraps a module so a model chunks it
without rewriting its forward and without changing its ``state_dict`` keys.
"""

from tu.chunk.__about__ import __version__
from tu.chunk._apply import apply_chunking_to_forward
from tu.chunk._checks import ForwardArityError
from tu.chunk._module import Chunked, chunked

__all__ = [
    "Chunked",
    "ForwardArityError",
    "__version__",
    "apply_chunking_to_forward",
    "chunked",
]
