"""Traces: what every run records, at a user-chosen schedule of steps."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from theorytools.errors import TheorytoolsError, check_int

__all__ = ["Trace", "schedule"]


def schedule(T: int, kind: str = "log", points: int = 50) -> np.ndarray:
    r"""Steps at which a run records its metrics.

    ``"every"``: :math:`\{0, 1, \dots, T\}`; ``"log"``: the rounded
    :math:`\mathrm{geomspace}(1, T, \text{points})` together with 0 and T; ``"final"``:
    :math:`\{T\}` alone (one evaluation of the loss over all samples; no update equation: a
    recording schedule). The run functions also take ``record=None``: no trace point at all.

    Parameters
    ----------
    T : int
        Horizon (>= 0).
    kind : {"log", "every", "final"}, optional
        The schedule.
    points : int, optional
        About how many log-spaced steps.

    Returns
    -------
    numpy.ndarray
        Increasing int64 steps in ``[0, T]``, always including T (and 0 unless "final").

    References
    ----------
    docs/algorithms.md, "Traces".
    """
    T = check_int(T, "T", low=0)
    if kind == "every":
        return np.arange(T + 1, dtype=np.int64)
    if kind == "final":
        return np.array([T], dtype=np.int64)
    if kind != "log":
        raise TheorytoolsError(f"schedule kind must be 'every', 'log' or 'final', got {kind!r}")
    steps = np.unique(np.concatenate([[0, T], np.round(np.geomspace(1, max(T, 1), points))]))
    return steps[(steps >= 0) & (steps <= T)].astype(np.int64)


@dataclass
class Trace:
    r"""A run's record, one entry per recorded step t (the state after t iterations).

    ``f_gap`` = :math:`f(\bar x_t) - f^\star`, ``grad_norm_sq`` = :math:`\|\nabla f(\bar x_t)\|^2`,
    ``dist_sq`` = :math:`\|\bar x_t - x^\star\|^2`, ``consensus`` =
    :math:`\frac1n\sum_i\|x_i - \bar x\|^2`, ``bits`` = cumulative bits sent by each node
    (shape (len(steps), n)), ``wall_time`` = modelled seconds (network cost model) up to t.
    ``x_bar`` is the final average iterate (for local SGD: Stich's weighted average).
    """

    algorithm: str
    steps: np.ndarray
    f_gap: np.ndarray
    grad_norm_sq: np.ndarray
    dist_sq: np.ndarray
    consensus: np.ndarray
    bits: np.ndarray
    wall_time: np.ndarray
    x_bar: np.ndarray
    X: np.ndarray
    bits_exact: bool = True
    meta: dict = field(default_factory=dict)

    def bits_total(self) -> np.ndarray:
        """Total bits sent by all nodes up to each recorded step."""
        return self.bits.sum(axis=1)
