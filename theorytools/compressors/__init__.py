"""Every compressor of the papers, with declared theory, exact laws and bit-exact codecs.

See :mod:`theorytools.compressors.base` for the contract and ``docs/compressors.md`` for the
table of classes, constants, bit budgets and sources.
"""
from theorytools.compressors.base import Compressor, Constant, Extremal, Theory  # noqa: F401
from theorytools.compressors.registry import (REGISTRY, create, default, names,  # noqa: F401
                                              register)
from theorytools.compressors._theory import P2Classes, p2_classes  # noqa: F401

__all__ = ["Compressor", "Constant", "Extremal", "P2Classes", "REGISTRY", "Theory", "create",
           "default", "names", "p2_classes", "register"]
