r"""``theorytools check MODULE:OBJECT``: a black-box report on any compressor.

``OBJECT`` is a :class:`~theorytools.compressors.Compressor` instance or class (built with no
arguments), or a plain function ``compress(x, seed) -> y``; a registered spec such as
``top_k[k=2]`` is accepted too. For each dimension ``--d``:

1. **Measured constants with confidence intervals** (``theorytools.testing.estimate``; exact
   from the law for a Compressor that has one) at the worst input found, and the constants
   the worst inputs support (a valid omega is at least the worst error ratio, a valid B1
   alpha at most the least E||C||^2/||x||^2, ...; ``--all-constants`` searches every class
   quantity, by default only the error and what the claims need).
2. **Worst-input search.** Every quantity q(x) of the classes -- the normalised error
   :math:`\mathbb{E}\|C(x)-x\|^2/\|x\|^2` (omega, delta), the bias
   :math:`\|\mathbb{E}C(x)-x\|/\|x\|`, :math:`\mathbb{E}\|C(x)\|^2/\|x\|^2` (B1's alpha),
   :math:`\langle\mathbb{E}C(x),x\rangle/\|x\|^2` (B2's gamma) and
   :math:`\mathbb{E}\|C(x)\|^2/\langle\mathbb{E}C(x),x\rangle` (beta) -- is first evaluated on
   the adversarial families of the contract suite (one-hot, ties, equal magnitudes, geometric,
   heavy tails, tiny and huge scales, ...) and on random directions; then
   ``scipy.optimize.minimize`` (Nelder-Mead, derivative-free) climbs it over the unit sphere
   (x = y/||y||) from the ``--starts`` best starting points (default 4). Expectations in the search use
   common random numbers (seeds 0..``--search-samples``-1), so the search sees a deterministic
   function; the worst value found and its input are reported.
3. **Claims** (``--claim omega=0.5``, ``--claim delta=4``, ``--claim unbiased``,
   ``b1_alpha=``, ``b1_beta=``, ``b2_gamma=``, ``b2_beta=``, ``alpha=`` for the deterministic
   class C(alpha)): each is tested at the worst input of its quantity with the public
   assertions of :mod:`theorytools.testing` on FRESH seeds (independent of the search), at
   ``p_fail`` 1e-9 per claim. Verdict ``violated`` (with the witness input), ``holds`` (the
   worst value's interval reaches the claim), or ``holds, not tight`` with the gap
   (claim minus the upper end of the worst value's interval).
4. **Bits** (if the object has ``encode``, or with ``--encoder``/``--decoder``): mean and
   maximum bits over seeds on the worst and on random inputs, the round trip, and the
   worst-case (``bounds.worst_case_bits``) and average-case (``bounds.average_case_bits``)
   lower bounds at the measured distortions: the compressor's point on the frontier
   (``theorytools frontier --extra MODULE:OBJECT`` draws it).

Exit status 0 iff every claim holds; ``--json`` prints the report as JSON; ``--report DIR``
writes the Markdown/HTML/JSON/CSV report of ``theorytools verify`` (one row per claim and per
measured constant).
"""
from __future__ import annotations

import importlib
import json
import math
import os
import sys

import numpy as np

from theorytools.errors import TheorytoolsError

__all__ = ["CLAIM_NAMES", "QUANTITY", "QUANTITY_SIGN", "check_compressor", "configure",
           "implied_constants", "load_object", "parse_claims", "run", "worst_inputs"]

CLAIM_NAMES = ("unbiased", "omega", "delta", "b1_alpha", "b1_beta", "b2_gamma", "b2_beta",
               "alpha")
# claim -> (quantity searched, direction: +1 maximise / -1 minimise)
QUANTITY = {"unbiased": ("bias", 1), "omega": ("error", 1), "delta": ("error", 1),
            "alpha": ("error_max", 1), "b1_alpha": ("second", -1), "b2_gamma": ("inner", -1),
            "b1_beta": ("beta", 1), "b2_beta": ("beta", 1)}


