"""Induced takes a compressor object; the registry parses spec strings (issue 19: the import
cycle compressors/composed.py <-> registry.py is gone)."""
import ast
from pathlib import Path

import numpy as np
import pytest

from theorytools.compressors import create, default
from theorytools.compressors.composed import Induced
from theorytools.compressors.sparsify import RandK
from theorytools.errors import TheorytoolsError

COMPOSED = Path(__file__).resolve().parents[1] / "theorytools" / "compressors" / "composed.py"


def test_composed_does_not_import_the_registry():
    tree = ast.parse(COMPOSED.read_text(encoding="utf-8"))
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    imported |= {a.name for node in ast.walk(tree) if isinstance(node, ast.Import)
                 for a in node.names}
    assert "theorytools.compressors.registry" not in imported


def test_object_and_spec_give_the_same_compressor():
    x = np.linspace(-1.0, 2.0, 12)
    by_object = Induced(2, RandK(3))
    by_spec = create("induced[k=2,c2=(rand_k[k=3])]")
    assert by_object.canonical_name == by_spec.canonical_name
    for seed in range(5):
        assert np.array_equal(by_object.compress(x, seed), by_spec.compress(x, seed))


def test_inner_compressor_takes_the_outer_float_width():
    assert create("induced[k=2]", float_width=64)._c2.float_width == 64
    assert default("induced", 100).canonical_name == "induced[k=1,c2=(natural)]"


def test_a_string_is_refused_by_the_class():
    with pytest.raises(TheorytoolsError, match="c2 must be a Compressor object"):
        Induced(2, "natural")
