"""Every public name (each ``__all__``) of the documented modules has a numpydoc docstring;
every public function has ``Parameters`` (when it takes any) and ``Returns`` sections and a
fully type-hinted signature (issue 11). The packages users import from declare ``__all__``.

Modules covered: ``MODULES`` below. ``EXEMPT`` lists the public names not yet covered (none).
"""
import importlib
import inspect
import re

import pytest

PACKAGES = ["theorytools", "theorytools.algorithms", "theorytools.compressors",
            "theorytools.problems", "theorytools.theory"]
MODULES = ["theorytools.algorithms", "theorytools.algorithms.centralized",
           "theorytools.algorithms.decentralized", "theorytools.algorithms.local",
           "theorytools.algorithms.exact_moments", "theorytools.algorithms.trace",
           "theorytools.algorithms.cost", "theorytools.algorithms.ef21", "theorytools.problems",
           "theorytools.topology",
           "theorytools.compressors", "theorytools.theory", "theorytools.bounds",
           "theorytools.codecs", "theorytools.codecs.elias", "theorytools.codecs.enumerative",
           "theorytools.codecs.bitio", "theorytools.compressors.base", "theorytools.check"]
EXEMPT: set = set()


def problems_of(obj, name):
    """What is missing from the documentation of one public object (empty: nothing)."""
    doc = inspect.getdoc(obj) or ""
    if not doc.strip():
        return [f"{name}: no docstring"]
    if not inspect.isfunction(obj):
        return []
    out = []
    sig = inspect.signature(obj)
    params = [p for p in sig.parameters.values()]
    if params and "Parameters\n----------" not in doc:
        out.append(f"{name}: no Parameters section")
    if "Returns\n-------" not in doc and "Yields\n------" not in doc:
        out.append(f"{name}: no Returns section")
    # numpydoc parameter lines: "x : int" or "d, k : int" (names before " : ")
    described = {n.strip().lstrip("*") for line in doc.splitlines()
                 if re.match(r"^[\w*]+(, [\w*]+)* :", line) for n in line.split(" :")[0].split(",")}
    for p in params:
        if p.annotation is inspect.Parameter.empty and p.kind not in (p.VAR_POSITIONAL,
                                                                        p.VAR_KEYWORD):
            out.append(f"{name}: parameter {p.name!r} has no type hint")
        if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and \
                "Parameters" in doc and p.name not in described:
            out.append(f"{name}: parameter {p.name!r} not described")
    if sig.return_annotation is inspect.Signature.empty:
        out.append(f"{name}: no return type hint")
    return out


@pytest.mark.parametrize("package", PACKAGES)
def test_packages_declare_all(package):
    module = importlib.import_module(package)
    assert isinstance(getattr(module, "__all__", None), list), package
    for name in module.__all__:
        assert hasattr(module, name), (package, name)


@pytest.mark.parametrize("module_name", MODULES)
def test_every_public_name_is_documented(module_name):
    module = importlib.import_module(module_name)
    missing = []
    for name in module.__all__:
        obj = getattr(module, name)
        if (inspect.isfunction(obj) or inspect.isclass(obj)) and \
                f"{module_name}.{name}" not in EXEMPT:
            missing += problems_of(obj, f"{module_name}.{name}")
    assert not missing, "\n".join(missing)


def test_the_checker_finds_planted_gaps():
    def bare(x, y):
        return x

    def half(x: int, y) -> int:
        """Doc.

        Parameters
        ----------
        x : int
            An x.
        """
        return x

    def full(x: int) -> int:
        """Doc.

        Parameters
        ----------
        x : int
            An x.

        Returns
        -------
        int
            The x.
        """
        return x

    assert problems_of(bare, "bare") == ["bare: no docstring"]
    found = problems_of(half, "half")
    assert "half: no Returns section" in found
    assert "half: parameter 'y' has no type hint" in found
    assert "half: parameter 'y' not described" in found
    assert problems_of(full, "full") == []