# ------------------------------------------------------------------------------ loading
def load_object(target: str):
    """``MODULE:OBJECT`` (dotted attribute path allowed) or a registered compressor spec."""
    if ":" not in target:
        from theorytools.compressors import create
        return create(target)
    module, _, attr = target.partition(":")
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        obj = importlib.import_module(module)
    except ImportError as exc:
        raise TheorytoolsError(f"{target}: cannot import module {module!r} ({exc})") from None
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise TheorytoolsError(f"{target}: module {module!r} has no attribute {attr!r}")
        obj = getattr(obj, part)
    from theorytools.compressors import Compressor
    if isinstance(obj, type) and issubclass(obj, Compressor):
        obj = obj()
    if not (hasattr(obj, "compress") or callable(obj)):
        raise TheorytoolsError(f"{target} is neither a Compressor nor a callable "
                               "compress(x, seed)")
    return obj


def parse_claims(items) -> list:
    claims = []
    for item in items or []:
        name, eq, value = item.partition("=")
        name = name.strip()
        if name not in CLAIM_NAMES:
            raise TheorytoolsError(f"--claim {item!r}: unknown claim {name!r}; known: "
                                   f"{', '.join(CLAIM_NAMES)}")
        if name == "unbiased":
            if eq:
                raise TheorytoolsError(f"--claim {item!r}: 'unbiased' takes no value")
            claims.append((name, None))
            continue
        try:
            v = float(value)
        except ValueError:
            raise TheorytoolsError(f"--claim {item!r}: {name} needs a number, e.g. "
                                   f"{name}=0.5") from None
        if not math.isfinite(v) or v < 0 or (name == "delta" and v < 1):
            raise TheorytoolsError(f"--claim {item!r}: {name} must be finite and "
                                   f"{'>= 1' if name == 'delta' else '>= 0'}")
        claims.append((name, v))
    return claims


# ------------------------------------------------------------------------------ search
class _Quantities:
    """q(x) for the search: exact from the law, or means over fixed seeds (common random
    numbers)."""

    def __init__(self, obj, samples):
        from theorytools.testing import _compress_fn, _is_randomized
        self.obj, self.fn = obj, _compress_fn(obj)
        self.randomized = _is_randomized(obj)
        self.samples = samples if self.randomized else 1
        self.exact = hasattr(obj, "law") and hasattr(obj, "theory")
        self.evaluations = 0

    def __call__(self, x):
        self.evaluations += 1
        n2 = float(x @ x)
        if self.exact:
            try:
                mo = self.obj.law(x).moments(x)
                mean, second, error = mo.mean, mo.second, mo.error
                emax = error / n2
                if hasattr(self.obj.law(x), "outcomes") and x.size <= 12:
                    emax = max(float((o - x) @ (o - x)) for _, o in self.obj.law(x).outcomes())
                    emax /= n2
                return self._pack(mean, second / n2, error / n2, emax, x, n2)
            except (NotImplementedError, ValueError, TheorytoolsError):
                self.exact = False
        Y = np.array([np.asarray(self.fn(x.copy(), s), dtype=np.float64)
                      for s in range(self.samples)])
        if not np.all(np.isfinite(Y)):
            return None
        D = Y - x
        err = np.einsum("ij,ij->i", D, D) / n2
        return self._pack(Y.mean(axis=0), float(np.einsum("ij,ij->i", Y, Y).mean() / n2),
                          float(err.mean()), float(err.max()), x, n2)

    @staticmethod
    def _pack(mean, second, error, emax, x, n2):
        inner = float(mean @ x) / n2
        return {"error": error, "second": second, "inner": inner,
                "bias": float(np.linalg.norm(mean - x)) / math.sqrt(n2),
                "beta": second / inner if inner > 0 else math.inf, "error_max": emax}


