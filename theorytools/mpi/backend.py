"""The MPI driver: one rank per node, real encoded messages, the simulator's iterates.

See :mod:`theorytools.mpi` and ``docs/scale-out.md``.
"""
from __future__ import annotations

import sys
import time

import numpy as np

from theorytools.errors import TheorytoolsError
from theorytools.mpi import _node as K

__all__ = ["CENTRALIZED", "COMPRESS_TAG", "DECENTRALIZED", "HEADER_BYTES", "SUPPORTED", "run_rank"]

COMPRESS_TAG = np.uint64(0x5EED_C0DE_0000_0001)   # the simulator's compressor stream tag
HEADER_BYTES = 8        # the int64 bit count each message is preceded by
DECENTRALIZED = ("dpsgd", "naive_compressed", "dcd_psgd", "ecd_psgd", "choco_sgd")
CENTRALIZED = ("dcgd", "cgd", "ef_sgd", "minibatch_sgd")
SUPPORTED = DECENTRALIZED + CENTRALIZED + ("local_sgd",)


def _mpi():
    try:
        from mpi4py import MPI
    except ImportError:
        from theorytools.sweep import MPI_HINT
        raise TheorytoolsError(f"the MPI backend needs the mpi extra: {MPI_HINT}") from None
    return MPI


class _Wire:
    """Message exchange over a communicator, counting what is sent.

    ``neighbors``: the dist-graph communicator's neighbour collectives (each message goes to
    every neighbour); otherwise ``Allgather``/``Allgatherv`` on the world communicator (each
    message goes to every other rank)."""

    def __init__(self, comm, fanout):
        self.comm, self.fanout = comm, fanout
        self.sizes = np.empty(comm.Get_size() if fanout is None else fanout[1], np.int64)
        self.wire_bytes = 0          # bytes this rank handed to MPI for other ranks
        self.comm_seconds = 0.0
        self.neighbors = fanout is not None

    def _copies(self):
        return self.fanout[1] if self.neighbors else self.comm.Get_size() - 1

    def floats(self, x, out):
        """Exchange a float64 vector; ``out`` (k, d): the others' (neighbours' or all ranks')."""
        t0 = time.perf_counter()
        if self.neighbors:
            self.comm.Neighbor_allgather(x, out)
        else:
            self.comm.Allgather(x, out)
        self.comm_seconds += time.perf_counter() - t0
        self.wire_bytes += self._copies() * x.nbytes

    def messages(self, msg):
        """Exchange encoded messages (bit count, then the payload bytes); returns the list of
        (nbits, payload) received, in neighbour (or rank) order."""
        MPI = _mpi()
        t0 = time.perf_counter()
        mine = np.array([msg.nbits], np.int64)
        if self.neighbors:
            self.comm.Neighbor_allgather(mine, self.sizes)
        else:
            self.comm.Allgather(mine, self.sizes)
        counts = (self.sizes + 7) // 8
        displs = np.zeros_like(counts)
        np.cumsum(counts[:-1], out=displs[1:])
        buf = np.empty(int(counts.sum()), np.uint8)
        send = np.frombuffer(msg.payload, np.uint8)
        spec = [buf, (counts.astype(np.int32), displs.astype(np.int32)), MPI.BYTE]
        if self.neighbors:
            self.comm.Neighbor_allgatherv([send, MPI.BYTE], spec)
        else:
            self.comm.Allgatherv([send, MPI.BYTE], spec)
        self.comm_seconds += time.perf_counter() - t0
        self.wire_bytes += self._copies() * (HEADER_BYTES + len(msg.payload))
        return [(int(self.sizes[k]), buf[displs[k]:displs[k] + counts[k]].tobytes())
                for k in range(self.sizes.size)]


