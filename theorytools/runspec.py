r"""Run specifications: one run of one algorithm, named canonically, run on the simulator.

A :class:`RunSpec` says everything that determines a run of :mod:`theorytools.algorithms`:
the algorithm, the problem, the graph, the compressor, the step size, the horizon, the seed,
what to record and the algorithm's own options. It has a canonical name in the style of the
compressors' (``name[p=v,...]``, nested specs written inline)::

    dcd_psgd[problem=quadratic[n=4,d=8],topology=ring,compressor=dithering[s=4],gamma=0.05,T=100,seed=0]

:func:`parse` reads such a name back (``parse(spec.name) == spec``), :meth:`RunSpec.from_dict`
builds one from a dict or a TOML table, and :func:`run` executes it on the simulator and
returns a flat record (final :math:`f(\bar x_T) - f^\star`, consensus error, bits, modelled
wall time, and the recorded curves). ``theorytools sweep`` (:mod:`theorytools.sweep`) runs grids
of them; ``python -m theorytools.mpi`` (:mod:`theorytools.mpi`) runs one with one MPI process
per node.

Sub-specs (no update equation: these are names of the objects of ``docs/problems.md`` and
``docs/topology.md``):

* problems: ``quadratic[n,d,mu=0.1,L=1.0,zeta_sq=0.0,sigma=0.0,seed=0,spectrum=loguniform]``
  (:func:`theorytools.problems.quadratic`);
  ``logistic[n,d,m=25,lam=0.001,batch,sigma=0.0,split=contiguous,seed=0]`` on synthetic data
  (rows :math:`a_j \sim N(0, I_d)`, labels :math:`\mathrm{sign}(a_j^\top w + 0.5\,\xi_j)`,
  :math:`w, \xi \sim N(0, I)` from ``numpy.random.default_rng(seed)``) or
  ``logistic[n,data=breast_cancer,lam=...]`` (scikit-learn's bundled set);
  ``ridge[n,d,m=25,lam=0.01,batch,sigma=0.0,split=contiguous,seed=0]`` on synthetic data
  (:math:`y = Xw + 0.1\,\xi`) or ``ridge[n,data=diabetes,...]``. ``batch`` = sampling noise
  (mini-batch size), ``sigma`` = additive noise (``docs/problems.md``).
* topologies (n is the problem's): ``ring``, ``complete``, ``star``, ``exponential``,
  ``hypercube``, ``torus[rows,cols]``, ``grid2d[rows,cols]``, ``erdos_renyi[p,seed]``,
  ``random_regular[degree,seed]``, each with an optional ``weights=`` (``docs/topology.md``).
* compressors: any :func:`theorytools.compressors.create` spec.

References
----------
docs/scale-out.md (sweeps, the MPI backend, how results are stored); docs/algorithms.md (the
algorithms and their traces).
"""
from __future__ import annotations

import math
import re
import time
import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from theorytools.compressors.registry import split_top
from theorytools.errors import TheorytoolsError

if TYPE_CHECKING:                       # annotations only
    from theorytools.problems import Problem
    from theorytools.topology import Topology

__all__ = ["ALGORITHMS", "RunSpec", "build_problem", "build_topology", "parse", "run",
           "RESULT_SCALARS", "RESULT_CURVES"]

DECENTRALIZED = ("dpsgd", "naive_compressed", "dcd_psgd", "ecd_psgd", "choco_sgd")
CENTRALIZED = ("cgd", "dcgd", "ef_sgd", "minibatch_sgd")
COMPRESSED = ("naive_compressed", "dcd_psgd", "ecd_psgd", "choco_sgd", "cgd", "dcgd", "ef_sgd")

_NETWORK = {"latency": float, "bandwidth": float, "compute": float}
#: per algorithm: its own options (name -> (type, default)); the order is the canonical one
ALGORITHMS = {
    "dpsgd": {"form": (str, "lian"), "float_bits": (int, 32)},
    "naive_compressed": {},
    "dcd_psgd": {},
    "ecd_psgd": {},
    "choco_sgd": {"consensus_step": (float, 1.0)},
    "cgd": {"shared": (bool, False)},
    "dcgd": {"shared": (bool, False)},
    "ef_sgd": {"shared": (bool, False)},
    "minibatch_sgd": {"float_bits": (int, 32)},
    "local_sgd": {"H": (int, None), "a": (float, None), "asynchronous": (bool, False),
                  "float_bits": (int, 32)},
}
_COMMON = ("problem", "topology", "compressor", "gamma", "T", "record", "seed")

