"""Tests of the mechanical proof checks (proofs_check/) and of ``theorytools proofs``.

Every check must PASS; a planted error (a changed key coefficient) must turn PASS into FAIL;
the CLI's JSON output carries name/verdict/detail. No timing assertions.
"""
from __future__ import annotations

import contextlib
import importlib
import io
import json

import pytest
import sympy as sp

import proofs_check
from proofs_check._framework import REGISTRY

NAMES = proofs_check.check_names()


@pytest.fixture(scope="module")
def all_results():
    return proofs_check.run_all()


@pytest.mark.parametrize("name", NAMES)
def test_check_passes(name):
    result = REGISTRY[name].function()
    assert result.verdict == "PASS", result.detail
    assert result.name == name and result.detail and result.source and result.status


d, k = sp.symbols("d k", positive=True, integer=True)
# (check name, planted coefficients): each changes one key coefficient away from the derived value
PLANTED = [
    ("compressor_constants::natural_compression", {"worst_ratio": sp.Rational(10, 9)}),
    ("compressor_constants::natural_compression", {"worst_point": sp.Rational(3, 2)}),
    ("compressor_constants::rand_k_scaled", {"zeta": d / k - 1}),
    ("compressor_constants::dithering_s1", {"omega": sp.sqrt(d)}),
    ("compressor_constants::dithering_variance_bound", {"coefficient": 1}),
    ("compressor_constants::scaled_sign", {"delta": d + 1}),
    ("compressor_constants::scaled_sign_plus_one", {"alpha": 1 / (d - 1)}),
    ("compressor_constants::natural_dithering_bound", {"natural_coefficient": sp.Rational(1, 9)}),
    ("compressor_constants::top_k_composition", {"zeta_prime": sp.Rational(5, 4)}),
    ("compressor_constants::biased_rounding_levels", {"delta_coefficient": sp.Rational(1, 3)}),
    ("compressor_constants::unbiased_rounding_levels", {"quarter": sp.Rational(1, 3)}),
    ("compressor_constants::induced_compressor", {"coefficient": sp.Rational(1, 2)}),
    ("class_relations::r5_rescaling_b2", {"delta": sp.Symbol("beta", positive=True) / (2 * sp.Symbol("gamma", positive=True))}),
    ("class_relations::r6_b3_in_b2_b1", {"gamma": 1 / sp.Symbol("delta", positive=True)}),
    ("class_relations::r8_unbiased_in_b3", {"delta": 1 / (3 - sp.Symbol("zeta", positive=True))}),
    ("cgd_contraction::t_b3_contraction", {"rate": 2 / sp.Symbol("delta", positive=True)}),
    ("cgd_contraction::t_b2_contraction", {"rate": 2 * sp.Symbol("gamma", positive=True)}),
    ("divergence_example::divergence_factor", {"coefficient": sp.Rational(5, 3)}),
    ("divergence_example::hessian_spectrum", {"L": sp.Rational(103, 5)}),
    ("ecd_error::ecd_error_closed_form", {"coefficient": sp.Rational(3, 4)}),
    ("ecd_error::ecd_error_harmonic_sum", {"offset": 0}),
    ("stich_local_sgd::theorem_2_2_terms", {"drift_coefficient": 128}),
    ("stich_local_sgd::theorem_2_2_terms", {"noise_coefficient": 2}),
    ("stich_local_sgd::s_t_lower_bound", {"coefficient": sp.Rational(1, 2)}),
    ("lower_bounds::cap_closed_form_d3", {"half": sp.Rational(1, 3)}),
    ("lower_bounds::dcap_hemisphere", {"numerator_shift": 2}),
]


@pytest.mark.parametrize("name, coefficients", PLANTED, ids=[f"{n}-{list(c)[0]}" for n, c in PLANTED])
def test_planted_error_fails(name, coefficients):
    assert REGISTRY[name].function().verdict == "PASS"
    planted = REGISTRY[name].function(**coefficients)
    assert planted.verdict == "FAIL"
    assert "FAILED" in planted.detail or "ERROR" in planted.detail


