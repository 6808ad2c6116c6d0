"""The MPI backend: run a :class:`~theorytools.runspec.RunSpec` with one MPI process per node.

``mpiexec -n N python -m theorytools.mpi RUNSPEC`` runs D-PSGD, naive compressed D-PSGD,
DCD-PSGD, ECD-PSGD and CHOCO-SGD on an MPI distributed-graph communicator built from the
topology (``Create_dist_graph_adjacent``), exchanging the compressors' encoded bytes
(``Compressor.encode`` / ``decode``, the bit-exact codecs) with neighbour collectives; DCGD,
EF-SGD and mini-batch SGD with ``Allgatherv``; synchronous local SGD with ``Allgather`` at the
averaging steps. Every rank computes its own node's step with the simulator's arithmetic
(:mod:`theorytools.mpi._node`), so the iterates, the trace and the bits equal the simulator's
bit for bit (``tests/test_mpi.py``), with two stated exceptions: uncompressed messages
(D-PSGD, mini-batch SGD, local SGD) travel as float64 and are counted at the 64 bits per
coordinate actually sent (the simulator counts ``float_bits``, 32 by default); local SGD's
Stich average :math:`\\hat x_T` and EF's virtual-iterate gap are not computed (each needs every
node's state at every step). Needs the ``mpi`` extra (``pip install 'theorytools[mpi]'``:
mpi4py and MPICH from PyPI). See ``docs/scale-out.md``.
"""
from theorytools.mpi.backend import SUPPORTED, run_rank  # noqa: F401

__all__ = ["SUPPORTED", "run_rank", "main"]


def main(argv: list | None = None) -> int:
    """``python -m theorytools.mpi RUNSPEC [RUNSPEC ...] [--out FILE] [--iterates]``.

    Parameters
    ----------
    argv : list of str or None, optional
        The arguments (default ``sys.argv[1:]``).

    Returns
    -------
    int
        The exit status (0 ok, 2 bad input).
    """
    from theorytools.mpi.__main__ import main as _main
    return _main(argv)