#: the scalar fields of a result record (besides the spec's own fields)
RESULT_SCALARS = ("f_gap", "grad_norm_sq", "dist_sq", "consensus", "bits_total", "bits_max_node",
                  "bits_exact", "wall_model", "elapsed")
#: the curves of a result record (one value per recorded step)
RESULT_CURVES = ("steps", "f_gap_curve", "consensus_curve", "bits_curve", "wall_model_curve")


# --------------------------------------------------------------------------- name syntax
def parse_name(text: str, what: str) -> tuple:
    """``"a[p=v,q=w[x=1]]"`` -> ``("a", {"p": "v", "q": "w[x=1]"})`` (values as text)."""
    if not isinstance(text, str):
        raise TheorytoolsError(f"{what} must be a string such as 'name[p=v]', got "
                               f"{type(text).__name__} {text!r}")
    depth = 0
    for ch in text:
        depth += (ch in "([") - (ch in ")]")
        if depth < 0:
            break
    if depth != 0:
        raise TheorytoolsError(f"{what} {text!r}: unbalanced brackets")
    m = re.fullmatch(r"\s*([A-Za-z_][A-Za-z0-9_+]*)\s*(?:\[(.*)\])?\s*", text, re.S)
    if not m:
        raise TheorytoolsError(f"{what} {text!r} is not of the form name[p=v,...]")
    params = {}
    for item in split_top(m.group(2) or "", f"{what} {text!r}"):
        if "=" not in item:
            raise TheorytoolsError(f"{what} {text!r}: parameter {item.strip()!r} lacks '='")
        key, value = (s.strip() for s in item.split("=", 1))
        if key in params:
            raise TheorytoolsError(f"{what} {text!r}: parameter {key!r} is given twice")
        params[key] = value
    return m.group(1), params


def _coerce(value, typ, what: str):
    """``value`` (text from a name, or a TOML/JSON value) as ``typ``, or an error naming it."""
    if typ is bool:
        if isinstance(value, (bool, np.bool_)):
            return bool(value)
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise TheorytoolsError(f"{what} must be true or false, got {value!r}")
    if typ is int:
        if isinstance(value, str):
            try:
                value = int(value)
            except ValueError:
                try:
                    value = float(value)
                except ValueError:
                    raise TheorytoolsError(f"{what} must be an integer, got {value!r}") from None
        if isinstance(value, (bool, np.bool_)):
            raise TheorytoolsError(f"{what} must be an integer, got {value!r}")
        if isinstance(value, (float, np.floating)):
            if not (math.isfinite(value) and value == int(value)):
                raise TheorytoolsError(f"{what} must be an integer, got {value!r}")
            value = int(value)
        if not isinstance(value, (int, np.integer)):
            raise TheorytoolsError(f"{what} must be an integer, got {value!r}")
        return int(value)
    if typ is float:
        if isinstance(value, str):
            try:
                value = float(value)
            except ValueError:
                raise TheorytoolsError(f"{what} must be a number, got {value!r}") from None
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer,
                                                                         np.floating)):
            raise TheorytoolsError(f"{what} must be a number, got {value!r}")
        value = float(value)
        if not math.isfinite(value):
            raise TheorytoolsError(f"{what} must be finite, got {value!r}")
        return value
    if not isinstance(value, str) or not value or re.search(r"[\[\],=\s]", value):
        raise TheorytoolsError(f"{what} must be a word (no brackets, commas, '=' or spaces), "
                               f"got {value!r}")
    return value


