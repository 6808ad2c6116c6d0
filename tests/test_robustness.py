"""Bad input that used to get through (issue 16): each case is refused with a clear
TheorytoolsError naming the argument and the value, or handled correctly. Every test here
failed before the fix it documents."""
import dataclasses
import math
import warnings

import numpy as np
import pytest

from theorytools import algorithms as alg
from theorytools.codecs import Message
from theorytools.compressors import REGISTRY, create, default
from theorytools.compressors.contract import adversarial_inputs, exact_quantities, tolerance
from theorytools.compressors.measure import constant_value, measure
from theorytools.errors import TheorytoolsError
from theorytools.problems import logistic, quadratic, quadratic_heterogeneous
from theorytools.random import stream_key
from theorytools.topology import erdos_renyi, ring

NAMES = list(REGISTRY)
BAD_SEEDS = [1.5, True, "7", -1, 2 ** 64, None, 1.0]


def _x(d=8, seed=0):
    return np.random.default_rng(seed).standard_normal(d)


# ------------------------------------------------------------------ complex vectors
@pytest.mark.parametrize("name", NAMES)
def test_complex_vectors_are_refused_by_compress_and_encode(name):
    comp = default(name, 8)
    z = _x() + 1j * _x(seed=1)
    for call in (lambda: comp.compress(z, 0), lambda: comp.encode(z, 0)):
        with warnings.catch_warnings():
            warnings.simplefilter("error")   # no ComplexWarning either: an error, first
            with pytest.raises(TheorytoolsError, match=r"x .*complex128"):
                call()
    # a complex dtype with zero imaginary part is refused too (the dtype is the contract)
    with pytest.raises(TheorytoolsError, match="complex"):
        comp.compress(_x().astype(np.complex64), 0)


def test_complex_python_list_is_refused():
    with pytest.raises(TheorytoolsError, match="x must be a real vector"):
        create("natural").compress([1.0, 2j], 0)


# ------------------------------------------------------------------ the compressor argument
def _problem():
    return quadratic(4, 5, 1.0, 2.0, seed=1)


DECENTRALIZED = [alg.naive_compressed, alg.dcd_psgd, alg.ecd_psgd, alg.choco_sgd]
CENTRALIZED = [alg.dcgd, alg.ef_sgd]


def _call(fn, compressor, **kw):
    p = _problem()
    if fn in DECENTRALIZED:
        return fn(p, ring(4), compressor, 0.1, 4, **kw)
    return fn(p, compressor, 0.1, 4, **kw)


@pytest.mark.parametrize("fn", DECENTRALIZED + CENTRALIZED, ids=lambda f: f.__name__)
def test_none_compressor_is_refused_not_counted_as_zero_bits(fn):
    with pytest.raises(TheorytoolsError, match=r"compressor is None.*identity"):
        _call(fn, None)


@pytest.mark.parametrize("fn", DECENTRALIZED + CENTRALIZED, ids=lambda f: f.__name__)
def test_a_spec_string_is_the_compressor_it_names(fn):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", alg.AssumptionWarning)
        by_name = _call(fn, "natural")
        by_object = _call(fn, create("natural"))
    assert np.array_equal(by_name.bits, by_object.bits)
    assert np.array_equal(by_name.X, by_object.X)
    assert by_name.bits[-1].min() > 0
    with pytest.raises(TheorytoolsError, match="unknown compressor 'nope'"):
        _call(fn, "nope")
    with pytest.raises(TheorytoolsError, match="compressor must be a Compressor or a spec"):
        _call(fn, 3)


def test_identity_spec_counts_its_real_bits():
    tr = alg.dcd_psgd(_problem(), ring(4), "identity", 0.1, 3, record="every")
    assert tr.bits[-1][0] == 3 * create("identity").bits(np.ones(5))


def test_advance_refuses_a_missing_compressor_for_a_compressed_method():
    from theorytools.algorithms.decentralized import advance, init_state
    p = _problem()
    state = init_state("dcd_psgd", p, ring(4))
    with pytest.raises(TheorytoolsError, match="compressor is None"):
        advance(state, p, ring(4), None, 0.1, 2)


