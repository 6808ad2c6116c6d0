"""RunSpec: canonical names that round-trip, validation naming the field, run() = the
algorithm called directly."""
from __future__ import annotations

import numpy as np
import pytest

from theorytools import algorithms as A
from theorytools.errors import TheorytoolsError
from theorytools.runspec import RunSpec, build_problem, build_topology, parse, run

NAMES = [
    "dcd_psgd[problem=quadratic[n=4,d=8],topology=ring,compressor=dithering[s=4],gamma=0.05,"
    "T=20]",
    "choco_sgd[problem=logistic[n=4,d=5,batch=1],topology=grid2d[rows=2,cols=2],"
    "compressor=top_k[k=2],gamma=0.1,T=10,consensus_step=0.5,seed=3]",
    "ecd_psgd[problem=ridge[n=3,d=4,sigma=0.1],topology=complete,compressor=natural,gamma=0.01,"
    "T=5,record=every]",
    "dpsgd[problem=logistic[n=4,data=breast_cancer],gamma=0.1,T=3,form=atc,float_bits=64]",
    "ef_sgd[problem=quadratic[n=3,d=4],compressor=top_k[k=1],gamma=0.1,T=5,latency=0.01]",
    "local_sgd[problem=logistic[n=4,d=5,batch=1],T=8,H=4]",
    "minibatch_sgd[problem=quadratic[n=2,d=3,mu=0.5,L=2.0],gamma=0.1,T=4]",
    "cgd[problem=quadratic[n=1,d=3],compressor=scaled_sign,gamma=0.1,T=4]",
    "naive_compressed[problem=quadratic[n=4,d=3],topology=erdos_renyi[p=0.9,seed=2],"
    "compressor=natural,gamma=0.1,T=4]",
    "dcgd[problem=quadratic[n=3,d=3],compressor=rand_k[k=1],gamma=0.1,T=4,shared=true]",
]


@pytest.mark.parametrize("text", NAMES)
def test_name_round_trips(text):
    spec = parse(text)
    assert parse(spec.name) == spec
    assert parse(spec.name).name == spec.name
    assert RunSpec.from_dict(spec.as_dict()) == spec
    assert spec.name.startswith(spec.algorithm + "[")
    assert spec.config in spec.name.replace(f",seed={spec.seed}]", "]")


def test_equivalent_spellings_have_one_name():
    a = parse("dcd_psgd[gamma=0.05,compressor=dithering[s=4],problem=quadratic[n=4,d=8],T=20]")
    b = parse("dcd_psgd[problem=quadratic[d=8,n=4,mu=0.1,seed=0],T=20.0,gamma=5e-2,seed=0,"
              "topology=ring,compressor=dithering[s=4,p=2],record=log]")
    assert a == b and a.name == b.name
    assert a.name == ("dcd_psgd[problem=quadratic[n=4,d=8],topology=ring,"
                      "compressor=dithering[s=4,p=2.0,coding=fixed],gamma=0.05,T=20,seed=0]")


def test_distinct_runs_have_distinct_names():
    """A canonical name that dropped or merged a field would make two runs share one result
    file: every field change changes the name."""
    base = parse(NAMES[1])
    variants = [base, base.replace(seed=4), base.replace(gamma=0.2), base.replace(T=11),
                base.replace(compressor="top_k[k=3]"), base.replace(topology="ring"),
                base.replace(consensus_step=0.25), base.replace(record="every"),
                base.replace(problem="logistic[n=4,d=5,batch=2]"), base.replace(latency=1.0)]
    assert len({v.name for v in variants}) == len(variants)
    assert len({v.config for v in variants if v.seed == 3}) == len(variants) - 1