def _starts(d, seed):
    from theorytools.compressors.contract import adversarial_inputs
    rng = np.random.default_rng(seed)
    out = [(label, x) for label, x in adversarial_inputs(d) if np.any(x)
           and 1e-280 < np.max(np.abs(x)) < 1e280]
    geo = 0.5 ** np.arange(d) * np.where(np.arange(d) % 2 == 0, 1.0, -1.0)
    out.append(("geometric", geo))
    if d > 1:
        huge = np.ones(d)
        huge[0] = 1e6
        out.append(("single huge", huge))
    out += [(f"random #{i}", rng.standard_normal(d)) for i in range(8)]
    return out


def worst_inputs(obj, d, quantities, *, starts=4, samples=32, seed=0, maxiter=None):
    """For each quantity name: the worst value found, its input, and where it was found."""
    from scipy.optimize import minimize

    q = _Quantities(obj, samples)
    table = []
    for label, x in _starts(d, seed):
        try:
            v = q(x)
        except TheorytoolsError:
            continue
        if v is not None:
            table.append((label, x, v))
    if not table:
        raise TheorytoolsError(f"d = {d}: the compressor refused every starting input")
    result = {}
    for name in quantities:
        sign = QUANTITY_SIGN.get(name, 1)

        def score(v):
            s = v[name]
            return sign * s if math.isfinite(s) else -math.inf

        ranked = sorted(table, key=lambda t: score(t[2]), reverse=True)
        best = (ranked[0][0], ranked[0][1], score(ranked[0][2]))
        family_best = best[2]
        if d > 1:
            for label, x0, _ in ranked[:starts]:
                scale = float(np.max(np.abs(x0)))

                def f(y):
                    ny = np.linalg.norm(y)
                    if not np.isfinite(ny) or ny == 0:
                        return math.inf
                    try:
                        v = q(y / ny * scale)
                    except TheorytoolsError:
                        return math.inf
                    s = score(v) if v is not None else -math.inf
                    return -s if math.isfinite(s) else math.inf

                y0 = x0 / scale
                r = minimize(f, y0, method="Nelder-Mead",
                             options={"maxiter": maxiter or 60 * d, "xatol": 1e-10,
                                      "fatol": 1e-12, "initial_simplex": _simplex(y0)})
                if np.isfinite(r.fun) and -r.fun > best[2] * (1 + 1e-9) + 1e-15:
                    x = r.x / np.linalg.norm(r.x) * scale
                    best = (f"optimiser from {label}", x, -r.fun)
        result[name] = {"value": sign * best[2], "x": best[1], "found_by": best[0],
                        "family_best": sign * family_best}
    result["_evaluations"] = q.evaluations
    return result


QUANTITY_SIGN = {"bias": 1, "error": 1, "error_max": 1, "second": -1, "inner": -1, "beta": 1}


def _simplex(y0):
    d = y0.size
    s = np.tile(y0, (d + 1, 1))
    for i in range(d):
        s[i + 1, i] += 0.25 if abs(y0[i]) < 1e-12 else 0.25 * np.sign(y0[i]) * -1
    return s


# ------------------------------------------------------------------------------ verdicts
def _claim_verdict(obj, name, value, witness, *, p_fail, samples, max_norm_ratio, seed):
    """Test one claim at its witness with theorytools.testing on fresh seeds."""
    import theorytools.testing as T
    kw = dict(p_fail=p_fail, samples=samples, max_norm_ratio=max_norm_ratio, seed=seed)
    try:
        if name == "unbiased":
            est = T.assert_unbiased(obj, witness, **kw)
            return "holds", est, None
        if name == "alpha":
            est = T.assert_deterministic_distortion(obj, witness, value,
                                                    seeds=range(seed, seed + 64))
            gap = value - est.value
            return ("holds" if gap <= 1e-9 * max(1, value) else "holds, not tight"), est, gap
        if name == "delta" and value < 1:
            raise TheorytoolsError(f"delta must be >= 1, got {value}")
        est = T._check_claims(obj, witness, [(name, value)], resolution=T.RESOLUTION,
                              max_samples=T.MAX_SAMPLES, exact="auto",
                              assertion=f"claim {name}={value:g}", **kw)[0]
    except AssertionError as exc:
        return "violated", str(exc), None
    gap = _gap(name, value, est)
    tight = gap is not None and gap <= 1e-9 * max(1.0, abs(value))   # float rounding
    return ("holds" if tight else "holds, not tight"), est, gap


