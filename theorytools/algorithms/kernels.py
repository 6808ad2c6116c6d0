"""Numba building blocks for writing a decentralized method's node kernels.

A method added with :func:`theorytools.algorithms.decentralized.register_method` brings two
node kernels ``phase0(lo, hi, st, gr, o, cc, gamma, cs, t, seed, cseed)`` and ``phase1(...)``
(docs/algorithms.md, "How to add an algorithm"); inside them these functions give node i's
stochastic gradient, a row of the mixing matrix times a stack of rows, and the compression of
a row with node i's stream, with the arithmetic and the random streams of the built-in methods.
No update equation here: building blocks.

* ``node_grad(o, i, x, seed, t, g)``: node i's stochastic gradient at x into g (stream
  ``node_step_key(seed, i, t)``);
* ``mix_row(gr, src, i, out)``: ``out = sum_j W_ij src[j]`` (CSR order, from 0.0);
* ``compress_row(cc.code, cc.cparams, cc.table, z, key, out, st.gi)``: ``out = C(z)``, returns
  the message's bits (< 0: failure); ``compress_row_add(..., acc)`` also does ``acc += C(z)``;
* ``node_step_key(cseed, i, t)``: node i's compressor key at step t;
* ``Buffers``: the arrays ``st`` holds (X, aux, Cm, S, gi, step_bits, fail).

A centralized method added with
:func:`theorytools.algorithms.centralized.register_central_method` brings two kernels
``pre(st, o, cc, gamma, t, seed)`` and ``post(...)``; ``st`` is a ``CentralBuffers`` (x, aux,
G, Z, Cm, S, step_bits), the gradients come from ``node_grad`` and

* ``mean_rows(X, out)``: ``out = (1/n) sum_i X[i]`` (row order from 0.0, then / n: the
  built-ins' mean of the workers' messages, bit for bit).
"""
from theorytools.algorithms._batch import compress_row, compress_row_add
from theorytools.algorithms._engine import Buffers, CentralBuffers, mean_rows, mix_row
from theorytools.algorithms._oracle import node_grad
from theorytools.random import node_step_key

__all__ = ["Buffers", "CentralBuffers", "compress_row", "compress_row_add", "mean_rows",
           "mix_row", "node_grad", "node_step_key"]
