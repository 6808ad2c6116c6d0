"""Mutation testing of theorytools: plant small realistic bugs one at a time and see which the
tests or ``theorytools verify --quick`` catch (not run by default CI; see docs/mutation.md).

Each mutant replaces ONE exact piece of source text (it must occur exactly once in its file) in
a temporary copy of the package, never in the working tree: the tree is copied once to a base
directory under /tmp (where the unmutated targets run first, which also warms the Numba cache
and proves that every target passes without a mutant), then per mutant the base is copied to a
fresh directory (``cp -a`` keeps the files' times, so the Numba cache stays valid for every
file but the mutated one), the text is replaced, the mutant's targeted tests and its
``verify --quick`` selection run, and the copy is deleted.

A mutant is **caught** if its targeted pytest run or its ``verify --quick --check/--paper``
run exits non-zero (a failure, an error, or an import error: any visible breakage), within
the per-command time limit (a timeout is reported separately, as ``timeout``, and counted as
NOT caught). Targeted selection is necessary on a 2-core machine: the full suite takes about
6 minutes, so ~60 mutants against the full suite would take 6 hours; the targets of a mutant
are the test files (with ``-k`` filters) and verify checks that exercise the mutated code.

Usage::

    python bench/mutation.py                 # every mutant, prints a table and the score
    python bench/mutation.py --list          # the mutants
    python bench/mutation.py --only ID,ID    # some mutants
    python bench/mutation.py --check         # only check that every pattern occurs once
    python bench/mutation.py --json out.json # also write the results

Run it alone, single process, e.g. ``nice -n 10 python bench/mutation.py``.
"""
from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TIMEOUT = 120.0   # seconds per command (the targets are chosen to take well under 60 s)
VERIFY = ["-c", "import sys; from theorytools.cli import main; sys.exit(main())", "verify",
          "--quick"]


@dataclass
class Mutant:
    id: str
    kind: str            # the area: compressors, codecs, bounds, topology, ...
    path: str            # file, relative to the repository root
    old: str             # exact text, must occur once
    new: str
    tests: list = field(default_factory=list)    # pytest argument lists
    verify: list = field(default_factory=list)   # verify argument lists (--check X / --paper P)
    why: str = ""


def M(id, kind, path, old, new, tests=(), verify=(), why=""):
    return Mutant(id, kind, path, old, new, [shlex.split(t) for t in tests],
                  [shlex.split(v) for v in verify], why)


K = "theorytools/compressors/_kernels.py"
TC = "tests/test_compressors.py"
TR = "tests/test_robustness.py"
TK = "tests/test_mutation_kills.py"
TK2 = "tests/test_mutation_kills_newer.py"   # kill tests of the second round's survivors