def _gap(name, value, est):
    """Distance from the claim to the far end of the worst value's interval (>0: not tight)."""
    if name in ("omega",):
        return value - est.high
    if name == "delta":
        return (1 - 1 / value) - est.high
    if name == "b1_alpha":
        return est.low - value
    if name == "b2_gamma":
        return est.low - value
    if name in ("b1_beta", "b2_beta"):
        if "slack" in est.extra:                    # exact, from the law
            return est.extra["slack"]
        g = est.extra.get("gap")
        return None if g is None else -g.high
    return None


def _bits(obj, encoder, decoder, d, witness, seed):
    import theorytools.testing as T
    enc = encoder or getattr(obj, "encode", None)
    dec = decoder or getattr(obj, "decode", None)
    if enc is None:
        return None
    rng = np.random.default_rng(seed + 99)
    inputs = [("worst input", witness)] + [(f"random #{i}", rng.standard_normal(d))
                                            for i in range(4)]
    counts, roundtrip = [], True
    for _, x in inputs:
        for s in range(seed, seed + 16):
            m = enc(x, s)
            counts.append(int(getattr(m, "nbits", m if isinstance(m, int) else 0)))
            if dec is not None and s < seed + 2:
                try:
                    T.assert_roundtrip(enc, dec, obj, x, s)
                except AssertionError:
                    roundtrip = False
    return {"mean": float(np.mean(counts)), "max": int(max(counts)), "roundtrip": roundtrip,
            "messages": len(counts)}


def implied_constants(worst, measured):
    """The constants the search supports: any valid constant must be at least (omega, delta,
    beta) or at most (alpha, gamma) these; omega and delta also from the lower end of the
    error's confidence interval at its worst input (a rigorous statement at p_fail)."""
    out = {}
    if "error" in worst:
        e = worst["error"]["value"]
        out["omega >="] = e
        out["delta >="] = 1 / (1 - e) if e < 1 else math.inf
        low = measured.get("error", {}).get("low") if isinstance(measured.get("error"),
                                                                 dict) else None
        if low is not None:
            out["omega >= (CI)"] = max(low, 0.0)
            out["delta >= (CI)"] = 1 / (1 - low) if low < 1 else math.inf
    if "second" in worst:
        out["b1_alpha <="] = worst["second"]["value"]
    if "inner" in worst:
        out["b2_gamma <="] = worst["inner"]["value"]
    if "beta" in worst:
        out["beta >="] = worst["beta"]["value"]
    return out


