r"""Network cost model: modelled wall time per iteration from compute, latency and bandwidth.

Per iteration, with :math:`b` the largest message (bits) any node sends in that iteration,
:math:`\ell` the per-message latency (s), :math:`B` the bandwidth (bit/s), :math:`c` the
compute time (s):

* ``neighbors`` (decentralized gossip on the graph; a node sends to its neighbours one after
  another over its link): :math:`c + \ell + \Delta\, b/B`, :math:`\Delta` = max degree;
* ``allreduce`` (ring all-reduce of the n messages): :math:`c + 2(n-1)\ell + 2\frac{n-1}{n} b/B`;
* ``parameter_server`` (n uploads and n downloads through the server's link):
  :math:`c + 2\ell + 2n\, b/B`.

Status: a standard latency-bandwidth (alpha-beta) model, derived here; it is what makes
"decentralized + compressed wins when the network has both high latency and low bandwidth"
(Tang et al. 2018, abstract and experiments [PAPER, qualitative]; docs/sources.md#tang) reproducible.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from theorytools.errors import TheorytoolsError, check_real

__all__ = ["NetworkModel"]

PATTERNS = ("neighbors", "allreduce", "parameter_server")


@dataclass(frozen=True)
class NetworkModel:
    latency: float = 1e-4          # seconds per message
    bandwidth: float = 1e9         # bits per second
    compute: float = 1e-3          # seconds of local computation per iteration

    def __post_init__(self):
        check_real(self.latency, "latency", low=0.0)
        check_real(self.bandwidth, "bandwidth", low=0.0, low_open=True)
        check_real(self.compute, "compute", low=0.0)

    def step_times(self, step_max_bits: np.ndarray, pattern: str, n: int,
                   max_degree: int = 0) -> np.ndarray:
        """Modelled seconds of each iteration."""
        bits = np.asarray(step_max_bits, dtype=np.float64)
        if pattern == "neighbors":
            return self.compute + self.latency + max_degree * bits / self.bandwidth
        if pattern == "allreduce":
            return (self.compute + 2 * (n - 1) * self.latency
                    + 2 * (n - 1) / n * bits / self.bandwidth)
        if pattern == "parameter_server":
            return self.compute + 2 * self.latency + 2 * n * bits / self.bandwidth
        raise TheorytoolsError(f"pattern must be one of {PATTERNS}, got {pattern!r}")

    def wall_times(self, step_max_bits, record_at, pattern, n, max_degree=0) -> np.ndarray:
        """Cumulative modelled seconds at each recorded step."""
        cum = np.concatenate([[0.0], np.cumsum(self.step_times(step_max_bits, pattern, n,
                                                                max_degree))])
        return cum[np.asarray(record_at)]