MUTANTS = [
    # ------------------------------------------------------------ the survivors
    M("theorem-stich-drift-coef-halved", "theory", "theorytools/theory/stich2018.py",
      "drift_coef=256.0):", "drift_coef=128.0):",
      [f"{TK} -k stich", "tests/test_theory_stich.py -k planted_wrong_constant"],
      ["--check theorem.stich2018.theorem_2_2"],
      "a constant of a registered theorem bound made smaller (the issue's kind 1)"),
    M("cost-allreduce-bandwidth-halved", "algorithms", "theorytools/algorithms/cost.py",
      "+ 2 * (n - 1) / n * bits / self.bandwidth)", "+ (n - 1) / n * bits / self.bandwidth)",
      [f"{TK} -k cost", "tests/test_algorithms.py -k bits_and_wall"], [],
      "the all-reduce bandwidth term halved (the issue's kind 2)"),
    M("verify-ignores-tightness", "checkers", "theorytools/verify.py",
      "ok = c.valid and (c.attained or not c.tight_declared)", "ok = c.valid",
      [f"{TK} -k tight", "tests/test_cli.py -k verify_fails"], ["--check compressor.natural"],
      "verify ignores whether a constant declared tight is attained (the issue's kind 3)"),
    M("natural-rounding-probability", "compressors", K,
      "up = r < ((b & _MANT) << _ONE_U)", "up = r < (b & _MANT)",
      [f"{TC} -k 'natural and (sampler or contract)'"], ["--check compressor.natural."],
      "natural compression rounds up with half the right probability (sampler only)"),
    # ------------------------------------------------------------ compressors
    M("natural-law-probability", "compressors", K,
      "p_up[i] = (a - lo) / lo       # exact", "p_up[i] = (a - lo) / (2.0 * lo)",
      [f"{TC} -k 'natural and contract'"], ["--check compressor.natural."]),
    M("biased-natural-ties-up", "compressors", K,
      "up = (b & _MANT) > _HALF_MANT", "up = (b & _MANT) >= _HALF_MANT",
      [f"{TC} -k 'biased_natural or spec_vectors_rounding'"],
      ["--check compressor.biased_natural"]),
    M("top-k-delta-wrong", "compressors", "theorytools/compressors/sparsify.py",
      'delta=_c(d / k, "compressor table C1 (docs/sources.md#table); compressor definitions (docs/sources.md#definitions)", status=_POSTER),', 'delta=_c(d / (k + 1), "compressor table C1 (docs/sources.md#table); compressor definitions (docs/sources.md#definitions)", status=_POSTER),',
      [f"{TC} -k 'contract and top_k'"], ["--check compressor.top_k."]),
    M("rand-k-omega-loose", "compressors", "theorytools/compressors/sparsify.py",
      'omega=_c(d / k - 1, "compressor table C2 (docs/sources.md#table)', 'omega=_c(d / k, "compressor table C2 (docs/sources.md#table)',
      [f"{TC} -k 'contract and rand_k'"], ["--check compressor.rand_k."]),
    M("bernoulli-scale-wrong", "compressors", "theorytools/compressors/sparsify.py",
      'return 1.0 / self.params["p"] if self.scaled else 1.0',
      'return 1.0 / (1.0 - self.params["p"]) if self.scaled else 1.0',
      [f"{TC} -k 'bernoulli and (contract or sampler)'"], ["--check compressor.bernoulli."]),
    M("scaled-sign-divides-by-d-plus-1", "compressors", "theorytools/compressors/elementwise.py",
      "round_scalar(float(K.abs_sum(x)) / x.size,", "round_scalar(float(K.abs_sum(x)) / (x.size + 1),",
      [f"{TC} -k 'scaled_sign and contract'"], ["--check compressor.scaled_sign"]),
    M("grid-variance-too-small", "compressors", "theorytools/compressors/elementwise.py",
      "abs_variance=_c(d * step * step / 4,", "abs_variance=_c(d * step * step / 8,",
      [f"{TC} -k 'grid and contract'"], ["--check compressor.grid_rounding"]),
    M("unbiased-rounding-omega-loose", "compressors", "theorytools/compressors/elementwise.py",
      "ratios = (hi - lo) ** 2 / (4 * lo * hi)", "ratios = (hi - lo) ** 2 / (2 * lo * hi)",
      [f"{TC} -k 'unbiased_rounding and contract'"], ["--check compressor.unbiased_rounding"]),
    M("dithering-s1-omega", "compressors", "theorytools/compressors/dithering.py",
      "omega = Constant(cp * math.sqrt(d) - 1.0,", "omega = Constant(cp * math.sqrt(d) - 0.5,",
      [f"{TC} -k 'dithering and contract'"], ["--check compressor.dithering"]),
    M("natural-extremal-input-wrong", "compressors", "theorytools/compressors/elementwise.py",
      "worst = signs * (4 / 3) * np.exp2(np.arange(d) % 7 - 3)",
      "worst = signs * (5 / 4) * np.exp2(np.arange(d) % 7 - 3)",
      [f"{TC} -k 'natural and (contract or declared)'"], ["--check compressor.natural."]),
    M("from-unbiased-delta", "compressors", "theorytools/compressors/_theory.py",
      'out["delta"] = Constant(1.0 / (2.0 - zeta), src, omega.status, omega.tight)',
      'out["delta"] = Constant(1.0 / (2.5 - zeta), src, omega.status, omega.tight)',
      [f"{TC} -k 'contract and (natural or bernoulli)'"], ["--check compressor.natural."]),
    M("compress-ignores-out-check", "compressors", "theorytools/compressors/base.py",
      "or not out.flags.c_contiguous):", "and not out.flags.c_contiguous):",
      [f"{TC} -k out_buffer", f"{TR} -k out"], []),
    # ------------------------------------------------------------ contract / measure checkers
    M("contract-tightness-ignored", "checkers", "theorytools/compressors/contract.py",
      "e.description, emp, theo, abs(slack) <= tol,", "e.description, emp, theo, slack >= -tol,",
      [f"{TC} -k 'planted_loose or declared'"], []),
    M("contract-unbiased-tolerance-loose", "checkers", "theorytools/compressors/contract.py",
      "rel, 0.0,\n                                      rel <= tol,",
      "rel, 0.0,\n                                      rel <= 1e-3,",
      [f"{TC} -k planted_bias", f"{TK} -k unbiased"], []),
    M("contract-sampler-radius-10x", "checkers", "theorytools/compressors/contract.py",
      "abs(values.mean() - expected) <= radius + slack,",
      "abs(values.mean() - expected) <= 10 * radius + slack,",
      [f"{TC} -k planted_sampler", f"{TK} -k sampler"], []),
    M("measure-lower-type-inverted", "checkers", "theorytools/compressors/measure.py",
      'LOWER_TYPE = ("b1_alpha", "b2_gamma")', 'LOWER_TYPE = ("b1_alpha",)',
      [f"{TK} -k measure", "tests/test_cli.py -k verify_fails"], ["--check compressor.top_k."]),
    # ------------------------------------------------------------ codecs
    M("elias-gamma-length", "codecs", "theorytools/codecs/elias.py",
      "return 2 * (n.bit_length() - 1) + 1", "return 2 * (n.bit_length() - 1)",
      ["tests/test_codecs.py -k elias"], []),
    M("elias-delta-length", "codecs", "theorytools/codecs/elias.py",
      "return nb + 2 * ((nb + 1).bit_length() - 1) + 1",
      "return nb + 2 * (nb.bit_length() - 1) + 1",
      ["tests/test_codecs.py -k elias"], []),
    M("message-payload-length", "codecs", "theorytools/codecs/message.py",
      "len(self.payload) != (self.nbits + 7) // 8", "len(self.payload) < (self.nbits + 7) // 8",
      ["tests/test_codecs.py -k message", f"{TR} -k message"], []),
    M("decode-accepts-trailing-bits", "codecs", "theorytools/compressors/base.py",
      "        reader.expect_end()\n", "",
      [f"{TC} -k decode_rejects", f"{TR} -k message"], []),
    M("log2-binom-off-by-one", "codecs", "theorytools/codecs/enumerative.py",
      "return (math.lgamma(n + 1) - math.lgamma(m + 1) - math.lgamma(n - m + 1)) / _LN2",
      "return (math.lgamma(n + 1) - math.lgamma(m + 1) - math.lgamma(n - m)) / _LN2",
      ["tests/test_codecs.py -k 'blocked or subset or regime'"], []),
    # ------------------------------------------------------------ bounds
    M("bounds-asymptotic-c1", "bounds", "theorytools/bounds.py",
      "def _c1(q): return (4 * q + 1) / 8", "def _c1(q): return (4 * q + 1) / 4",
      ["tests/test_bounds.py -k asymptotic"], []),
    M("bounds-uncertainty-factor", "bounds", "theorytools/bounds.py",
      "return -0.5 * d * math.log2(alpha)", "return -d * math.log2(alpha)",
      ["tests/test_bounds.py -k uncertainty"], []),
    M("bounds-closed-form-d3", "bounds", "theorytools/bounds.py",
      "return ln_alpha - math.log(2.0 * (1.0 + math.sqrt(_complement(ln_alpha, alpha))))",
      "return ln_alpha - math.log(2.0 * (2.0 + math.sqrt(_complement(ln_alpha, alpha))))",
      ["tests/test_bounds.py -k 'closed_form or spec_worst'"], ["--check theorem.albasyoni2020"]),
    M("bounds-cell-distortion", "bounds", "theorytools/bounds.py",
      "return math.log1p(-1.0 / d) + _ln_cap(ln_alpha, d + 2) - _ln_cap(ln_alpha, d)",
      "return math.log1p(-2.0 / d) + _ln_cap(ln_alpha, d + 2) - _ln_cap(ln_alpha, d)",
      ["tests/test_bounds.py -k average"], []),
    # ------------------------------------------------------------ topology
    M("topology-tang-alpha-max", "topology", "theorytools/topology.py",
      "return (1.0 - top.slem) / (2.0 * math.sqrt(2.0) * top.mu_W)",
      "return (1.0 - top.slem) / (2.0 * top.mu_W)",
      ["tests/test_topology.py -k tang"], []),
    M("topology-slem-sq", "topology", "theorytools/topology.py",
      "slem_sq=slem * slem,", "slem_sq=slem,",
      ["tests/test_topology.py -k 'closed_form or table'", f"{TK} -k slem"], []),
    M("topology-metropolis-weight", "topology", "theorytools/topology.py",
      "w = 1.0 / (1.0 + np.maximum(deg[i], deg[j]))", "w = 1.0 / (1.0 + np.minimum(deg[i], deg[j]))",
      ["tests/test_topology.py -k 'metropolis or contract'"], []),
    M("topology-consensus-rate", "topology", "theorytools/topology.py",
      "return top.slem ** rounds", "return top.slem ** (rounds + 1)",
      ["tests/test_topology.py -k consensus"], []),
    M("topology-spectral-gap", "topology", "theorytools/topology.py",
      "spectral_gap=1.0 - abs(lambda2),", "spectral_gap=1.0 - abs(lambda_n),",
      ["tests/test_topology.py -k 'closed_form or table'"], []),
    # ------------------------------------------------------------ problems
    M("logistic-smoothness", "problems", "theorytools/problems/logistic.py",
      "L = float(_gram_lambda_max(flat[None])[0]) / (4 * N) + lam",
      "L = float(_gram_lambda_max(flat[None])[0]) / (2 * N) + lam",
      ["tests/test_problems.py -k 'constants or contract'",
       "tests/test_problems_logistic_gram.py"], []),
    M("quadratic-noise-scale", "problems", "theorytools/problems/_kernels.py",
      "scale = sigma / math.sqrt(out.shape[1])", "scale = sigma / out.shape[1]",
      ["tests/test_problems.py -k 'variance or stochastic'"], []),
    M("quadratic-gap-certificate", "problems", "theorytools/problems/quadratic.py",
      "f_gap_bound = res_norm ** 2 / (2.0 * mu)", "f_gap_bound = res_norm ** 2 / (4.0 * mu)",
      ["tests/test_problems.py -k 'optimum or constants'", f"{TK} -k certificate"], []),
    M("split-random-ignores-seed", "problems", "theorytools/problems/_validate.py",
      ('order = np.random.Generator(np.random.PCG64(check_int(seed, "seed", low=0))).permutation(N)',
       "order = np.random.Generator(np.random.PCG64(seed)).permutation(N)"),
      'order = np.random.Generator(np.random.PCG64(0)).permutation(N)',
      ["tests/test_problems.py -k 'split or bad_input'", f"{TR} -k seed"], []),
    # ------------------------------------------------------------ algorithms
    M("cost-neighbors-degree", "algorithms", "theorytools/algorithms/cost.py",
      "return self.compute + self.latency + max_degree * bits / self.bandwidth",
      "return self.compute + self.latency + bits / self.bandwidth",
      [f"{TK} -k cost", "tests/test_algorithms.py -k bits_and_wall"], []),
    M("cost-parameter-server", "algorithms", "theorytools/algorithms/cost.py",
      "return self.compute + 2 * self.latency + 2 * n * bits / self.bandwidth",
      "return self.compute + 2 * self.latency + n * bits / self.bandwidth",
      [f"{TK} -k cost", "tests/test_algorithms.py -k bits_and_wall"], []),
    M("cost-allreduce-latency", "algorithms", "theorytools/algorithms/cost.py",
      "return (self.compute + 2 * (n - 1) * self.latency", "return (self.compute + (n - 1) * self.latency",
      [f"{TK} -k cost", "tests/test_algorithms.py -k bits_and_wall"], []),
    M("step-schedule-allows-zero", "algorithms", "theorytools/algorithms/_common.py",
      "bad = ~np.isfinite(steps) | (steps <= 0)", "bad = ~np.isfinite(steps) | (steps < 0)",
      ["tests/test_algorithms.py -k 'schedule or bad_input'", "tests/test_local_schedule.py",
       f"{TK} -k schedule"], []),
    M("record-beyond-T", "algorithms", "theorytools/algorithms/_common.py",
      "record_at[-1] > T:", "record_at[-1] > T + 1:",
      ["tests/test_algorithms.py -k bad_input", f"{TK} -k record"], []),
    M("unbiased-warning-dropped", "algorithms", "theorytools/algorithms/_common.py",
      ("if compressor is not None and not compressor.theory(2).unbiased:",
       "if compressor is not None and not compressor.theory(d).unbiased:"),
      "if False:",
      ["tests/test_algorithms.py -k 'bad_input or counterexample'", f"{TK} -k warn"], []),
    M("stich-shift-constant", "algorithms", "theorytools/algorithms/local.py",
      "return max(16.0 * problem.L / problem.mu, float(H))",
      "return max(8.0 * problem.L / problem.mu, float(H))",
      ["tests/test_algorithms.py -k local", "tests/test_local_schedule.py", f"{TK} -k shift"],
      []),
    M("exact-moments-ecd", "theory", "theorytools/theory/tang2018.py",
      "return 2.0 * s / 3.0 * (1.0 / (t - 1) + 1.0 / t)", "return s / 3.0 * (1.0 / (t - 1) + 1.0 / t)",
      ["tests/test_theory_tang.py -k ecd"], ["--check theorem.tang2018.ecd_estimation_error"]),
    # ------------------------------------------------------------ checkers (check.py)
    M("check-tight-upper-end", "checkers", "theorytools/check.py",
      "ok = bool(lo <= ratio <= hi)", "ok = bool(lo <= ratio)",
      ["tests/test_check.py", f"{TK} -k tight_fails"], []),
    M("check-slope-agree-one-sided", "checkers", "theorytools/check.py",
      "ok = hi >= predicted - tol and lo <= predicted + tol", "ok = hi >= predicted - tol",
      ["tests/test_check.py"], []),
    M("check-diverges-growth", "checkers", "theorytools/check.py",
      "growth >= min_growth and factor > 1)", "factor > 1)",
      ["tests/test_check.py", f"{TK} -k diverges_needs"], []),
    M("check-mean-equals-radius-doubled", "checkers", "theorytools/check.py",
      "ok = abs(mean - expected) <= rad + bias", "ok = abs(mean - expected) <= 2 * rad + bias",
      ["tests/test_check.py", f"{TK} -k mean_equals"], []),
    M("check-law-rtol-ignored", "checkers", "theorytools/check.py",
      "ok = bool(np.all(np.isfinite(a)) and np.all(dev <= allowed))",
      "ok = bool(np.all(np.isfinite(a)) and np.all(dev <= 10 * allowed))",
      ["tests/test_check.py", f"{TK} -k law"], []),
    M("check-hoeffding-one-sided", "checkers", "theorytools/check.py",
      "(2.0 if two_sided else 1.0) / p_fail", "(1.0 if two_sided else 1.0) / p_fail",
      ["tests/test_check.py"], []),
    # ------------------------------------------------------------ theory modules
    M("theorem-stich-noise-coef", "theory", "theorytools/theory/stich2018.py",
      "noise_coef=4.0,", "noise_coef=2.0,",
      [f"{TK} -k stich", "tests/test_theory_stich.py -k planted_wrong_constant"],
      ["--check theorem.stich2018.theorem_2_2"]),
    M("theorem-choco-c-sigma", "theory", "theorytools/theory/choco2020.py",
      "c_f=4.0, c_sigma=4.0,", "c_f=4.0, c_sigma=2.0,",
      [f"{TK} -k choco", "tests/test_theory_tang.py -k choco"], ["--check theorem.tang2018.choco_nonconvex_bound"]),
    M("theorem-choco-c-div", "theory", "theorytools/theory/choco2020.py",
      "c_consensus=24.0, c_div=82.0,", "c_consensus=24.0, c_div=41.0,",
      [f"{TK} -k choco", "tests/test_theory_tang.py -k choco"], ["--check theorem.tang2018.choco_nonconvex_bound"]),
    M("theorem-cgd-rate-b3", "theory", "theorytools/theory/beznosikov2020.py",
      "return 1.0 - eta * mu / delta", "return 1.0 - 2.0 * eta * mu / delta",
      ["tests/test_theory.py -k cgd"], ["--check theorem.beznosikov2020.cgd_"]),
    M("theorem-divergence-factor", "theory", "theorytools/theory/beznosikov2020.py",
      "return 1.0 + 11.0 * eta / 6.0", "return 1.0 + 11.0 * eta / 3.0",
      ["tests/test_theory.py -k divergence"], ["--check theorem.beznosikov2020.dcgd_divergence"]),
    M("theorem-ef-heterogeneity", "theory", "theorytools/theory/beznosikov2020.py",
      "return 8.0 * L * (1.0 + kappa) ** 2", "return 4.0 * L * (1.0 + kappa) ** 2",
      ["tests/test_theory.py -k heterogeneity", f"{TK} -k heterogeneity"], []),
    M("theorem-topk-uniform-closed-form", "theory", "theorytools/theory/beznosikov2020.py",
      "return (1.0 - q) ** 3", "return (1.0 - q) ** 2",
      ["tests/test_theory.py -k 'closed_forms or topk'"], []),
    M("theorem-naive-floor", "theory", "theorytools/theory/tang2018.py",
      "return omega * x_star_sq / denom", "return omega * x_star_sq / (2.0 * denom)",
      ["tests/test_theory_tang.py -k naive"], ["--check theorem.tang2018.naive_compression_floor"]),
    M("theorem-tang-stability-threshold", "theory", "theorytools/theory/tang2018.py",
      "return 0.5 * (lo + hi)", "return 0.45 * (lo + hi)",
      ["tests/test_theory_tang.py -k 'threshold or stability'"], []),
    M("theorem-stich-admissible", "theory", "theorytools/theory/stich2018.py",
      "need = max(16 * L / mu, H)", "need = max(8 * L / mu, H)",
      ["tests/test_theory_stich.py -k admissib", f"{TK} -k admissib"], []),
    M("theorem-ef-sublinear-delta", "theory", "theorytools/theory/beznosikov2020.py",
      "return constant * (C + np.asarray(delta, dtype=float) * D) / (",
      "return constant * (C + np.sqrt(np.asarray(delta, dtype=float)) * D) / (",
      ["tests/test_theory.py -k sublinear_term"], []),
    # ------------------------------------------------------------ newer code (issue 16, round 2)
    M("gap-geo-horizon", "theory", "theorytools/theory/graph_gap.py",
      "pos = -np.expm1(T * np.log1p(", "pos = -np.expm1((T - 1) * np.log1p(",
      ["tests/test_theory_graph.py -k 'transient or lazy'"],
      ["--check theorem.tang2018.gap_transient"],
      "the geometric sum of the transient closed form one term short"),
    M("gap-dcd-transfer-sign", "theory", "theorytools/theory/graph_gap.py",
      "K = np.outer(1 - lam, 1 - lam) / (1 - np.outer(lam, lam))",
      "K = np.outer(1 - lam, 1 - lam) / (1 + np.outer(lam, lam))",
      ["tests/test_theory_graph.py -k 'dcd or lazy'"],
      ["--check theorem.tang2018.gap_dcd_stability"],
      "DCD's spectral transfer matrix with a wrong geometric-series denominator"),
    M("gap-choco-transfer-halved", "theory", "theorytools/theory/graph_gap.py",
      "return (p * (1.0 - p) / r) * H.real", "return (p * (1.0 - p) / r) * 0.5 * H.real",
      ["tests/test_theory_graph.py -k choco"], ["--check theorem.tang2018.gap_choco"],
      "CHOCO's compression-noise transfer matrix halved (a too-fast gossip rate)"),
    M("sd-levels-too-few", "compressors", "theorytools/compressors/sparse_dithering.py",
      "math.sqrt(d) / (2.0 * math.sqrt(omega)) - 1e-12",
      "math.sqrt(d) / (3.0 * math.sqrt(omega)) - 1e-12",
      ["tests/test_sparse_dithering.py"], ["--check theorem.albasyoni2020.sparse_dithering_bits"],
      "Sparse Dithering with too few levels (its variance exceeds the declared omega)"),
    M("sd-expected-bits-bound-halved", "compressors",
      "theorytools/compressors/sparse_dithering.py",
      "base3_bits(d) + self.levels(d) * math.sqrt(d)",
      "base3_bits(d) + self.levels(d) * math.sqrt(d) / 2",
      ["tests/test_sparse_dithering.py -k bits"],
      ["--check theorem.albasyoni2020.sparse_dithering_bits"],
      "the derived E[bits] bound of Sparse Dithering with its level term halved"),
    M("sd-det-step-wide", "compressors", "theorytools/compressors/sparse_dithering.py",
      'return 2.0 * math.sqrt(self.params["nu"] / d)',
      'return 2.2 * math.sqrt(self.params["nu"] / d)',
      ["tests/test_sparse_dithering_authors.py", f"{TK2} -k det_sparse"],
      ["--check theorem.albasyoni2020.sparse_dithering_det_bits"],
      "deterministic Sparse Dithering (Huffman coding)'s grid 10 % too coarse (distortion "
      "above nu)"),
    M("spherical-rice-mean-length", "compressors", "theorytools/compressors/spherical.py",
      "return k + 1 + r / (1.0 - r)", "return k + r / (1.0 - r)",
      ["tests/test_spherical_authors.py -k rice"],
      ["--check theorem.albasyoni2020.spherical_bits"],
      "the exact mean Rice length one bit short (the unary terminator forgotten)"),
    M("spherical-rice-parameter-ceil", "compressors", "theorytools/compressors/spherical.py",
      "return max(0, int(math.floor(-math.log2(prob))))",
      "return max(0, int(math.ceil(-math.log2(prob))))",
      ["tests/test_spherical_authors.py -k rice", f"{TK2} -k rice"],
      ["--check theorem.albasyoni2020.spherical_bits"],
      "the Rice parameter rounded up instead of down"),
    M("scaled-qsgd-tau-halved", "compressors", "theorytools/compressors/scaled_qsgd.py",
      "return 1.0 + min(d / (s * s), math.sqrt(d) / s)",
      "return 1.0 + 0.5 * min(d / (s * s), math.sqrt(d) / s)",
      ["tests/test_scaled_qsgd.py"], ["--check compressor.scaled_qsgd"],
      "scaled QSGD divides by a too-small tau (not a delta-contraction)"),
    M("step-schedule-ignores-t0", "algorithms", "theorytools/algorithms/_common.py",
      "            t = t0 + k\n", "            t = k\n",
      ["tests/test_schedules.py"], [],
      "a callable step schedule restarts at t = 0 when a run is continued"),
    M("step-schedule-short-accepted", "algorithms", "theorytools/algorithms/_common.py",
      "if steps.size != T:", "if steps.size < T:",
      ["tests/test_schedules.py", f"{TK2} -k wrong_length"], [],
      "a schedule longer than T silently truncated"),
    M("testing-delta-claim-loose", "checkers", "theorytools/testing/__init__.py",
      "return error, 1.0 - 1.0 / value, sense", "return error, 1.0 - 0.5 / value, sense",
      ["tests/test_testing.py"], [],
      "theorytools.testing's delta claim 1 - 1/delta made looser"),
    M("testing-deterministic-alpha-doubled", "checkers", "theorytools/testing/__init__.py",
      "if worst > alpha * (1 + rtol):", "if worst > 2 * alpha * (1 + rtol):",
      ["tests/test_testing.py", f"{TK2} -k deterministic"], [],
      "assert_deterministic_distortion lets a distortion up to 2 alpha pass"),
    M("check-cmd-tight-without-gap", "cli", "theorytools/commands/check.py",
      "tight = gap is not None and gap <= 1e-9 * max(1.0, abs(value))",
      "tight = gap is None or gap <= 1e-9 * max(1.0, abs(value))",
      ["tests/test_check_command.py"], [],
      "`theorytools check` calls a claim tight when its gap is unknown (EQUIVALENT: every "
      "claim reaching _gap has a gap, the exact path a slack and the sampled one an interval; "
      "the guard is defensive)"),
    M("check-cmd-delta-gap-low-end", "cli", "theorytools/commands/check.py",
      "return (1 - 1 / value) - est.high", "return (1 - 1 / value) - est.low",
      ["tests/test_check_command.py", f"{TK2} -k sampled_attained"], [],
      "`theorytools check` measures delta's gap from the wrong end of the interval"),
    M("experiment-cache-ignores-seed", "cli", "theorytools/experiment.py",
      "{self.name}|{self.mode}|{self.seed}|{key}", "{self.name}|{self.mode}|{key}",
      ["tests/test_experiment_framework.py -k cache"], [],
      "the experiment cache returns another seed's results"),
    M("sweep-seed-range-exclusive", "cli", "theorytools/sweep.py",
      "seeds += list(range(lo, hi + 1))", "seeds += list(range(lo, hi))",
      ["tests/test_sweep.py -k seed"], [],
      "--seeds 0-3 drops the last seed"),
    M("runspec-duplicate-key-accepted", "cli", "theorytools/runspec.py",
      "        if key in params:\n            raise TheorytoolsError(f\"{what} {text!r}: parameter {key!r} is given twice\")",
      "        if False:\n            raise TheorytoolsError(f\"{what} {text!r}: parameter {key!r} is given twice\")",
      ["tests/test_runspec.py"], [],
      "a spec 'name[k=1,k=2]' silently keeps the last value"),
    # ------------------------------------------------------------ report and CLI
    M("verify-exit-status", "cli", "theorytools/commands/verify.py",
      "return 0 if not failed else 1", "return 0",
      ["tests/test_cli.py -k verify"], []),
    M("report-group-failed-count", "report", "theorytools/report.py",
      '    failed = sum(r.verdict != "PASS" for r in rows)\n    ax.set_title(f"{group}:',
      '    failed = 0\n    ax.set_title(f"{group}:',
      ["tests/test_report.py", f"{TK} -k report"], []),
    M("verify-json-nan", "report", "theorytools/commands/_common.py",
      "return obj if math.isfinite(obj) else None", "return obj",
      ["tests/test_cli.py", "tests/test_cli_report.py -k json",
       "tests/test_report.py -k report_files", f"{TK} -k json"], []),
    M("cli-error-exit-code", "cli", "theorytools/cli.py",
      "raise SystemExit(2)", "raise SystemExit(0)",
      ["tests/test_cli.py -k 'argparse or bad_arguments'"], []),
    M("registry-default-k", "compressors", "theorytools/compressors/registry.py",
      "return max(1, d // 100)", "return max(1, d // 10)",
      [f"{TC} -k contract_other", "tests/test_cli.py -k compressors", "tests/test_docs_compressors.py"],
      []),
]