def _codec(compressor, d, shared=False):
    """``encode(v, key)`` and ``decode(nbits, payload, key=None)``. With shared randomness the
    receiver regenerates the sender's random choices from the sender's stream key, which every
    rank knows (``node_step_key(seed ^ COMPRESS_TAG, sender, t)``: agreed in advance, not
    sent, as ``Message.shared_seed`` is not counted)."""
    from theorytools.codecs.message import Message
    from theorytools.random import KeyedGenerator

    name = compressor.canonical_name

    def encode(v, key):
        return compressor.encode(v, KeyedGenerator(key), shared=shared)

    def decode(nbits, payload, key=None):
        seed = int(key) if shared else None
        return compressor.decode(Message(payload, nbits, d, name, seed))
    return encode, decode


def run_rank(spec: "RunSpec | str", comm: object = None, *,
             iterates: bool = False) -> dict | None:
    r"""Run ``spec`` with this MPI rank as node ``rank`` (call on every rank of ``comm``).

    Decentralized algorithms (D-PSGD, naive, DCD-PSGD, ECD-PSGD, CHOCO-SGD): the graph becomes
    a distributed-graph communicator (``Create_dist_graph_adjacent``, neighbours in the CSR
    order of W); every iteration each rank encodes its message with the compressor's codec
    (``encode`` with the simulator's stream ``node_step_key(seed ^ COMPRESS_TAG, i, t)``),
    exchanges bit counts and payload bytes with ``Neighbor_allgather`` /
    ``Neighbor_allgatherv``, decodes its neighbours' messages and mixes them in the CSR order
    of row i of W (self included), as the simulator does. D-PSGD sends its float64 rows.
    Centralized ones (DCGD, EF-SGD, mini-batch SGD) exchange with ``Allgather(v)`` and every
    rank averages all messages in node order; local SGD allgathers the models at the
    synchronisation steps (synchronous only).

    Parameters
    ----------
    spec : theorytools.runspec.RunSpec or str
        The run; ``comm`` must have exactly ``spec.n`` ranks.
    comm : mpi4py.MPI.Comm or None, optional
        Default ``MPI.COMM_WORLD``.
    iterates : bool, optional
        Rank 0's record also holds the final iterates ``X`` (n, d).

    Returns
    -------
    dict or None
        On rank 0 the flat record of :func:`theorytools.runspec.run` (bits = the bits of the
        messages actually sent) plus ``mpi``: ranks, measured seconds per iteration (slowest
        rank; recording steps and the first step, which loads the kernels, excluded; mean
        and median), seconds per iteration in communication calls, bytes
        handed to MPI per iteration (all ranks; payload and the 8-byte bit count, times the
        number of receivers). None on the other ranks.

    References
    ----------
    Tang et al. 2018, Algorithms 1-2; Koloskova et al. 2019, Algorithm 2; Stich 2019,
    Algorithm 1; Beznosikov et al. 2020 (EF); docs/scale-out.md, "A run on MPI".
    """
    from theorytools.algorithms import NetworkModel
    from theorytools.algorithms._oracle import oracle_of
    from theorytools.runspec import RunSpec, build_problem, build_topology, parse

    comm = _mpi().COMM_WORLD if comm is None else comm
    if isinstance(spec, str):
        spec = parse(spec)
    if not isinstance(spec, RunSpec):
        raise TheorytoolsError(f"spec must be a RunSpec or a canonical name, got "
                               f"{type(spec).__name__}")
    if spec.algorithm not in SUPPORTED:
        raise TheorytoolsError(f"the MPI backend runs {', '.join(SUPPORTED)}; not "
                               f"{spec.algorithm}")
    rank, size = comm.Get_rank(), comm.Get_size()
    if size != spec.n:
        raise TheorytoolsError(f"the run has n = {spec.n} nodes but MPI has {size} ranks: "
                               f"run it with mpiexec -n {spec.n}")
    opts = dict(spec.options)
    if spec.algorithm == "local_sgd" and opts.get("asynchronous", False):
        raise TheorytoolsError("local_sgd: the MPI backend runs the synchronous variant only "
                               "(asynchronous=false)")
    problem = build_problem(spec.problem)
    o = oracle_of(problem)
    n, d, T = problem.n, problem.d, spec.T
    from theorytools.algorithms.trace import schedule
    record_at = schedule(T, spec.record)
    net = NetworkModel(**{k: opts[k] for k in ("latency", "bandwidth", "compute") if k in opts})
    compressor = None
    if spec.compressor is not None:
        from theorytools.compressors import Compressor, create
        compressor = create(spec.compressor)
        cls = type(compressor)
        if cls._write is Compressor._write and cls.encode is Compressor.encode:
            raise TheorytoolsError(f"{compressor.canonical_name} has no codec (encode): the MPI "
                                   "backend sends encoded messages")
        encode, decode = _codec(compressor, d, bool(opts.get("shared", False)))
    alg = spec.algorithm
    if alg in DECENTRALIZED:
        top = build_topology(spec.topology, n)
        lo, hi = top.indptr[rank], top.indptr[rank + 1]
        cols = np.asarray(top.indices[lo:hi], np.int64)
        w = np.ascontiguousarray(top.data[lo:hi], dtype=np.float64)
        nbrs = [int(j) for j in cols if j != rank]
        self_pos = int(np.flatnonzero(cols == rank)[0])
        # position of CSR entry p among the received rows (-1: this rank's own)
        src = np.array([-1 if j == rank else nbrs.index(int(j)) for j in cols], np.int64)
        gcomm = comm.Create_dist_graph_adjacent(nbrs, nbrs, reorder=False)
        wire = _Wire(gcomm, (nbrs, len(nbrs)))
        pattern, max_degree = "neighbors", top.max_degree
    else:
        wire = _Wire(comm, None)
        pattern = "allreduce" if alg in ("minibatch_sgd", "local_sgd") else "parameter_server"
        max_degree = 0
    seed = np.uint64(spec.seed)
    cseed = seed ^ COMPRESS_TAG
    x = np.zeros(d)                       # x0 = 0, as the simulator's default
    g, m, v = np.empty(d), np.empty(d), np.empty(d)
    step_bits = np.zeros(T, np.int64)
    r_total = record_at.size
    metrics = np.empty((r_total, 4))
    bits_rec = np.zeros((r_total, n), np.int64)
    my_bits = 0
    step_s = np.zeros(T)                  # seconds of each step (this rank)
    comm_s = np.zeros(T)                  # of which in communication calls
    failed = None

    from theorytools.random import node_step_key

    def exchange_msg(vec, t):
        msg = encode(vec, node_step_key(cseed, rank, t))
        got = wire.messages(msg)
        return msg, decode(msg.nbits, msg.payload, msg.shared_seed), got

    def rows_csr(own, got_rows, R):
        """R[p] = the vector of CSR entry p (own or a neighbour's)."""
        for p in range(src.size):
            R[p] = own if src[p] < 0 else got_rows[src[p]]

    deg = len(nbrs) if alg in DECENTRALIZED else 0
    R = np.empty((deg + 1, d)) if alg in DECENTRALIZED else None
    recv = np.empty((deg, d)) if alg in DECENTRALIZED else np.empty((n, d))
    if alg == "dcd_psgd":
        R[:] = x
        aux = np.empty(d)
        K.mix_row(w, R, aux)              # S_1 = W X_1 (row i)
    elif alg in ("ecd_psgd", "choco_sgd"):
        AUX = np.zeros((deg + 1, d))      # replicas of ytilde_j / xhat_j, CSR order
        AUX[:] = x
    if alg == "ef_sgd":
        e = np.zeros(d)
    if alg == "local_sgd":
        from theorytools.algorithms import stich_shift
        H = opts["H"]
        a = opts.get("a", stich_shift(problem, H))
        if spec.gamma is None and a <= stich_shift(problem, H) - 1e-12 * a:
            raise TheorytoolsError(f"local_sgd: a = {a} violates Theorem 2.2's condition "
                                   f"a > max(16 kappa, H) = {stich_shift(problem, H)}")
        steps = (4.0 / (problem.mu * (a + np.arange(T))) if spec.gamma is None
                 else np.full(T, spec.gamma))
    gamma = spec.gamma
    cs = opts.get("consensus_step", 1.0)
    form = opts.get("form", "lian")

    def record(r):
        if alg in CENTRALIZED:
            vals = K.trace_point_central(o, x, n, problem.x_star, problem.f_star) \
                if rank == 0 else None
        else:
            X = np.empty((n, d)) if rank == 0 else None
            comm.Gather(x, X, root=0)
            if rank == 0:
                vals = (K.trace_point_mean(o, X, problem.x_star, problem.f_star)
                        if alg == "local_sgd" else
                        K.trace_point(o, X, problem.x_star, problem.f_star))
        b = np.zeros(n, np.int64) if rank == 0 else None
        comm.Gather(np.array([my_bits], np.int64), b, root=0)
        if rank == 0:
            metrics[r] = vals
            bits_rec[r] = b

    comm.Barrier()
    r = 0
    t = 0
    try:
        for t in range(T + 1):
            if r < r_total and record_at[r] == t:
                record(r)
                r += 1
            if t == T:
                break
            t0 = time.perf_counter()
            c0 = wire.comm_seconds
            sent = 0
            if alg == "dpsgd":
                if form == "lian":
                    wire.floats(x, recv)
                    rows_csr(x, recv, R)
                    K.lian0(o, rank, x, w, R, gamma, seed, t, g, m, v)
                    x[:] = v
                else:
                    K.atc0(o, rank, x, gamma, seed, t, g, v)
                    wire.floats(v, recv)
                    rows_csr(v, recv, R)
                    K.mix_row(w, R, x)
                sent = 64 * d
            elif alg == "naive_compressed":
                msg, c, got = exchange_msg(x, t)
                rows_csr(c, [decode(*q) for q in got], R)
                K.naive1(o, rank, x, w, R, gamma, seed, t, g, m)
                sent = msg.nbits
            elif alg == "dcd_psgd":
                K.dcd0(o, rank, x, aux, gamma, seed, t, g, v)
                msg, c, got = exchange_msg(v, t)
                K.add_into(x, c)
                rows_csr(c, [decode(*q) for q in got], R)
                K.dcd1(aux, w, R, m)
                sent = msg.nbits
            elif alg == "ecd_psgd":
                K.ecd0(o, rank, x, w, AUX, gamma, seed, t, g, m, v)
                msg, c, got = exchange_msg(v, t)
                rows_csr(c, [decode(*q) for q in got], R)
                K.ecd1(AUX, R, t)
                sent = msg.nbits
            elif alg == "choco_sgd":
                K.choco0(o, rank, x, AUX[self_pos], gamma, seed, t, g, v)
                msg, c, got = exchange_msg(v, t)
                rows_csr(c, [decode(*q) for q in got], R)
                for p in range(R.shape[0]):
                    K.add_into(AUX[p], R[p])
                K.choco1(x, w, AUX, self_pos, cs, m)
                sent = msg.nbits
            elif alg == "minibatch_sgd":
                K.grad(o, rank, x, seed, t, g)
                wire.floats(g, recv)
                K.x_minus_mean(x, recv, gamma, m)
                sent = 64 * d
            elif alg in ("dcgd", "cgd", "ef_sgd"):
                K.grad(o, rank, x, seed, t, g)
                if alg == "ef_sgd":
                    K.ef_pre(e, g, gamma, v)
                    msg, c, got = exchange_msg(v, t)
                    K.ef_post(e, v, c)
                else:
                    msg, c, got = exchange_msg(g, t)
                for k, q in enumerate(got):       # rank k's message: its stream key
                    recv[k] = decode(*q, node_step_key(cseed, k, t))
                if alg == "ef_sgd":
                    K.x_minus_mean_ef(x, recv, m)
                else:
                    K.x_minus_mean(x, recv, gamma, m)
                sent = msg.nbits
            else:   # local_sgd, synchronous
                K.grad(o, rank, x, seed, t, g)
                K.axpy_step(x, steps[t], g)
                if (t + 1) % H == 0:
                    wire.floats(x, recv)
                    K.mean_rows(recv, m)
                    x[:] = m
                    sent = 64 * d
            step_bits[t] = sent
            my_bits += sent
            step_s[t] = time.perf_counter() - t0
            comm_s[t] = wire.comm_seconds - c0
    except Exception as exc:  # noqa: BLE001 -- one line, then the whole job stops
        failed = f"{alg}: rank {rank}: step {t}: {type(exc).__name__}: {exc}"
    if failed is not None:
        sys.stderr.write(f"theorytools.mpi: error: {failed}\n")
        sys.stderr.flush()
        comm.Abort(2)
    comm.Barrier()
    # per-step bits of every rank (for the cost model's largest message), timings, wire bytes
    all_bits = np.zeros((n, T), np.int64) if rank == 0 else None
    comm.Gather(step_bits, all_bits, root=0)
    # timings: step 0 (first calls of the kernels: loading/compiling them) is left out
    timed = slice(1, T) if T > 1 else slice(0, T)
    stats = np.array([step_s[timed].sum(), comm_s[timed].sum(), wire.wire_bytes,
                      np.median(step_s[timed]) if T else 0.0], np.float64)
    all_stats = np.zeros((n, 4)) if rank == 0 else None
    comm.Gather(stats, all_stats, root=0)
    steps_timed = max(len(range(T)[timed]), 1)
    X = np.empty((n, d)) if rank == 0 else None
    comm.Gather(x, X, root=0)
    if alg in DECENTRALIZED:
        gcomm.Free()
    if rank != 0:
        return None
    step_max = all_bits.max(axis=0) if T else np.zeros(0, np.int64)
    wall = net.wall_times(step_max, record_at, pattern, n, max_degree)
    bits_total = bits_rec.sum(axis=1)
    rec = {"name": spec.name, "config": spec.config, "status": "ok", "error": None,
           **spec.as_dict(),
           "f_gap": float(metrics[-1, 0]), "grad_norm_sq": float(metrics[-1, 1]),
           "dist_sq": float(metrics[-1, 2]), "consensus": float(metrics[-1, 3]),
           "bits_total": int(bits_total[-1]), "bits_max_node": int(bits_rec[-1].max()),
           "bits_exact": True, "wall_model": float(wall[-1]), "elapsed": None,
           "steps": [int(s) for s in record_at],
           "f_gap_curve": [float(s) for s in metrics[:, 0]],
           "consensus_curve": [float(s) for s in metrics[:, 3]],
           "bits_curve": [int(s) for s in bits_total],
           "wall_model_curve": [float(s) for s in wall],
           "grad_norm_sq_curve": [float(s) for s in metrics[:, 1]],
           "dist_sq_curve": [float(s) for s in metrics[:, 2]],
           "mpi": {"ranks": n, "pattern": pattern,
                   "seconds_per_iteration": float(all_stats[:, 0].max() / steps_timed),
                   "median_seconds_per_iteration": float(all_stats[:, 3].max()),
                   "comm_seconds_per_iteration": float(all_stats[:, 1].max() / steps_timed),
                   "wire_bytes_per_iteration": float(all_stats[:, 2].sum() / max(T, 1)),
                   "bits_per_iteration": float(all_bits.sum() / max(T, 1))}}
    rec["elapsed"] = float(all_stats[:, 0].max())   # the timed steps (1..T-1), slowest rank
    if iterates:
        rec["X"] = X.tolist()
    return rec