def check_compressor(obj, ds, claims, *, starts=4, search_samples=32, samples=None,
                     max_norm_ratio=None, p_fail=1e-9, seed=0, encoder=None, decoder=None,
                     all_constants=False):
    """The report of ``theorytools check`` as a dict (see the module docstring)."""
    from theorytools import bounds
    from theorytools.testing import _describe, estimate

    report = {"compressor": _describe(obj), "p_fail": p_fail, "dimensions": {},
              "claims": [], "passed": True}
    for d in ds:
        names = sorted({QUANTITY[c][0] for c, _ in claims} | {"error"}
                       | ({"bias", "second", "inner", "beta"} if all_constants else set()))
        worst = worst_inputs(obj, d, names, starts=starts, samples=search_samples, seed=seed)
        block = {"search_evaluations": worst.pop("_evaluations"), "worst": {}, "measured": {}}
        for name, w in worst.items():
            block["worst"][name] = {"value": w["value"], "found_by": w["found_by"],
                                    "adversarial_families_best": w["family_best"],
                                    "x": w["x"].tolist()}
        try:
            est = estimate(obj, worst["error"]["x"], p_fail=p_fail, samples=samples,
                           max_norm_ratio=max_norm_ratio, seed=seed + 1_000_003)
            block["measured"] = {k: {"value": e.value, "low": e.low, "high": e.high,
                                     "samples": e.samples, "method": e.method}
                                 for k, e in est.items()}
        except TheorytoolsError as exc:
            block["measured"] = {"error": str(exc)}
        block["implied_constants"] = implied_constants(block["worst"], block["measured"])
        bits = _bits(obj, encoder, decoder, d, worst["error"]["x"], seed)
        if bits is not None:
            alpha_w = worst["error"]["value"]
            lb = {}
            if d >= 2 and 0 < alpha_w < 1:
                lb["worst_case_bits"] = float(bounds.worst_case_bits(alpha_w, d))
            rnd = _Quantities(obj, search_samples)
            avg = float(np.mean([rnd(np.random.default_rng(seed + 7 + i).standard_normal(d))
                                 ["error"] for i in range(8)]))
            if d >= 2 and 0 < avg < 1:
                lb["average_case_bits"] = float(bounds.average_case_bits(avg, d))
            bits.update({"lower_bounds": lb, "frontier_point": {
                "bits_per_coordinate": bits["max"] / d, "worst_distortion": alpha_w,
                "average_distortion": avg}})
            bits["above_lower_bounds"] = all(bits["max"] >= v * (1 - 1e-12)
                                             for v in lb.values())
        block["bits"] = bits
        report["dimensions"][str(d)] = block
        for name, value in claims:
            qn = QUANTITY[name][0]
            witness = np.array(block["worst"][qn]["x"])
            verdict, est, gap = _claim_verdict(obj, name, value, witness, p_fail=p_fail,
                                               samples=samples, max_norm_ratio=max_norm_ratio,
                                               seed=seed + 2_000_003)
            row = {"claim": name if value is None else f"{name}={value:g}", "d": d,
                   "verdict": verdict, "witness": witness.tolist(),
                   "found_by": block["worst"][qn]["found_by"]}
            if verdict == "violated":
                row["message"] = est
                report["passed"] = False
            else:
                row["estimate"] = str(est)
                row["gap"] = gap
            report["claims"].append(row)
    return report


# ------------------------------------------------------------------------------ CLI
def configure(parser):
    parser.add_argument("target", metavar="MODULE:OBJECT",
                        help="a Compressor (instance or class) or a function compress(x, seed)"
                             "; or a registered spec such as top_k[k=2]")
    parser.add_argument("--d", type=int, nargs="+", default=[8], metavar="D",
                        help="dimensions (default 8)")
    parser.add_argument("--claim", action="append", default=[], metavar="NAME[=VALUE]",
                        help=f"a claim to test (repeatable): {', '.join(CLAIM_NAMES)}")
    parser.add_argument("--encoder", metavar="MODULE:OBJECT", help="encode(x, seed) -> message "
                        "with .nbits (default: the object's encode)")
    parser.add_argument("--decoder", metavar="MODULE:OBJECT", help="decode(message) -> y")
    parser.add_argument("--starts", type=int, default=4, help="optimiser starts (default 4)")
    parser.add_argument("--search-samples", type=int, default=32,
                        help="seeds per expectation in the search (default 32)")
    parser.add_argument("--samples", type=int, default=None,
                        help="samples per claim test (default: from the range)")
    parser.add_argument("--max-norm-ratio", type=float, default=None,
                        help="K with ||C(x)|| <= K ||x|| surely (a rigorous range)")
    parser.add_argument("--all-constants", action="store_true",
                        help="search the worst input of every class quantity (bias, "
                             "E||C||^2, <EC,x>, beta), not only those the claims need")
    parser.add_argument("--seed", type=int, default=0, help="first seed (default 0)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--report", metavar="DIR", help="write the Markdown/HTML report")