# ------------------------------------------------------------------ seeds
def test_check_seed_accepts_and_refuses():
    from theorytools.errors import check_seed
    assert check_seed(0) == 0 and check_seed(2 ** 64 - 1) == 2 ** 64 - 1
    assert check_seed(np.uint64(7)) == 7 and isinstance(check_seed(np.int32(3)), int)
    g = np.random.default_rng(1)
    assert check_seed(g, generator=True) is g
    with pytest.raises(TheorytoolsError, match="Generator"):
        check_seed(g)
    for bad in BAD_SEEDS:
        with pytest.raises(TheorytoolsError, match=r"seed must be an integer in \[0, 2\^64\)"):
            check_seed(bad)
    with pytest.raises(TheorytoolsError, match="got 1.5"):
        check_seed(1.5)
    with pytest.raises(TheorytoolsError, match="got 18446744073709551616"):
        check_seed(2 ** 64)


def _seed_entry_points():
    p = _problem()
    top = ring(4)
    X = np.zeros((4, 5))
    feats = np.random.default_rng(0).standard_normal((40, 3))
    labels = np.where(np.arange(40) % 2 == 0, 1.0, -1.0)
    return {
        "dpsgd": lambda s: alg.dpsgd(p, top, 0.1, 2, seed=s),
        "dcd_psgd": lambda s: alg.dcd_psgd(p, top, "natural", 0.1, 2, seed=s),
        "choco_sgd": lambda s: alg.choco_sgd(p, top, "natural", 0.1, 2, seed=s),
        "minibatch_sgd": lambda s: alg.minibatch_sgd(p, 0.1, 2, seed=s),
        "ef_sgd": lambda s: alg.ef_sgd(p, "top_k[k=1]", 0.1, 2, seed=s),
        "local_sgd": lambda s: alg.local_sgd(p, 2, 1, seed=s),
        "quadratic": lambda s: quadratic(2, 3, 1.0, 2.0, seed=s),
        "quadratic_heterogeneous": lambda s: quadratic_heterogeneous(2, 3, 1.0, 2.0, seed=s),
        "logistic[random]": lambda s: logistic(feats, labels, 2, 0.1, split="random", seed=s),
        "logistic[contiguous]": lambda s: logistic(feats, labels, 2, 0.1, seed=s),
        "erdos_renyi": lambda s: erdos_renyi(6, 0.9, s),
        "stochastic_grads": lambda s: p.stochastic_grads(X, s, 0),
        "stochastic_grad_i": lambda s: p.stochastic_grad_i(0, X[0], s, 0),
        "stream_key": lambda s: stream_key(s, 1, 2),
    }


@pytest.mark.parametrize("entry", list(_seed_entry_points()))
def test_every_entry_point_validates_its_seed(entry):
    fn = _seed_entry_points()[entry]
    fn(0)
    fn(2 ** 64 - 1) if entry not in ("erdos_renyi",) else fn(12345)
    for bad in BAD_SEEDS:
        with pytest.raises(TheorytoolsError, match=r"seed must be an integer in \[0, 2\^64\)"):
            fn(bad)


@pytest.mark.parametrize("name", [n for n in NAMES if default(n, 8).randomized])
def test_compressor_rng_validates_the_seed(name):
    comp = default(name, 8)
    x = _x()
    assert np.array_equal(comp.compress(x, 2 ** 64 - 1), comp.compress(x, 2 ** 64 - 1))
    comp.compress(x, np.random.default_rng(3))
    for bad in [1.5, True, "7", -1, 2 ** 64]:
        with pytest.raises(TheorytoolsError, match=r"rng must be an integer in \[0, 2\^64\)"):
            comp.compress(x, bad)
        with pytest.raises(TheorytoolsError, match=r"rng must be an integer in \[0, 2\^64\)"):
            comp.encode(x, bad)