@pytest.mark.parametrize("table, field", [
    ({"problem": "quadratic[n=4,d=3]", "T": 5}, "algorithm"),
    ({"algorithm": "dcd", "problem": "quadratic[n=4,d=3]", "T": 5}, "'dcd'"),
    ({"algorithm": "dpsgd", "problem": "quadratic[n=4,d=3]", "T": 5, "gama": 0.1}, "'gama'"),
    ({"algorithm": "dpsgd", "problem": "quadratic[n=4,d=3]", "T": 5}, "gamma"),
    ({"algorithm": "dpsgd", "problem": "quadratic[n=4,d=3]", "T": "ten", "gamma": 0.1}, "'ten'"),
    ({"algorithm": "dpsgd", "problem": "quadratic[n=4,d=3]", "T": 5, "gamma": -1}, "-1"),
    ({"algorithm": "dpsgd", "problem": "quadratic[n=4,d=3]", "T": 5, "gamma": 0.1,
      "compressor": "natural"}, "does not compress"),
    ({"algorithm": "ef_sgd", "problem": "quadratic[n=4,d=3]", "T": 5, "gamma": 0.1,
      "compressor": "natural", "topology": "ring"}, "not decentralized"),
    ({"algorithm": "dcd_psgd", "problem": "quadratic[n=4,d=3]", "T": 5, "gamma": 0.1},
     "compressor"),
    ({"algorithm": "dcd_psgd", "problem": "quadratic[n=4,d=3]", "T": 5, "gamma": 0.1,
      "compressor": "nope"}, "'nope'"),
    ({"algorithm": "dcd_psgd", "problem": "quadratic[n=4,d=3,dd=2]", "T": 5, "gamma": 0.1,
      "compressor": "natural"}, "'dd'"),
    ({"algorithm": "dcd_psgd", "problem": "quadratic[d=3]", "T": 5, "gamma": 0.1,
      "compressor": "natural"}, "n "),
    ({"algorithm": "dcd_psgd", "problem": "cubic[n=4,d=3]", "T": 5, "gamma": 0.1,
      "compressor": "natural"}, "'cubic'"),
    ({"algorithm": "dcd_psgd", "problem": "quadratic[n=4,d=3]", "T": 5, "gamma": 0.1,
      "compressor": "natural", "topology": "torus[rows=2]"}, "cols"),
    ({"algorithm": "dpsgd", "problem": "quadratic[n=4,d=3]", "T": 5, "gamma": 0.1,
      "form": "xyz"}, "'xyz'"),
    ({"algorithm": "local_sgd", "problem": "quadratic[n=4,d=3]", "T": 5}, "'H'"),
    ({"algorithm": "choco_sgd", "problem": "quadratic[n=4,d=3]", "T": 5, "gamma": 0.1,
      "compressor": "natural", "consensus_step": "big"}, "'big'"),
    ({"algorithm": "dcd_psgd", "problem": "logistic[n=4,data=iris]", "T": 5, "gamma": 0.1,
      "compressor": "natural"}, "'iris'"),
    ({"algorithm": "dcd_psgd", "problem": "quadratic[n=8,d=3]", "T": 5, "gamma": 0.1,
      "compressor": "natural", "topology": "torus[rows=3,cols=3]"}, "n = 8"),
    ({"algorithm": "dpsgd", "problem": "quadratic[n=2,d=3]", "T": 5, "gamma": 0.1}, "'ring'"),
    ({"algorithm": "dpsgd", "problem": "quadratic[n=6,d=3]", "T": 5, "gamma": 0.1,
      "topology": "hypercube"}, "power of 2"),
])
def test_bad_fields_are_named(table, field):
    with pytest.raises(TheorytoolsError) as info:
        RunSpec.from_dict(table)
    assert field in str(info.value)


@pytest.mark.parametrize("text, where", [
    ("dcd_psgd[problem=quadratic[n=4,d=3],T=5", "unbalanced"),
    ("dcd_psgd[T=5,T=6]", "twice"),
    ("dcd_psgd[T]", "lacks '='"),
    ("dcd psgd", "not of the form"),
])
def test_bad_names(text, where):
    with pytest.raises(TheorytoolsError, match=where):
        parse(text)


def test_topology_must_fit_the_problem():
    with pytest.raises(TheorytoolsError, match="rows\\*cols"):
        build_topology("grid2d[rows=2,cols=3]", 4)
    with pytest.raises(TheorytoolsError, match="power of 2"):
        build_topology("hypercube", 6)
    assert build_topology("hypercube", 8).n == 8


def test_run_equals_the_algorithm_called_directly():
    spec = parse(NAMES[1])
    rec = run(spec, iterates=True)
    problem = build_problem(spec.problem)
    top = build_topology(spec.topology, problem.n)
    trace = A.choco_sgd(problem, top, "top_k[k=2]", 0.1, 10, consensus_step=0.5, seed=3)
    assert rec["f_gap_curve"] == trace.f_gap.tolist()
    assert rec["consensus_curve"] == trace.consensus.tolist()
    assert rec["bits_curve"] == trace.bits.sum(axis=1).tolist()
    assert np.asarray(rec["X"]).tobytes() == trace.X.tobytes()
    assert rec["f_gap"] == trace.f_gap[-1] and rec["status"] == "ok"
    other = run(spec.replace(seed=4))
    assert other["f_gap_curve"] != rec["f_gap_curve"]     # the seed reaches the run


def test_local_sgd_and_centralized_records():
    rec = run(NAMES[5])
    assert "gamma" not in rec and rec["H"] == 4        # Stich's step sizes 4/(mu(a+t))
    assert np.isfinite(rec["f_gap_x_hat"])
    rec = run(NAMES[4])
    trace = A.ef_sgd(build_problem("quadratic[n=3,d=4]"), "top_k[k=1]", 0.1, 5,
                     network=A.NetworkModel(latency=0.01))
    assert rec["wall_model_curve"] == trace.wall_time.tolist()


def test_synthetic_data_is_a_function_of_the_spec():
    a = build_problem("logistic[n=4,d=5,seed=1]")
    assert a is build_problem("logistic[d=5,n=4,seed=1,m=25]")     # cached under its name
    from theorytools.runspec import _PROBLEM_CACHE
    _PROBLEM_CACHE.clear()
    b = build_problem("logistic[n=4,d=5,seed=1]")
    assert a is not b and a.f_star == b.f_star
    assert build_problem("logistic[n=4,d=5,seed=2]").f_star != a.f_star


@pytest.mark.parametrize("module", ["theorytools.runspec", "theorytools.sweep",
                                    "theorytools.mpi"])
def test_public_names_are_documented(module):
    """The rule of tests/test_public_api_docs.py for the scale-out modules."""
    import importlib

    from test_public_api_docs import problems_of
    mod = importlib.import_module(module)
    assert isinstance(mod.__all__, list)
    missing = [p for name in mod.__all__ for p in problems_of(getattr(mod, name),
                                                                f"{module}.{name}")]
    assert not missing, missing