def _run(cmd, cwd, env, timeout):
    start = time.monotonic()
    try:
        proc = subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, timeout=timeout, text=True)
        return proc.returncode, time.monotonic() - start, proc.stdout[-2000:]
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        return None, time.monotonic() - start, out[-2000:]


# test files added by issue 16 (the kill tests): a mutant caught only by them counts as a
# survivor of the "before" score
NEW_FILES = (TK, TR, TK2)


def commands(m: Mutant, root=ROOT):
    """The mutant's commands, pre-existing test files first, then verify, then the kill tests
    of NEW_FILES; a test file absent from the tree is skipped. Returns (is_new, cmd) pairs."""
    py = sys.executable
    tests = [t for t in m.tests if os.path.exists(os.path.join(root, t[0]))]
    pyt = [py, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider"]
    out = [(False, pyt + t) for t in tests if t[0] not in NEW_FILES]
    out += [(False, [py, *VERIFY, *v]) for v in m.verify]
    out += [(True, pyt + t) for t in tests if t[0] in NEW_FILES]
    return out


def _env(root):
    env = dict(os.environ, PYTHONPATH=root, PYTHONDONTWRITEBYTECODE="1")
    env.pop("THEORYTOOLS_THREADS", None)
    return env


def pattern(m: Mutant, text: str):
    """(old, new) for this tree: ``old``/``new`` may be tuples of alternatives (the same
    mutation written against an older and a newer version of the line); the first
    alternative that occurs exactly once is used. None if none does."""
    olds = m.old if isinstance(m.old, tuple) else (m.old,)
    news = m.new if isinstance(m.new, tuple) else (m.new,) * len(olds)
    for old, new in zip(olds, news):
        if text.count(old) == 1:
            return old, new
    return None


def check_patterns(mutants, root=ROOT):
    bad = []
    for m in mutants:
        with open(os.path.join(root, m.path), encoding="utf-8") as fh:
            text = fh.read()
        if pattern(m, text) is None:
            bad.append(f"{m.id}: no pattern occurs exactly once in {m.path}")
    return bad


def copy_tree(src, dst):
    shutil.copytree(src, dst, symlinks=True, copy_function=shutil.copy2,
                    ignore=shutil.ignore_patterns(".git", "*.egg-info", ".pytest_cache",
                                                  ".hypothesis"))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", help="comma-separated mutant ids")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--check", action="store_true", help="only check the patterns")
    ap.add_argument("--json", help="write the results to this file")
    ap.add_argument("--timeout", type=float, default=TIMEOUT)
    ap.add_argument("--baseline-timeout", type=float, default=900.0,
                    help="per command on the unmutated copy (includes Numba compilation)")
    ap.add_argument("--no-baseline", action="store_true",
                    help="skip running the targets on the unmutated copy")
    args = ap.parse_args(argv)
    mutants = MUTANTS
    if args.only:
        want = set(args.only.split(","))
        mutants = [m for m in MUTANTS if m.id in want]
        missing = want - {m.id for m in mutants}
        if missing:
            ap.error(f"unknown mutant ids: {sorted(missing)}")
    ids = [m.id for m in MUTANTS]
    assert len(ids) == len(set(ids)), "duplicate mutant ids"
    if args.list:
        for m in mutants:
            print(f"{m.id:40s} {m.kind:12s} {m.path}")
        print(f"{len(mutants)} mutants")
        return 0
    bad = check_patterns(mutants)
    if bad:
        print("\n".join(bad))
        return 1
    if args.check:
        print(f"{len(mutants)} mutants, every pattern occurs exactly once")
        return 0
    work = tempfile.mkdtemp(prefix="theorytools-mutation-")
    base = os.path.join(work, "base")
    copy_tree(ROOT, base)
    results = []
    broken = set()
    catchers = {}
    try:
        if not args.no_baseline:
            # every target passes on the unmutated copy (and this warms the Numba cache)
            seen = {}
            for m in mutants:
                for _, cmd in commands(m):
                    key = tuple(cmd)
                    if key in seen:
                        continue
                    rc, secs, out = _run(cmd, base, _env(base), args.baseline_timeout)
                    seen[key] = rc
                    print(f"baseline rc={rc} {secs:5.1f}s {' '.join(cmd[2:])}", flush=True)
                    if rc != 0:
                        print(out)
            broken = {k for k, rc in seen.items() if rc != 0}
            if broken:
                print(f"WARNING: {len(broken)} targets fail unmutated; they are left out "
                      "(a mutant is not counted caught by a target that fails anyway)")
        for m in mutants:
            copy = os.path.join(work, "mutant")
            if os.path.exists(copy):
                shutil.rmtree(copy)
            copy_tree(base, copy)
            path = os.path.join(copy, m.path)
            with open(path, encoding="utf-8") as fh:
                text = fh.read()
            old, new = pattern(m, text)
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(text.replace(old, new, 1))
            verdict, caught_by, total, before = "survived", "", 0.0, "survived"
            for is_new, cmd in commands(m):
                if tuple(cmd) in broken:
                    continue
                rc, secs, _ = _run(cmd, copy, _env(copy), args.timeout)
                total += secs
                if rc is None:   # too slow: not a catch, but another target may still catch
                    verdict, caught_by = "timeout", " ".join(cmd[2:])
                    continue
                if rc == 5:      # pytest collected no tests: not a catch
                    print(f"WARNING: no tests selected by {' '.join(cmd[2:])}", flush=True)
                    continue
                if rc != 0:
                    verdict, caught_by = "caught", " ".join(cmd[2:])
                    if not is_new:
                        before = "caught"
                    catchers.setdefault(tuple(cmd), []).append(m.id)
                    break
            shutil.rmtree(copy)
            results.append({"id": m.id, "kind": m.kind, "path": m.path, "verdict": verdict,
                            "before": before, "by": caught_by, "seconds": round(total, 1)})
            print(f"{verdict:8s} (old targets: {before:8s}) {total:6.1f}s {m.id:40s} "
                  f"{caught_by}", flush=True)
        if args.no_baseline:
            # a catch counts only if the catching command passes on the unmutated copy
            for cmd, ids in catchers.items():
                rc, secs, out = _run(list(cmd), base, _env(base), args.baseline_timeout)
                print(f"unmutated rc={rc} {secs:5.1f}s {' '.join(cmd[2:])}", flush=True)
                if rc != 0:
                    print(out)
                    for r in results:
                        if r["id"] in ids:
                            r["verdict"] = r["before"] = "invalid"
    finally:
        shutil.rmtree(work, ignore_errors=True)
    caught = sum(r["verdict"] == "caught" for r in results)
    caught_before = sum(r["before"] == "caught" for r in results)
    print(f"\nscore without the kill tests of {', '.join(NEW_FILES)}: {caught_before}/"
          f"{len(results)} ({100.0 * caught_before / max(1, len(results)):.1f} %)")
    print(f"score: {caught}/{len(results)} caught "
          f"({100.0 * caught / max(1, len(results)):.1f} %)")
    for r in results:
        if r["verdict"] != "caught":
            print(f"  {r['verdict']}: {r['id']} ({r['path']})")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"caught": caught, "caught_without_kill_tests": caught_before,
                       "total": len(results), "results": results}, fh,
                      indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