def test_run_all_planted_mechanism():
    name = "divergence_example::divergence_factor"
    results = proofs_check.run_all(planted={name: {"coefficient": sp.Rational(5, 3)}}, only=["divergence_example"])
    verdicts = {r.name: r.verdict for r in results}
    assert verdicts.pop(name) == "FAIL"
    assert set(verdicts.values()) == {"PASS"}


def test_cli_json_in_process():
    from theorytools.cli import main

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        status = main(["proofs", "--json"])
    records = json.loads(out.getvalue())
    assert status == 0
    assert [r["name"] for r in records] == NAMES
    for record in records:
        assert {"name", "verdict", "detail"} <= set(record)
        assert record["verdict"] == "PASS"


def test_cli_only_and_text_output():
    from theorytools.cli import main

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        status = main(["proofs", "--only", "natural_compression"])
    lines = out.getvalue().splitlines()
    assert status == 0
    assert lines[0].startswith("PASS  compressor_constants::natural_compression:")
    assert lines[-1].startswith("1/1 PASS")


def test_cli_unknown_check_is_an_error():
    from theorytools.cli import main

    assert main(["proofs", "--only", "no_such_check"]) == 2


def test_structure(all_results):
    """Every module is registered, names are unique, every check has keyword-only coefficients."""
    assert len(all_results) == len(NAMES) == len(set(NAMES))
    modules = {name.split("::")[0] for name in NAMES}
    assert modules == set(proofs_check.MODULES)
    for module in proofs_check.MODULES:
        assert importlib.import_module(f"proofs_check.{module}").__doc__
    required = {
        "compressor_constants": {"natural_compression", "rand_k_scaled", "rand_k_unscaled", "bernoulli_sparsifier",
                                 "unbiased_rounding_levels", "biased_rounding_levels", "dithering_s1",
                                 "dithering_variance_bound", "scaled_sign", "top_k_composition", "induced_compressor"},
        "class_relations": {"r1_unbiased_in_b1_b2", "r2_b1_in_b2", "r3_b2_in_b1", "r4_scaling", "r5_rescaling_b2",
                            "r5_rescaling_b1", "r5_rescaling_unbiased", "r6_b3_in_b2_b1", "r7_no_rescaling",
                            "r8_unbiased_in_b3"},
        "cgd_contraction": {"t_b1_contraction", "t_b2_contraction", "t_b3_contraction"},
        "divergence_example": {"hessian_spectrum", "gradients_at_diagonal", "divergence_factor"},
        "ecd_error": {"ecd_error_closed_form", "ecd_error_harmonic_sum"},
        "stich_local_sgd": {"weighted_recursion", "theorem_2_2_terms", "s_t_lower_bound"},
        "lower_bounds": {"cap_closed_form_d2", "cap_closed_form_d3", "large_d_expansion", "dcap_hemisphere"},
    }
    for module, functions in required.items():
        assert {f"{module}::{f}" for f in functions} <= set(NAMES)
    for result in all_results:
        assert result.verdict in {"PASS", "FAIL"}
        assert ("FINDING" in result.status) == bool(result.finding)


def test_findings_are_reported(all_results):
    findings = {r.name: r.finding for r in all_results if r.finding}
    assert "compressor_constants::dithering_variance_bound" in findings
    assert "d/(4s^2)" in findings["compressor_constants::dithering_variance_bound"]
    assert "stich_local_sgd::theorem_2_2_terms" in findings
    assert "lower_bounds::large_d_expansion" in findings


def test_module_script_entry_point(capsys):
    from proofs_check._framework import main_for_module

    assert main_for_module("ecd_error") == 0
    out = capsys.readouterr().out
    assert out.count("PASS  ecd_error::") == 4
