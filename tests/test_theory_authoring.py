"""Adding a theorem (issue 19): one module plus its test.

* the worked example of docs/theorems.md ("How to add a theorem"), saved as a module of the
  package, is picked up by the registry, runs, fails on its planted fault and shows up in
  ``theorytools verify`` with its paper, status, source and seed;
* every theorem declares its hooks: an undeclared keyword (a typo) raises, naming it; every
  ``params.get(...)`` key and every keyword of a check function is declared;
* the report's one series type (``Series``/``Curve``), the one Student-t band
  (``check.t_band``), the one thinning rule (``report.thin``), the one result type
  (``check.Check``, also the contract's ``ContractResult``), the seed derivation.
"""
from __future__ import annotations

import ast
import importlib
import inspect
import math
import re
import sys
from pathlib import Path

import numpy as np
import pytest

from theorytools import check
from theorytools.errors import TheorytoolsError

ROOT = Path(__file__).resolve().parents[1]
THEORY = ROOT / "theorytools" / "theory"


def _howto_module_source() -> str:
    """The worked example of docs/theorems.md: the python block of "How to add a theorem"."""
    text = (ROOT / "docs" / "theorems.md").read_text(encoding="utf-8")
    section = text.split("## How to add a theorem", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"^```python\n(.*?)^```", section, re.S | re.M)
    assert len(blocks) == 1
    return blocks[0]


@pytest.fixture
def gd2024(tmp_path, monkeypatch):
    """The worked example saved as ``theorytools/theory/gd2024.py`` (on a temporary path of
    the package) and imported the way the package imports its modules."""
    import theorytools.theory as theory
    from theorytools.theory import registry

    clean = {k: v for k, v in registry.REGISTRY.items() if not k.startswith("gd2024.")}
    monkeypatch.setattr(registry, "REGISTRY", clean)
    (tmp_path / "gd2024.py").write_text(_howto_module_source(), encoding="utf-8")
    monkeypatch.setattr(theory, "__path__", list(theory.__path__) + [str(tmp_path)])
    monkeypatch.delitem(sys.modules, "theorytools.theory.gd2024", raising=False)
    theory._import_all()                 # what `import theorytools.theory` does
    yield registry.get("gd2024.gd_contraction")
    sys.modules.pop("theorytools.theory.gd2024", None)


def test_the_worked_example_is_one_module_and_its_test(gd2024):
    th = gd2024
    assert th.paper == "gd2024" and th.status == "derived" and "step_factor" in th.hooks
    results = dict(th.run_checks(quick=True))
    assert set(results) == {"one_step[random starts]", "attained[eigenvector of mu]"}
    assert all(c.passed for c in results.values())
    assert results["one_step[random starts]"].seeded
    assert not results["attained[eigenvector of mu]"].seeded
    planted = dict(th.run_checks(quick=True, step_factor=2.5))
    assert not any(c.passed for c in planted.values())
    # the module's own test function (the second half of the block) passes too
    mod = importlib.import_module("theorytools.theory.gd2024")
    mod.test_gd_contraction_holds_and_a_planted_fault_fails()


def test_the_worked_example_reaches_verify(gd2024, capsys):
    import json

    from theorytools.cli import main

    def run(seed):
        assert main(["verify", "--quick", "--check", "theorem.gd2024", "--json", "--quiet",
                     "--seed", str(seed)]) == 0
        return {r["name"]: r for r in json.loads(capsys.readouterr().out)["checks"]}

    a, b = run(0), run(7)
    one, exact = ("theorem.gd2024.gd_contraction.one_step[random starts]",
                  "theorem.gd2024.gd_contraction.attained[eigenvector of mu]")
    assert set(a) == {one, exact}
    assert a[one]["paper"] == "gd2024" and a[one]["status"] == "derived"
    assert a[one]["theorem"].startswith("derived here")
    assert (a[one]["seed"], b[one]["seed"]) == (0, 7) and a[one]["empirical"] != b[one]["empirical"]
    assert a[exact]["seed"] is None and a[exact]["empirical"] == b[exact]["empirical"]
    assert a[one]["verdict"] == b[one]["verdict"] == "PASS"


# --------------------------------------------------------------------------- hooks
def test_a_typo_in_a_hook_raises_naming_it():
    from theorytools.theory import get

    th = get("tang2018.naive_compression_floor")
    with pytest.raises(TheorytoolsError) as err:
        th.run_checks(True, naive_algoritm="dcd")          # typo of naive_algorithm
    msg = str(err.value)
    assert "naive_algoritm" in msg and "did you mean 'naive_algorithm'" in msg
    with pytest.raises(TheorytoolsError, match="closed_fom"):
        get("tang2018.ecd_estimation_error").run_checks(True, closed_fom=lambda t, s: 0.0)