def test_seed_changes_random_split():
    feats = np.arange(80.0).reshape(40, 2)
    labels = np.where(np.arange(40) % 2 == 0, 1.0, -1.0)
    a = logistic(feats, labels, 2, 0.1, split="random", seed=1)
    b = logistic(feats, labels, 2, 0.1, split="random", seed=2)
    assert not np.array_equal(a.arrays["features"], b.arrays["features"])


# ------------------------------------------------------------------ theory(d), bits_budget
@pytest.mark.parametrize("name", NAMES)
def test_theory_validates_d(name):
    comp = default(name, 16)
    for bad in (0, -1, -5, 1.5, "3", True, None):
        with pytest.raises(TheorytoolsError, match=r"^d must be"):
            comp.theory(bad)
    assert comp.theory(16) is not None


@pytest.mark.parametrize("name", NAMES)
def test_bits_budget_refuses_a_2d_array(name):
    comp = default(name, 4)
    with pytest.raises(TheorytoolsError, match=r"x must be a 1-D vector, got an array of shape \(2, 4\)"):
        comp.bits_budget(np.ones((2, 4)))
    assert comp.bits_budget(np.ones(4)) >= 0


@pytest.mark.parametrize("name", NAMES)
def test_default_refuses_a_dimension_below_one(name):
    for bad in (0, -3):
        with pytest.raises(TheorytoolsError, match=f"d must be >= 1, got {bad}"):
            default(name, bad)


def test_duplicate_spec_parameters_are_refused():
    with pytest.raises(TheorytoolsError, match="parameter 'k' is given twice"):
        create("top_k[k=1,k=2]")
    with pytest.raises(TheorytoolsError, match="given twice"):
        create("dithering[s=2, s=2]")
    with pytest.raises(TheorytoolsError, match="must be a string"):
        create(None)


# ------------------------------------------------------------------ messages
def test_message_with_a_negative_or_huge_shared_seed_is_refused():
    comp = create("rand_k[k=2]")
    msg = comp.encode(_x(), 5, shared=True)
    for bad in (-1, 2 ** 64, 1.5, True):
        with pytest.raises(TheorytoolsError, match="shared_seed"):
            dataclasses.replace(msg, shared_seed=bad)
        forged = dataclasses.replace(msg)
        object.__setattr__(forged, "shared_seed", bad)   # bypassing the constructor
        with pytest.raises(TheorytoolsError, match=r"message.shared_seed must be None or an integer"):
            comp.decode(forged)
    assert np.array_equal(comp.decode(msg), comp.compress(_x(), 5))


def test_message_payload_must_hold_exactly_nbits():
    with pytest.raises(TheorytoolsError, match="does not hold nbits"):
        Message(b"\x00\x00", 8, 4, "natural")      # one byte too many
    with pytest.raises(TheorytoolsError, match="does not hold nbits"):
        Message(b"\x00", 9, 4, "natural")          # one byte too few
    with pytest.raises(TheorytoolsError, match="does not hold nbits"):
        Message(b"", -1, 4, "natural")


def test_message_with_trailing_bits_is_refused():
    comp = create("top_k[k=2]")
    msg = comp.encode(_x(), 0)
    longer = Message(msg.payload + b"\x00", msg.nbits + 8, msg.d, msg.compressor)
    with pytest.raises(TheorytoolsError):
        comp.decode(longer)


def test_out_buffer_is_checked():
    comp = create("natural")
    x = _x()
    for bad in (np.empty(8, np.float32), np.empty(9), np.empty(16)[::2], [0.0] * 8):
        with pytest.raises(TheorytoolsError, match="out must be a C-contiguous float64"):
            comp.compress(x, 0, out=bad)