def _rows(report):
    from theorytools.verify import CheckRow
    rows = []
    for c in report["claims"]:
        ok = c["verdict"] != "violated"
        rows.append(CheckRow(f"check.{report['compressor']}.{c['claim']}[d={c['d']}]",
                             "user", "claim", "unconfirmed", "bound", None, None, None,
                             "PASS" if ok else "FAIL",
                             (c.get("estimate") or c.get("message", ""))[:2000]))
    for d, block in report["dimensions"].items():
        for k, m in block["measured"].items():
            if isinstance(m, dict):
                rows.append(CheckRow(f"check.{report['compressor']}.{k}[d={d}]", "user",
                                     "measured", "measured", "law", m["value"], None, None,
                                     "PASS", f"interval [{m['low']:.6g}, {m['high']:.6g}], "
                                     f"{m['samples']} samples, {m['method']}",
                                     interval=(m["low"], m["high"])))
    return rows


def run(args) -> int:
    if args.starts < 0 or args.search_samples < 1:
        raise TheorytoolsError("--starts must be >= 0 and --search-samples >= 1")
    if any(d < 1 for d in args.d):
        raise TheorytoolsError(f"--d must be >= 1, got {args.d}")
    obj = load_object(args.target)
    claims = parse_claims(args.claim)
    enc = load_object(args.encoder) if args.encoder else None
    dec = load_object(args.decoder) if args.decoder else None
    report = check_compressor(obj, args.d, claims, starts=args.starts,
                              search_samples=args.search_samples, samples=args.samples,
                              max_norm_ratio=args.max_norm_ratio, seed=args.seed,
                              encoder=enc, decoder=dec, all_constants=args.all_constants)
    if args.report:
        from theorytools.report import write_report
        write_report(_rows(report), args.report)
    if args.json:
        print(json.dumps(report, indent=1, default=_json_default))
    else:
        _print(report)
    return 0 if report["passed"] else 1


def _json_default(v):
    if isinstance(v, float) and not math.isfinite(v):
        return str(v)
    return str(v)


def _print(report):
    print(f"theorytools check {report['compressor']} (p_fail {report['p_fail']:g} per claim)")
    for d, block in report["dimensions"].items():
        print(f"\nd = {d}  ({block['search_evaluations']} evaluations in the worst-input search)")
        m = block["measured"]
        for k in ("error", "second", "inner"):
            if isinstance(m.get(k), dict):
                e = m[k]
                print(f"  {k:7s} {e['value']:.6g}  [{e['low']:.6g}, {e['high']:.6g}]  "
                      f"({e['samples']} samples, {e['method']}; at the worst error input)")
        for name, w in block["worst"].items():
            print(f"  worst {name:9s} {w['value']:.6g}  (adversarial families: "
                  f"{w['adversarial_families_best']:.6g}; found by {w['found_by']})")
        implied = ", ".join(f"{k} {v:.6g}" for k, v in block["implied_constants"].items())
        print(f"  constants the worst inputs support: {implied}")
        if block["bits"]:
            b = block["bits"]
            lbs = ", ".join(f"{k} {v:.4g}" for k, v in b["lower_bounds"].items()) or "trivial"
            print(f"  bits: mean {b['mean']:.1f}, max {b['max']} over {b['messages']} messages"
                  f"; round trip {'ok' if b['roundtrip'] else 'FAILED'}; lower bounds: {lbs}")
    print()
    for c in report["claims"]:
        line = f"  {c['claim']:14s} d={c['d']:<5d} {c['verdict']}"
        if c["verdict"] == "violated":
            print(line + f" (found by {c['found_by']})")
            print("    " + c["message"].replace("\n", "\n    "))
        else:
            gap = c.get("gap")
            print(line + (f" (gap {gap:.4g})" if c["verdict"] == "holds, not tight"
                          and gap is not None else ""))
    print(f"\n{'all claims hold' if report['passed'] else 'some claims are VIOLATED'}")