def test_every_theorem_refuses_an_undeclared_keyword():
    from theorytools.theory import theorems

    for th in theorems():
        with pytest.raises(TheorytoolsError, match="no_such_hook"):
            th.run_checks(True, no_such_hook=1)


def _params_keys(fn_node) -> set:
    """Keys read from ``params`` / ``s.params`` in a function: ``.get("k")``, ``["k"]``."""
    keys = set()
    for node in ast.walk(fn_node):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
                node.func.attr == "get" and node.args and \
                isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
            base = node.func.value
            if (isinstance(base, ast.Name) and base.id == "params") or \
                    (isinstance(base, ast.Attribute) and base.attr == "params"):
                keys.add(node.args[0].value)
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and \
                node.value.id == "params" and isinstance(node.slice, ast.Constant):
            keys.add(node.slice.value)
        if isinstance(node, ast.JoinedStr):
            pass
    return keys


def test_every_hook_a_check_reads_is_declared():
    """The keys the paper modules read from ``params`` (and the keywords of their check
    functions) are declared hooks or parameters of a theorem of that module."""
    from theorytools.theory import theorems

    for path in sorted(THEORY.glob("*.py")):
        if path.stem in ("__init__", "registry", "common"):
            continue
        mine = [t for t in theorems() if t.checks.__module__ == f"theorytools.theory.{path.stem}"]
        declared = set().union(*[set(t.hooks) | set(t.parameters) for t in mine]) if mine \
            else set()
        tree = ast.parse(path.read_text(encoding="utf-8"))
        used = set()
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                used |= _params_keys(node)
        used -= {"seed"}
        dynamic = {k for k in used if "{" in k}
        assert not (used - dynamic - declared), (path.stem, sorted(used - declared))
    for th in theorems():
        sig = inspect.signature(th.checks)
        explicit = [p.name for p in list(sig.parameters.values())[2:]
                    if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
        assert "seed" in explicit, th.key
        assert set(explicit) - {"seed"} <= set(th.hooks) | set(th.parameters), th.key
        if not any(p.kind == p.VAR_KEYWORD for p in sig.parameters.values()):
            assert set(th.hooks) <= set(explicit), th.key
        assert all(isinstance(v, str) and v for v in th.hooks.values()), th.key


def test_a_hook_may_not_shadow_a_parameter_or_the_seed():
    from theorytools.theory.registry import Parameter, Theorem

    def checks(th, quick, seed=0):
        yield from ()

    with pytest.raises(ValueError, match="clash"):
        Theorem(key="x.y", paper="x", title="t", source="s", status="derived", statement="s",
                checks=checks, hooks={"c": "m"}, parameters={"c": Parameter(1.0, "derived", "")})
    with pytest.raises(ValueError, match="clash"):
        Theorem(key="x.y", paper="x", title="t", source="s", status="derived", statement="s",
                checks=checks, hooks={"seed": "m"})


# --------------------------------------------------------------------------- results, items
def test_one_result_type_for_checks_and_the_contract():
    from theorytools.compressors import create
    from theorytools.compressors.contract import ContractResult, check_codec

    rows = check_codec(create("top_k[k=2]"), np.arange(1.0, 7.0), "ramp")
    assert rows and all(isinstance(r, ContractResult) and isinstance(r, check.Check)
                        for r in rows)
    r = rows[0]
    assert r.name == r.check and r.subject == r.compressor and r.details == r.detail
    assert r.kind == "law" and r.verdict in ("PASS", "FAIL") and r.source and r.status
    loose = check.bound(0.001, 1.0)
    assert loose.vacuous and loose.tightness == pytest.approx(1e-3)
    assert loose.assessment == "holds, vacuous" and loose.bound == 1.0 and loose.measured == 1e-3
    assert not check.bound(0.5, 1.0).vacuous and check.bound(2.0, 1.0).assessment == "FAILS"


def test_the_items_carry_their_paper_and_status():
    import proofs_check

    from theorytools.theory import get

    proofs_check.load()
    for module in proofs_check.MODULES:
        assert importlib.import_module(f"proofs_check.{module}").PAPER
    assert "_PROOF_PAPER" not in (ROOT / "theorytools" / "verify.py").read_text()
    (label, c), *_ = get("tang2018.ecd_estimation_error").run_checks(True)
    assert c.status == "derived" and c.source.startswith("Tang et al. 2018")
    assert c.name == f"theorem.tang2018.ecd_estimation_error.{label}"


def test_choco2020_does_not_import_private_helpers_of_another_paper():
    for path in THEORY.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"from theorytools\.theory\.\w+ import [^\n]*\b_\w", text), path
        for other in ("tang2018", "beznosikov2020", "stich2018", "albasyoni2020", "graph_gap",
                      "choco2020"):
            assert not re.search(rf"\b{other}\._[a-z]", text), (path, other)


