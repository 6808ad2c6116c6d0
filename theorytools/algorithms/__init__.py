"""The algorithms of the four papers as Numba kernels, vectorised over nodes.

See ``docs/algorithms.md``. Every run returns a :class:`~theorytools.algorithms.trace.Trace`.
"""
from theorytools.algorithms._common import AssumptionWarning  # noqa: F401
from theorytools.algorithms.centralized import (CentralMethod, cgd, dcgd,  # noqa: F401
                                                ef_sgd, minibatch_sgd,
                                                register_central_method, simulate_central)
from theorytools.algorithms.cost import NetworkModel  # noqa: F401
from theorytools.algorithms.decentralized import (Method, choco_sgd, dcd_psgd,  # noqa: F401
                                                  dpsgd, ecd_psgd, naive_compressed,
                                                  register_method, simulate)
from theorytools.algorithms.local import local_sgd, stich_shift  # noqa: F401
from theorytools.algorithms.trace import Trace, schedule  # noqa: F401

__all__ = ["AssumptionWarning", "CentralMethod", "Method", "NetworkModel", "Trace", "cgd",
           "choco_sgd", "dcd_psgd", "dcgd", "dpsgd", "ecd_psgd", "ef_sgd", "local_sgd",
           "minibatch_sgd", "naive_compressed", "register_central_method", "register_method",
           "schedule", "simulate", "simulate_central", "stich_shift"]