def _fmt(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _name(head: str, items) -> str:
    body = ",".join(f"{k}={_fmt(v)}" for k, v in items)
    return f"{head}[{body}]" if body else head


# --------------------------------------------------------------------------- sub-specs
_PROBLEMS = {
    "quadratic": {"n": (int, None), "d": (int, None), "mu": (float, 0.1), "L": (float, 1.0),
                  "zeta_sq": (float, 0.0), "sigma": (float, 0.0), "spectrum": (str, "loguniform"),
                  "seed": (int, 0)},
    "logistic": {"n": (int, None), "data": (str, "synthetic"), "d": (int, None),
                 "m": (int, 25), "lam": (float, 1e-3), "batch": (int, None),
                 "sigma": (float, 0.0), "split": (str, "contiguous"), "seed": (int, 0)},
    "ridge": {"n": (int, None), "data": (str, "synthetic"), "d": (int, None), "m": (int, 25),
              "lam": (float, 1e-2), "batch": (int, None), "sigma": (float, 0.0),
              "split": (str, "contiguous"), "seed": (int, 0)},
}
_DATASETS = {"logistic": ("synthetic", "breast_cancer"), "ridge": ("synthetic", "diabetes")}

_TOPOLOGIES = {
    "ring": {}, "complete": {}, "star": {}, "exponential": {}, "hypercube": {},
    "torus": {"rows": (int, None), "cols": (int, None)},
    "grid2d": {"rows": (int, None), "cols": (int, None)},
    "erdos_renyi": {"p": (float, None), "seed": (int, 0)},
    "random_regular": {"degree": (int, None), "seed": (int, 0)},
}


def _sub_spec(text, table: dict, what: str, extra=()) -> tuple:
    """Parse and validate a sub-spec: ``(kind, params)`` with params coerced and checked."""
    kind, raw = parse_name(text, what)
    if kind not in table:
        raise TheorytoolsError(f"{what}: unknown kind {kind!r}; known: {', '.join(table)}")
    allowed = dict(table[kind])
    for k in extra:
        allowed[k] = (str, None)
    params = {}
    for key, value in raw.items():
        if key not in allowed:
            raise TheorytoolsError(f"{what} {text!r}: unknown parameter {key!r}; {kind} takes "
                                   f"{', '.join(allowed) or 'no parameters'}")
        params[key] = _coerce(value, allowed[key][0], f"{what} {kind}: {key}")
    return kind, params


def canonical_problem(text) -> str:
    """The canonical name of a problem spec (defaults omitted, parameters in a fixed order).

    Raises naming the parameter on an unknown one, a missing ``n``/``d`` or a wrong type."""
    kind, params = _sub_spec(text, _PROBLEMS, "problem")
    spec = _PROBLEMS[kind]
    if "n" not in params:
        raise TheorytoolsError(f"problem {text!r}: n (the number of nodes) is required")
    if params["n"] < 1:
        raise TheorytoolsError(f"problem {text!r}: n must be >= 1, got {params['n']}")
    data = params.get("data", "synthetic")
    if kind in _DATASETS and data not in _DATASETS[kind]:
        raise TheorytoolsError(f"problem {text!r}: data must be one of "
                               f"{', '.join(_DATASETS[kind])}, got {data!r}")
    if data == "synthetic":
        if "d" not in params:
            raise TheorytoolsError(f"problem {text!r}: d (the dimension) is required")
    else:
        for key in ("d", "m"):
            if key in params:
                raise TheorytoolsError(f"problem {text!r}: {key} is fixed by data={data}")
    items = [(k, params[k]) for k in spec if k in params and params[k] != spec[k][1]]
    return _name(kind, items)


def canonical_topology(text) -> str:
    """The canonical name of a topology spec (n comes from the problem)."""
    kind, params = _sub_spec(text, _TOPOLOGIES, "topology", extra=("weights",))
    for key, (_, default) in _TOPOLOGIES[kind].items():
        if default is None and key not in params:
            raise TheorytoolsError(f"topology {text!r}: {key} is required")
    order = list(_TOPOLOGIES[kind]) + ["weights"]
    return _name(kind, [(k, params[k]) for k in order if k in params])


_PROBLEM_CACHE: dict = {}


def build_problem(text: str) -> "Problem":
    """The :class:`theorytools.problems.Problem` of a problem spec (cached per process: a
    sweep's runs share their problem, whose certification can take a second).

    Parameters
    ----------
    text : str
        A problem spec, e.g. ``"quadratic[n=8,d=10]"``, ``"logistic[n=4,d=5,batch=1]"``,
        ``"logistic[n=4,data=breast_cancer]"`` (see the module docstring).

    Returns
    -------
    theorytools.problems.Problem
        The certified problem (``docs/problems.md``).
    """
    name = canonical_problem(text)
    if name in _PROBLEM_CACHE:
        return _PROBLEM_CACHE[name]
    from theorytools import problems as P

    kind, raw = parse_name(name, "problem")
    spec = _PROBLEMS[kind]
    p = {k: _coerce(raw[k], spec[k][0], k) if k in raw else spec[k][1] for k in spec}
    noise = {"batch": p["batch"], "sigma": p["sigma"]} if kind != "quadratic" else {}
    if kind == "quadratic":
        prob = P.quadratic(p["n"], p["d"], p["mu"], p["L"], zeta_sq=p["zeta_sq"],
                           sigma=p["sigma"], seed=p["seed"], spectrum=p["spectrum"])
    elif p["data"] == "breast_cancer":
        prob = P.breast_cancer_logistic(p["n"], p["lam"], split=p["split"], seed=p["seed"],
                                        **noise)
    elif p["data"] == "diabetes":
        prob = P.diabetes_ridge(p["n"], p["lam"], split=p["split"], seed=p["seed"], **noise)
    else:
        rng = np.random.default_rng(p["seed"])
        N = p["n"] * p["m"]
        F = rng.standard_normal((N, p["d"]))
        w = rng.standard_normal(p["d"])
        if kind == "logistic":
            y = np.where(F @ w + 0.5 * rng.standard_normal(N) >= 0, 1.0, -1.0)
            prob = P.logistic(F, y, p["n"], p["lam"], split=p["split"], seed=p["seed"],
                              name=name, **noise)
        else:
            y = F @ w + 0.1 * rng.standard_normal(N)
            prob = P.ridge(F, y, p["n"], p["lam"], split=p["split"], seed=p["seed"], name=name,
                           **noise)
    if len(_PROBLEM_CACHE) >= 32:
        _PROBLEM_CACHE.clear()
    _PROBLEM_CACHE[name] = prob
    return prob


def _fits(text, n):
    """``(kind, params)`` of a topology spec, after checking that its size fits n nodes."""
    kind, raw = parse_name(canonical_topology(text), "topology")
    p = {k: _coerce(v, _TOPOLOGIES[kind].get(k, (str,))[0], k) for k, v in raw.items()}
    if kind in ("torus", "grid2d") and p["rows"] * p["cols"] != n:
        raise TheorytoolsError(f"topology {text!r}: rows*cols = {p['rows'] * p['cols']} but "
                               f"the problem has n = {n} nodes")
    if kind == "hypercube" and (n < 2 or n & (n - 1)):
        raise TheorytoolsError(f"topology 'hypercube' needs n a power of 2, got n = {n}")
    if kind == "ring" and n < 3:
        raise TheorytoolsError(f"topology 'ring' needs n >= 3 nodes, got n = {n} (use "
                               "'complete' for 2)")
    return kind, p


def build_topology(text: str, n: int) -> "Topology":
    """The :class:`theorytools.topology.Topology` of a topology spec on ``n`` nodes.

    Parameters
    ----------
    text : str
        E.g. ``"ring"``, ``"torus[rows=2,cols=4]"``, ``"erdos_renyi[p=0.5,seed=1]"``.
    n : int
        The number of nodes (the problem's).

    Returns
    -------
    theorytools.topology.Topology
        The graph and its mixing matrix (``docs/topology.md``).
    """
    from theorytools import topology as TP

    kind, p = _fits(text, n)
    w = {"weights": p.pop("weights")} if "weights" in p else {}
    if kind in ("torus", "grid2d"):
        return getattr(TP, kind)(p["rows"], p["cols"], **w)
    if kind == "hypercube":
        return TP.hypercube(n.bit_length() - 1, **w)
    if kind == "erdos_renyi":
        return TP.erdos_renyi(n, p["p"], p["seed"], **w)
    if kind == "random_regular":
        return TP.random_regular(n, p["degree"], p["seed"], **w)
    return getattr(TP, kind)(n, **w)


# --------------------------------------------------------------------------- the spec
@dataclass(frozen=True)
class RunSpec:
    """One run of one algorithm (see the module docstring for the canonical name).

    Attributes
    ----------
    algorithm : str
        One of :data:`ALGORITHMS`.
    problem : str
        Canonical problem spec (``n`` nodes).
    topology : str or None
        Canonical topology spec (decentralized algorithms; None for the others).
    compressor : str or None
        Canonical compressor name (compressed algorithms; None for the others).
    gamma : float or None
        Step size (local SGD: None = Stich's :math:`4/(\\mu(a+t))`).
    T : int
        Number of iterations.
    seed : int
        Seed of the run's random streams (node i at step t: ``node_step_key(seed, i, t)``).
    record : str
        ``"log"`` or ``"every"`` (:func:`theorytools.algorithms.schedule`).
    options : tuple
        The algorithm's own options and the network model (latency, bandwidth, compute), as
        sorted-by-canonical-order ``(key, value)`` pairs; defaults are dropped.
    """

    algorithm: str
    problem: str
    T: int
    topology: str | None = None
    compressor: str | None = None
    gamma: float | None = None
    seed: int = 0
    record: str = "log"
    options: tuple = field(default=())

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_dict(cls, table: dict) -> "RunSpec":
        """A spec from a dict or a TOML table: ``algorithm`` plus the fields of the canonical
        name (``problem``, ``topology``, ``compressor``, ``gamma``, ``T``, ``seed``,
        ``record``, the algorithm's options, ``latency``/``bandwidth``/``compute``).

        Raises :class:`~theorytools.errors.TheorytoolsError` naming the field and the value on
        an unknown field, a missing one, a wrong type or a field the algorithm does not take.
        """
        if not isinstance(table, dict):
            raise TheorytoolsError(f"a run spec must be a table (dict), got "
                                   f"{type(table).__name__}")
        table = dict(table)
        alg = table.pop("algorithm", None)
        if alg is None:
            raise TheorytoolsError("run spec: the field 'algorithm' is missing (one of "
                                   f"{', '.join(ALGORITHMS)})")
        if alg not in ALGORITHMS:
            raise TheorytoolsError(f"run spec: algorithm {alg!r} is unknown; known: "
                                   f"{', '.join(ALGORITHMS)}")
        own = ALGORITHMS[alg]
        allowed = set(_COMMON) | set(own) | set(_NETWORK)
        for key in table:
            if key not in allowed:
                raise TheorytoolsError(f"run spec {alg}: unknown field {key!r}; {alg} takes "
                                       f"{', '.join([*_COMMON, *own, *_NETWORK])}")
        if "problem" not in table:
            raise TheorytoolsError(f"run spec {alg}: the field 'problem' is missing (e.g. "
                                   "problem = 'quadratic[n=8,d=10]')")
        problem = canonical_problem(table["problem"])
        n = _coerce(parse_name(problem, "problem")[1]["n"], int, "problem n")
        if "T" not in table:
            raise TheorytoolsError(f"run spec {alg}: the field 'T' (iterations) is missing")
        T = _coerce(table["T"], int, f"run spec {alg}: T")
        if T < 0:
            raise TheorytoolsError(f"run spec {alg}: T must be >= 0, got {T}")
        topology = table.get("topology")
        if alg in DECENTRALIZED:
            topology = canonical_topology("ring" if topology is None else topology)
            if n < 2:
                raise TheorytoolsError(f"run spec {alg}: a graph needs n >= 2 nodes, got n = {n}")
            _fits(topology, n)
        elif topology is not None:
            raise TheorytoolsError(f"run spec {alg}: topology {topology!r} given, but {alg} "
                                   "is not decentralized (no graph)")
        compressor = table.get("compressor")
        if alg in COMPRESSED:
            if compressor is None:
                raise TheorytoolsError(f"run spec {alg}: the field 'compressor' is missing "
                                       "(e.g. compressor = 'dithering[s=4]')")
            from theorytools.compressors import create
            compressor = create(compressor).canonical_name
        elif compressor is not None:
            raise TheorytoolsError(f"run spec {alg}: compressor {compressor!r} given, but {alg} "
                                   "does not compress")
        gamma = table.get("gamma")
        if gamma is None:
            if alg != "local_sgd":
                raise TheorytoolsError(f"run spec {alg}: the field 'gamma' (step size) is "
                                       "missing")
        else:
            gamma = _coerce(gamma, float, f"run spec {alg}: gamma")
            if gamma <= 0:
                raise TheorytoolsError(f"run spec {alg}: gamma must be > 0, got {gamma!r}")
        seed = _coerce(table.get("seed", 0), int, f"run spec {alg}: seed")
        if not 0 <= seed < 2 ** 63:
            raise TheorytoolsError(f"run spec {alg}: seed must be in [0, 2^63), got {seed}")
        record = table.get("record", "log")
        if record not in ("log", "every"):
            raise TheorytoolsError(f"run spec {alg}: record must be 'log' or 'every', got "
                                   f"{record!r}")
        options = []
        for key, (typ, default) in list(own.items()) + [(k, (t, None)) for k, t in
                                                        _NETWORK.items()]:
            if key in table:
                value = _coerce(table[key], typ, f"run spec {alg}: {key}")
                if value != default:
                    options.append((key, value))
            elif default is None and key == "H":
                raise TheorytoolsError(f"run spec {alg}: the field 'H' (local steps between "
                                       "averagings) is missing")
        opts = dict(options)
        if alg == "dpsgd" and opts.get("form", "lian") not in ("lian", "atc"):
            raise TheorytoolsError(f"run spec dpsgd: form must be 'lian' or 'atc', got "
                                   f"{opts['form']!r}")
        if alg == "cgd" and n != 1:
            raise TheorytoolsError(f"run spec cgd: needs a single-node problem (n=1), got "
                                   f"n={n}; use dcgd")
        return cls(alg, problem, T, topology, compressor, gamma, seed, record, tuple(options))

    def replace(self, **changes) -> "RunSpec":
        """A copy with some fields changed (validated again)."""
        return RunSpec.from_dict({**self.as_dict(), **changes})

    # ------------------------------------------------------------------ names
    def as_dict(self) -> dict:
        """The fields as a dict (``RunSpec.from_dict(spec.as_dict()) == spec``)."""
        out = {"algorithm": self.algorithm, "problem": self.problem}
        if self.topology is not None:
            out["topology"] = self.topology
        if self.compressor is not None:
            out["compressor"] = self.compressor
        if self.gamma is not None:
            out["gamma"] = self.gamma
        out["T"] = self.T
        out.update(self.options)
        if self.record != "log":
            out["record"] = self.record
        out["seed"] = self.seed
        return out

    @property
    def config(self) -> str:
        """The canonical name without the seed (the configuration a sweep's seeds share)."""
        items = [(k, v) for k, v in self.as_dict().items() if k not in ("algorithm", "seed")]
        return _name(self.algorithm, items)

    @property
    def name(self) -> str:
        """The canonical name, seed included: ``algorithm[problem=...,...,seed=S]``."""
        items = [(k, v) for k, v in self.as_dict().items() if k != "algorithm"]
        return _name(self.algorithm, items)

    def __str__(self):
        return self.name

    @property
    def n(self) -> int:
        """The number of nodes (the problem's n)."""
        return int(parse_name(self.problem, "problem")[1]["n"])


def parse(text: str) -> RunSpec:
    """A :class:`RunSpec` from its canonical name (or any equivalent spelling).

    Parameters
    ----------
    text : str
        ``algorithm[field=value,...]``; nested specs inline, e.g.
        ``"dcd_psgd[problem=quadratic[n=4,d=8],compressor=dithering[s=4],gamma=0.05,T=100]"``.

    Returns
    -------
    RunSpec
        ``parse(spec.name) == spec`` for every spec.
    """
    alg, raw = parse_name(text, "run spec")
    return RunSpec.from_dict({"algorithm": alg, **raw})


# --------------------------------------------------------------------------- running
def _call(spec: RunSpec, problem, threads=None):
    from theorytools import algorithms as A
    from theorytools.algorithms import NetworkModel

    opts = dict(spec.options)
    net = {k: opts.pop(k) for k in list(opts) if k in _NETWORK}
    common = {"seed": spec.seed, "record": spec.record, "network": NetworkModel(**net)}
    alg = spec.algorithm
    if alg in DECENTRALIZED:
        top = build_topology(spec.topology, problem.n)
        fn = getattr(A, alg)
        if alg == "dpsgd":
            return fn(problem, top, spec.gamma, spec.T, threads=threads, **common, **opts)
        return fn(problem, top, spec.compressor, spec.gamma, spec.T, threads=threads,
                  **common, **opts)
    if alg == "local_sgd":
        stepsize = "stich" if spec.gamma is None else spec.gamma
        H = opts.pop("H")
        return A.local_sgd(problem, spec.T, H, stepsize=stepsize, **common, **opts)
    if alg == "minibatch_sgd":
        return A.minibatch_sgd(problem, spec.gamma, spec.T, **common, **opts)
    return getattr(A, alg)(problem, spec.compressor, spec.gamma, spec.T, **common, **opts)


def record_of(spec: RunSpec, trace, elapsed: float) -> dict:
    """The flat result record of a finished run (see :func:`run`)."""
    bits_total = trace.bits.sum(axis=1)
    rec = {"name": spec.name, "config": spec.config, "status": "ok", "error": None,
           **spec.as_dict(),
           "f_gap": float(trace.f_gap[-1]), "grad_norm_sq": float(trace.grad_norm_sq[-1]),
           "dist_sq": float(trace.dist_sq[-1]), "consensus": float(trace.consensus[-1]),
           "bits_total": int(bits_total[-1]), "bits_max_node": int(trace.bits[-1].max()),
           "bits_exact": bool(trace.bits_exact), "wall_model": float(trace.wall_time[-1]),
           "elapsed": float(elapsed),
           "steps": [int(v) for v in trace.steps],
           "f_gap_curve": [float(v) for v in trace.f_gap],
           "consensus_curve": [float(v) for v in trace.consensus],
           "bits_curve": [int(v) for v in bits_total],
           "wall_model_curve": [float(v) for v in trace.wall_time]}
    if "f_gap_x_hat" in trace.meta:
        rec["f_gap_x_hat"] = float(trace.meta["f_gap_x_hat"])
    return rec


def run(spec: RunSpec | str | dict, *, iterates: bool = False,
        threads: int | str | None = None) -> dict:
    r"""Run a spec on the simulator; its flat result record.

    Parameters
    ----------
    spec : RunSpec, str or dict
        The run (a canonical name or a table is parsed first).
    iterates : bool, optional
        Also return the final iterates ``X`` (n, d) as a nested list under ``"X"``.
    threads : int, "all" or None, optional
        Simulator threads (decentralized algorithms); the results are bit-identical for any
        number (an execution setting, not part of the spec).

    Returns
    -------
    dict
        ``name``, ``config`` (name without the seed), ``status = "ok"``, the spec's fields,
        the final values ``f_gap`` = :math:`f(\bar x_T) - f^\star`, ``grad_norm_sq``,
        ``dist_sq``, ``consensus`` = :math:`\frac1n\sum_i\|x_i - \bar x\|^2`, ``bits_total``
        (all nodes), ``bits_max_node``, ``bits_exact``, ``wall_model`` (seconds of the network
        cost model, :class:`theorytools.algorithms.NetworkModel`), ``elapsed`` (measured
        seconds; the only field that differs between two runs of one spec), and the curves
        ``steps``, ``f_gap_curve``, ``consensus_curve``, ``bits_curve``,
        ``wall_model_curve`` (lists, one entry per recorded step); ``warnings``: the
        warnings the run raised (e.g. an ``AssumptionWarning`` for a biased compressor in
        DCD-PSGD), also re-issued to the caller.

    References
    ----------
    docs/scale-out.md; docs/algorithms.md ("Traces").
    """
    if isinstance(spec, str):
        spec = parse(spec)
    elif isinstance(spec, dict):
        spec = RunSpec.from_dict(spec)
    elif not isinstance(spec, RunSpec):
        raise TheorytoolsError(f"spec must be a RunSpec, a canonical name or a dict, got "
                               f"{type(spec).__name__}")
    t0 = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        problem = build_problem(spec.problem)
        trace = _call(spec, problem, threads)
    rec = record_of(spec, trace, time.perf_counter() - t0)
    rec["warnings"] = list(dict.fromkeys(f"{w.category.__name__}: {w.message}" for w in caught))
    for w in caught:     # still shown to the caller, as a direct call would
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    if iterates:
        rec["X"] = np.asarray(trace.X).tolist()
    return rec