# ------------------------------------------------------------------ seed-independent refusal
@pytest.mark.parametrize("name", ["bernoulli", "bernoulli_biased", "rand_k", "rand_k_biased"])
@pytest.mark.parametrize("d", [1, 2, 3])
def test_refusal_of_huge_entries_depends_on_x_only(name, d):
    comp = default(name, d, **({"p": 0.5} if "bernoulli" in name else {}))
    for x in (np.full(d, 1e300), np.r_[1e300, np.ones(d - 1)], np.r_[np.ones(d - 1), -1e39]):
        for fn in (comp.compress, comp.encode):
            outcomes = set()
            for seed in range(24):
                try:
                    fn(x, seed)
                    outcomes.add("ok")
                except TheorytoolsError as exc:
                    assert "float32 range" in str(exc) and "x" in str(exc)
                    outcomes.add("refused")
            assert outcomes == {"refused"}, (x, fn.__name__, outcomes)
    # with float_width=64 the same x is fine, and a NaN is still named as such
    comp64 = comp.with_params(float_width=64)
    comp64.compress(np.full(d, 1e300), 0)
    with pytest.raises(TheorytoolsError, match="must be finite"):
        comp.compress(np.r_[np.full(d - 1, 1e300), np.nan], 0)


# ------------------------------------------------------------------ tightness labels
def test_sparse_dithering_omega_is_attained_at_equal_magnitudes():
    comp = create("sparse_dithering[omega=1.0]", float_width=64)
    d = 64
    th = comp.theory(d)
    assert comp.levels(d) == 4 and th.omega.value == 1.0
    assert th.omega.tight and th.b1_beta.tight and th.b2_beta.tight
    x = np.where(np.arange(d) % 2 == 0, 1.0, -1.0)
    for seed in range(30):  # every draw: error exactly ||x||^2 (each level halfway)
        c = comp.compress(x, seed)
        assert np.sum((c - x) ** 2) == pytest.approx(float(x @ x), rel=1e-15)
    m = measure(comp, d, contract=False)
    assert m.constants["omega"].attained and m.constants["omega"].valid
    # a dimension where no input attains it keeps the honest label
    assert not comp.theory(63).omega.tight


def _candidates(d):
    """Inputs beyond the adversarial set on which a constant is often attained."""
    signs = np.where(np.arange(d) % 2 == 0, 1.0, -1.0)
    e1 = np.zeros(d)
    e1[0] = 1.0
    two = np.where(np.arange(d) < max(1, d // 2), 2.0, 1.0)
    return [("ones", np.ones(d)), ("alternating", signs), ("e1", e1), ("two-level", two),
            ("ramp", np.arange(1.0, d + 1))]


@pytest.mark.parametrize("name", NAMES)
def test_tightness_labels_agree_with_attained_inputs(name):
    """A constant declared tight is attained on a declared extremal input; one declared NOT
    tight is not attained on any adversarial, extremal or candidate input (else its label
    is wrong, as sparse_dithering's was at d = 64)."""
    for d in (3, 16, 64):
        try:
            comp = default(name, d, float_width=64)
            comp.validate(np.zeros(d))
        except TheorytoolsError:
            continue
        th = comp.theory(d)
        consts = th.constants()
        if not consts:
            continue
        tol = tolerance(comp)
        inputs = adversarial_inputs(d) + _candidates(d) + [
            (f"extremal {e.constant}", e.x) for e in comp.extremal_inputs(d)]
        attained = {n: False for n in consts}
        for label, x in inputs:
            try:
                comp.validate(x)
            except TheorytoolsError:
                continue
            if not np.any(x) or not comp.in_domain(x):
                continue
            q = exact_quantities(comp, x)
            for n, c in consts.items():
                v = constant_value(n, q)
                if n == "delta":
                    gap = abs((1 - 1 / c.value) - (1 - 1 / v if v != math.inf else 1.0))
                else:
                    gap = abs(v - c.value)
                if gap <= tol * max(1.0, abs(c.value)):
                    attained[n] = True
        for n, c in consts.items():
            if not c.tight:
                assert not attained[n], f"{comp.canonical_name}: {n} declared not tight but " \
                                        f"attained at d={d}"
        m = measure(comp, d, contract=False)
        for n, cm in m.constants.items():
            if cm.tight_declared:
                assert cm.attained, f"{comp.canonical_name}: {n} declared tight, not attained"