def test_every_module_of_the_issue_declares_all():
    for name in ("theorytools.errors", "theorytools.frontier", "theorytools.random",
                 "theorytools.report", "theorytools.verify", "theorytools.cli",
                 "theorytools.commands", "theorytools.check", "theorytools.compressors.contract",
                 "theorytools.theory", "theorytools.theory.registry", "theorytools.theory.common",
                 *(f"theorytools.theory.{p.stem}" for p in THEORY.glob("*.py")
                   if p.stem != "__init__")):
        module = importlib.import_module(name)
        assert isinstance(getattr(module, "__all__", None), list), name
        for public in module.__all__:
            obj = getattr(module, public) if name != "theorytools.commands" else \
                importlib.import_module(f"{name}.{public}")
            if inspect.isfunction(obj) or inspect.isclass(obj) or inspect.ismodule(obj):
                assert inspect.getdoc(obj), f"{name}.{public} has no docstring"


# --------------------------------------------------------------------------- series
def test_t_band_is_the_columnwise_t_interval():
    Y = np.random.default_rng(1).standard_normal((7, 5))
    b = check.t_band(Y, 0.9)
    for j in range(5):
        m, lo, hi = check.t_interval(Y[:, j], 0.9)
        assert (b.mean[j], b.lo[j], b.hi[j]) == pytest.approx((m, lo, hi), rel=1e-14)
    one = check.t_band(Y[:1])
    assert one.lo is None and one.hi is None and not one.geometric
    geo = check.t_band(np.exp(Y), geometric=True)
    assert geo.geometric and np.allclose(np.log(geo.mean), Y.mean(axis=0))
    assert not check.t_band(Y, geometric=True).geometric     # a negative value: arithmetic


def test_thin_keeps_both_ends_and_at_most_the_points():
    from theorytools.report import thin

    assert list(thin(5)) == [0, 1, 2, 3, 4]
    for size, log in ((1001, False), (1001, True), (20001, False)):
        idx = thin(size, 200, log=log)
        assert idx[0] == 0 and idx[-1] == size - 1 and idx.size <= 200 + 2
        assert np.all(np.diff(idx) > 0) and idx.dtype == np.int64
    # the rule the tang2018 curves used: unique(round(linspace(0, T, 200)))
    T = 600
    assert np.array_equal(thin(T + 1), np.unique(np.linspace(0, T, 200).round().astype(int)))


def test_series_curve_api_and_the_older_dict_form(tmp_path):
    from theorytools.report import Curve, Series, _series_csv

    Y = np.random.default_rng(2).random((4, 300)) + 1.0
    c = Curve.of_replicates(np.arange(300), Y, label="mean", bound=2.0, bits=np.arange(300))
    assert c.kind == "mean" and c.x.size <= 202 and c.lo.shape == c.y.shape == c.bound.shape
    assert "Student-t band over 4 seeds" in c.band
    s = Series(c, xlabel="iteration t", ylabel="f - f*", logy=False)
    res = s.attach(check.bound(1.0, 2.0))
    assert res.extra["series"] is s and s.curves == [c]
    with pytest.raises(TheorytoolsError):
        Series([{"x": [1], "y": [1]}])
    with pytest.raises(TheorytoolsError):
        Curve([1], [1], kind="guess")
    old = {"x": [1, 2, 3], "y": [3.0, 2.0, 1.0], "label": "old", "xlabel": "T", "logx": True,
           "bound": [4.0, 4.0, 4.0], "lo": None}
    new = Series.coerce(old)
    assert new.xlabel == "T" and new.logx and new.logy and new.curves[0].label == "old"

    class Row:
        series = old

    path = tmp_path / "c.csv"
    _series_csv(Row, str(path))
    lines = path.read_text().splitlines()
    assert lines[0] == "curve,x,y,lo,hi,bound,bits" and lines[1] == "old,1.0,3.0,,,4.0,"


# --------------------------------------------------------------------------- seeds
def test_derive_seed():
    from theorytools.theory.registry import SEED_UNIT, derive_seed

    assert derive_seed(0, "a.b") == 0
    seeds = {derive_seed(s, k) for s in (1, 2, 3) for k in ("a.b", "a.c")}
    assert len(seeds) == 6 and all(v % SEED_UNIT == 0 and 0 < v < 2 ** 63 for v in seeds)
    assert derive_seed(5, "a.b") == derive_seed(5, "a.b")
    with pytest.raises(TheorytoolsError, match="run_seed"):
        derive_seed(-1, "a.b")
    assert math.log2(max(seeds)) < 63
