"""Communication graphs and gossip (mixing) matrices, with their spectral quantities.

A :class:`Topology` is an immutable bundle of a connected graph on nodes ``0..n-1``, a mixing
matrix ``W`` (symmetric, doubly stochastic, nonnegative, ``W_ij > 0`` only on edges and the
diagonal), its CSR form for Numba kernels, and the spectral numbers the theorems use.

Spectral quantities (never a bare ``rho``: the papers disagree on it; Tang et al. 2018, Assumption 1 (docs/sources.md#tang); decentralized open items 1 (docs/sources.md#open-items))
------------------------------------------------------------------------------------------
With the eigenvalues of the symmetric ``W`` sorted as
``1 = lambda_1 >= lambda_2 >= ... >= lambda_n``:

``slem``          ``max(|lambda_2|, |lambda_n|)`` = ``||W - J||_2``: Tang et al. 2018's ``rho``
                  [UNCONFIRMED].
``slem_sq``       ``slem**2``: Lian et al. 2017's ``rho`` [UNCONFIRMED].
``spectral_gap``  ``1 - |lambda_2|``: CHOCO-SGD's ``rho``/``delta`` (Koloskova et al.) [SECONDARY].
``mu_W``          ``max_{i >= 2} |lambda_i - 1|`` = ``1 - lambda_n``: Tang's ``mu`` [UNCONFIRMED].
``beta``          ``||I - W||_2`` = ``max_i |1 - lambda_i|``: CHOCO-SGD's ``beta`` [SECONDARY].
                  For a symmetric stochastic ``W`` it equals ``mu_W`` (``lambda_1 = 1`` adds a 0).

Accuracy: the eigenvalues come from LAPACK ``eigvalsh`` in float64, which is backward stable:
they are the exact eigenvalues of ``W + E`` with ``||E||_2 <= c * n * eps * ||W||_2`` and
``||W||_2 = 1``, so by Weyl's theorem every eigenvalue (and every quantity above) is accurate to
an absolute error of about ``n * 2.2e-16`` (< 1e-12 for n <= 1000). At construction the module
checks ``|lambda_1 - 1| <= 1e-10`` as an a-posteriori sanity check.

Weightings
----------
``"metropolis_hastings"``  ``W_ij = 1 / (1 + max(deg_i, deg_j))`` on edges, the rest on the
                           diagonal.
``"max_degree"``           ``W_ij = 1 / (1 + max_degree)`` on edges, the rest on the diagonal.
``"uniform"``              ring: 1/3 on the diagonal and both neighbours; torus: 1/5;
                           complete: ``W = J``; any other graph: the max-degree weights.
                           On a regular graph all three weightings give the same ``W``,
                           ``(I + A) / (deg + 1)``, bit for bit.
``"user"``                 a matrix given to :func:`from_matrix`, validated.

Validation rules (every failure is a :class:`TheorytoolsError` naming the argument and entry)
-------------------------------------------------------------------------------------------
``W`` must be a finite square float matrix with no negative entry (exact test: clip tiny
negatives yourself), every row and column summing to 1 within ``atol`` (default 1e-10), symmetric
within ``atol`` (it is then stored as ``(W + W^T)/2``), with a connected support graph, and with
``lambda_n > -1`` (a bipartite pattern with a zero diagonal never reaches consensus). When a
graph is given, the off-diagonal support of ``W`` must equal its edge set exactly: a nonzero
weight on a non-edge *and* a zero weight on an edge are both refused (a zero-weight edge carries
no gossip, so the graph would overstate ``messages_per_round``).

``n = 1`` is allowed where the topology makes sense (complete, star, grid, hypercube of
dimension 0, exponential, Erdős–Rényi, networkx, user matrix); then ``eigenvalues = [1]`` and,
by the convention ``slem = ||W - J||_2``, ``lambda_2 = lambda_n = slem = mu_W = beta = 0`` and
``spectral_gap = 1``. Rings need ``n >= 3`` and tori ``rows, cols >= 3`` (otherwise the
neighbours ``i-1`` and ``i+1`` coincide and the 1/3 (1/5) weighting is not a valid ``W``).
At most :data:`MAX_NODES` nodes: ``W`` is dense and ``eigvalsh`` costs O(n^3).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import networkx as nx
import numpy as np

from theorytools.errors import TheorytoolsError, _short, check_int, check_real, check_seed

__all__ = [
    "Topology", "ring", "torus", "grid2d", "complete", "star", "hypercube", "exponential",
    "erdos_renyi", "random_regular", "from_networkx", "from_matrix", "metropolis_hastings_weights",
    "max_degree_weights", "validate_mixing_matrix", "tang_dcd_alpha_max", "consensus_rate",
    "ring_eigenvalues", "torus_eigenvalues", "complete_eigenvalues", "hypercube_eigenvalues",
    "compare_eigenvalues", "EigenvalueComparison", "spectral_table", "format_spectral_table",
    "WEIGHTINGS", "MAX_NODES", "DEFAULT_ATOL",
]

#: The weightings a factory accepts (``"user"`` is reserved for :func:`from_matrix`).
WEIGHTINGS = ("uniform", "metropolis_hastings", "max_degree")
#: Largest number of nodes: ``W`` is stored dense and its spectrum costs O(n^3).
MAX_NODES = 8192
#: Tolerance on row sums, column sums and symmetry of a user matrix.
DEFAULT_ATOL = 1e-10
#: Tolerance of the a-posteriori check ``|lambda_1 - 1|`` and of ``lambda_n > -1``.
_SPECTRAL_TOL = 1e-10


# --------------------------------------------------------------------------- the object

@dataclass(frozen=True, eq=False, repr=False)
class Topology:
    """A connected communication graph with its mixing matrix and spectral quantities.

    Build one with a factory (:func:`ring`, :func:`torus`, ...), never directly: the factories
    validate ``W`` and compute every derived field. All arrays are read-only and the graph is
    frozen. Two topologies compare equal only if they are the same object.

    Attributes
    ----------
    name : canonical name, e.g. ``"ring[n=8]"``, ``"torus[rows=4,cols=4]"``; a non-default
        weighting is appended, e.g. ``"grid2d[rows=3,cols=4,weights=max_degree]"``.
    n : number of nodes. graph : frozen ``networkx.Graph`` on ``0..n-1`` (no self-loops).
    W : (n, n) float64 mixing matrix. weights : the weighting's name (see :data:`WEIGHTINGS`).
    indptr, indices, data : CSR of ``W`` over the pattern "diagonal + edges" (the diagonal is
        always stored, even when a user matrix has ``W_ii = 0``); column indices sorted.
    eigenvalues : eigenvalues of ``W``, descending (``eigenvalues[0]`` is 1 to about n*eps).
    lambda2, lambda_n, slem, slem_sq, spectral_gap, mu_W, beta : see the module docstring;
        absolute accuracy about ``n * 2.2e-16``.
    degrees : int64 (n,) node degrees. max_degree, num_edges : ints.
    """

    name: str
    n: int
    graph: nx.Graph
    W: np.ndarray
    weights: str
    indptr: np.ndarray
    indices: np.ndarray
    data: np.ndarray
    eigenvalues: np.ndarray
    lambda2: float
    lambda_n: float
    slem: float
    slem_sq: float
    spectral_gap: float
    mu_W: float
    beta: float
    degrees: np.ndarray
    max_degree: int
    num_edges: int

    def neighbors(self, i) -> np.ndarray:
        """Sorted int64 array of the neighbours of node ``i`` (``i`` itself excluded)."""
        i = check_int(i, "i", low=0, high=self.n - 1)
        row = self.indices[self.indptr[i]:self.indptr[i + 1]]
        return row[row != i]

    def messages_per_round(self) -> int:
        """Directed messages in one gossip round: every edge carries one message each way."""
        return 2 * self.num_edges

    def __repr__(self) -> str:
        return (f"Topology({self.name!r}, weights={self.weights!r}, n={self.n}, "
                f"edges={self.num_edges}, slem={self.slem:.6g}, "
                f"spectral_gap={self.spectral_gap:.6g})")


# --------------------------------------------------------------------------- validation

def _check_weights(weights) -> str:
    if weights not in WEIGHTINGS:
        raise TheorytoolsError(f"weights must be one of {', '.join(map(repr, WEIGHTINGS))}, "
                               f"got {_short(weights)}")
    return weights


def _check_size(n: int, name: str) -> None:
    if n > MAX_NODES:
        raise TheorytoolsError(f"{name} gives n = {n} nodes, more than MAX_NODES = {MAX_NODES} "
                               f"(W is dense and its spectrum costs O(n^3))")


def validate_mixing_matrix(W: np.ndarray, name: str = "W", *,
                           atol: float = DEFAULT_ATOL) -> np.ndarray:
    r"""Return ``W`` as a C-contiguous float64 symmetric doubly stochastic nonnegative matrix.

    .. math:: W_{ij} \ge 0,\qquad |(W\mathbf 1)_i - 1| \le \mathrm{atol},\qquad
              |(W^\top\mathbf 1)_j - 1| \le \mathrm{atol},\qquad |W_{ij} - W_{ji}| \le \mathrm{atol}.

    Checks, in order: a square 2-D real array with ``1 <= n <= MAX_NODES``; every entry finite;
    no negative entry (exact); every row sum, then every column sum; symmetry. The first
    failure raises :class:`TheorytoolsError` naming ``name`` and the offending entry.
    Connectivity and the graph are checked by :func:`from_matrix`.

    Parameters
    ----------
    W : numpy.ndarray
        The candidate matrix (anything convertible to a float array).
    name : str, optional
        Its name in error messages.
    atol : float, optional
        Tolerance of the sums and of the symmetry.

    Returns
    -------
    numpy.ndarray
        :math:`(W + W^\top)/2` (equal to ``W`` when exactly symmetric).

    References
    ----------
    Tang et al. 2018, the assumptions on the mixing matrix W (symmetric, doubly stochastic, spectral gap); docs/sources.md#tang; docs/topology.md.
    """
    atol = check_real(atol, "atol", low=0.0)
    try:
        arr = np.array(W, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TheorytoolsError(f"{name} must be a real square matrix, got {_short(W)}") from exc
    if arr.ndim != 2 or arr.shape[0] != arr.shape[1]:
        raise TheorytoolsError(f"{name} must be a square 2-D matrix, got shape {arr.shape}")
    n = arr.shape[0]
    if n < 1:
        raise TheorytoolsError(f"{name} must have n >= 1 rows, got shape {arr.shape}")
    _check_size(n, name)
    if not np.all(np.isfinite(arr)):
        i, j = np.argwhere(~np.isfinite(arr))[0]
        raise TheorytoolsError(f"{name} must be finite, but {name}[{i}, {j}] = "
                               f"{float(arr[i, j])!r}")
    if np.any(arr < 0):
        i, j = np.argwhere(arr < 0)[0]
        raise TheorytoolsError(f"{name} must be nonnegative, but {name}[{i}, {j}] = "
                               f"{float(arr[i, j])!r}")
    for axis, what in ((1, "row"), (0, "column")):
        sums = arr.sum(axis=axis)
        bad = np.flatnonzero(np.abs(sums - 1.0) > atol)
        if bad.size:
            k = int(bad[0])
            raise TheorytoolsError(
                f"{name} must be doubly stochastic, but {what} {k} of {name} sums to "
                f"{float(sums[k])!r}, not 1 (tolerance atol = {atol:g})")
    asym = np.abs(arr - arr.T)
    if np.any(asym > atol):
        i, j = np.unravel_index(int(np.argmax(asym)), asym.shape)
        raise TheorytoolsError(
            f"{name} must be symmetric, but {name}[{i}, {j}] = {float(arr[i, j])!r} != "
            f"{name}[{j}, {i}] = {float(arr[j, i])!r} (tolerance atol = {atol:g})")
    if np.any(asym):
        arr = 0.5 * (arr + arr.T)
    return np.ascontiguousarray(arr)


def _check_connected(graph: nx.Graph, name: str) -> None:
    if graph.number_of_nodes() <= 1 or nx.is_connected(graph):
        return
    components = sorted((sorted(c) for c in nx.connected_components(graph)), key=lambda c: c[0])
    other = components[1][0]
    raise TheorytoolsError(
        f"{name} is not connected: it has {len(components)} components, e.g. node {other} "
        f"cannot be reached from node 0 (gossip never reaches consensus)")


def _readonly(arr: np.ndarray) -> np.ndarray:
    arr.setflags(write=False)
    return arr


def _build(name: str, graph: nx.Graph, W: np.ndarray, weights: str,
           what: str = "W") -> Topology:
    """Assemble a Topology from a validated symmetric doubly stochastic ``W`` and its graph."""
    n = W.shape[0]
    # CSR over "diagonal + edges", column indices sorted, so row i holds W_ii and its neighbours
    mask = nx.to_numpy_array(graph, nodelist=range(n), weight=None) != 0
    np.fill_diagonal(mask, True)
    rows, cols = np.nonzero(mask)  # row-major order: sorted by row, then by column
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:])
    indices = cols.astype(np.int64)
    data = W[rows, cols].astype(np.float64)

    eig = np.linalg.eigvalsh(W)[::-1].copy()
    if abs(eig[0] - 1.0) > _SPECTRAL_TOL:
        raise TheorytoolsError(f"{what}: the largest eigenvalue of W is {float(eig[0])!r}, not 1 "
                               f"(W is not a valid mixing matrix)")
    if n >= 2:
        lambda2, lambda_n = float(eig[1]), float(eig[-1])
    else:
        lambda2 = lambda_n = 0.0  # convention slem = ||W - J||_2 = 0 for one node
    if lambda_n <= -1.0 + _SPECTRAL_TOL:
        raise TheorytoolsError(
            f"{what} has lambda_n = {lambda_n!r} (an eigenvalue -1): gossip with W oscillates "
            f"and never reaches consensus; put weight on the diagonal, e.g. use (I + W)/2")
    if lambda2 >= 1.0 - _SPECTRAL_TOL:
        raise TheorytoolsError(
            f"{what} has lambda_2 = {lambda2!r}: its spectral gap is below the float64 "
            f"resolution of this computation")
    slem = max(abs(lambda2), abs(lambda_n))
    mu_W = max(abs(1.0 - lambda2), abs(1.0 - lambda_n)) if n >= 2 else 0.0
    beta = float(np.max(np.abs(1.0 - eig))) if n >= 2 else 0.0
    degrees = np.array([graph.degree(i) for i in range(n)], dtype=np.int64)
    frozen = nx.freeze(graph)
    return Topology(
        name=name, n=n, graph=frozen, W=_readonly(W), weights=weights,
        indptr=_readonly(indptr), indices=_readonly(indices), data=_readonly(data),
        eigenvalues=_readonly(eig), lambda2=lambda2, lambda_n=lambda_n,
        slem=slem, slem_sq=slem * slem, spectral_gap=1.0 - abs(lambda2), mu_W=mu_W, beta=beta,
        degrees=_readonly(degrees), max_degree=int(degrees.max()) if n else 0,
        num_edges=int(graph.number_of_edges()))


# --------------------------------------------------------------------------- weightings

def _edge_array(G: nx.Graph, index: dict) -> np.ndarray:
    edges = [(index[u], index[v]) for u, v in G.edges() if u != v]
    return np.array(edges, dtype=np.int64).reshape(-1, 2)


def _simple_degrees(G: nx.Graph, n: int, edges: np.ndarray) -> np.ndarray:
    return np.bincount(edges.ravel(), minlength=n).astype(np.int64)


def metropolis_hastings_weights(G: nx.Graph) -> np.ndarray:
    r"""Metropolis–Hastings mixing matrix of an undirected graph.

    .. math:: W_{ij} = \frac{1}{1 + \max(\deg_i, \deg_j)}\ (\{i,j\} \in E),\qquad
              W_{ii} = 1 - \sum_{j \ne i} W_{ij},

    0 elsewhere. Symmetric and doubly stochastic by construction, with
    :math:`W_{ii} \ge 1/(1 + \deg_i)` (so :math:`\lambda_n > -1`). Rows and columns follow
    ``list(G)``; self-loops and edge attributes are ignored.

    Parameters
    ----------
    G : networkx.Graph
        Undirected graph.

    Returns
    -------
    numpy.ndarray
        The (n, n) float64 matrix.

    References
    ----------
    L. Xiao and S. Boyd, "Fast linear iterations for distributed averaging", Systems & Control
    Letters 2004.
    """
    nodes = list(G)
    n = len(nodes)
    edges = _edge_array(G, {v: k for k, v in enumerate(nodes)})
    deg = _simple_degrees(G, n, edges)
    W = np.zeros((n, n), dtype=np.float64)
    if edges.size:
        i, j = edges[:, 0], edges[:, 1]
        w = 1.0 / (1.0 + np.maximum(deg[i], deg[j]))
        W[i, j] = w
        W[j, i] = w
    diag = 1.0 - W.sum(axis=1)
    # a node whose neighbours all have degree <= its own has every weight 1/(1 + deg_i): give it
    # the exact 1/(1 + deg_i), so that on a regular graph W equals the max-degree W bit for bit
    top_degree = np.ones(n, dtype=bool)
    if edges.size:
        top_degree[edges[:, 0][deg[edges[:, 1]] > deg[edges[:, 0]]]] = False
        top_degree[edges[:, 1][deg[edges[:, 0]] > deg[edges[:, 1]]]] = False
    diag[top_degree] = 1.0 / (1.0 + deg[top_degree])
    W[np.diag_indices(n)] = diag
    return W


def max_degree_weights(G: nx.Graph) -> np.ndarray:
    r"""Max-degree mixing matrix: ``1/(1 + d_max)`` on edges, the rest on the diagonal.

    .. math:: W_{ij} = \frac{1}{1 + d_{\max}}\ (\{i,j\} \in E),\qquad
              W_{ii} = \frac{1 + d_{\max} - \deg_i}{1 + d_{\max}},

    computed as one division so that on a regular graph the diagonal equals the edge weight
    exactly (ring: 1/3, torus: 1/5, complete graph: ``W = J``). Rows and columns follow
    ``list(G)``; self-loops are ignored.

    Parameters
    ----------
    G : networkx.Graph
        Undirected graph.

    Returns
    -------
    numpy.ndarray
        The (n, n) float64 matrix.

    References
    ----------
    Xiao and Boyd 2004 (the max-degree weights); docs/topology.md.
    """
    nodes = list(G)
    n = len(nodes)
    edges = _edge_array(G, {v: k for k, v in enumerate(nodes)})
    deg = _simple_degrees(G, n, edges)
    d_max = int(deg.max()) if n else 0
    W = np.zeros((n, n), dtype=np.float64)
    if edges.size:
        W[edges[:, 0], edges[:, 1]] = 1.0 / (1 + d_max)
        W[edges[:, 1], edges[:, 0]] = 1.0 / (1 + d_max)
    W[np.diag_indices(n)] = (1 + d_max - deg) / (1 + d_max)
    return W


def _weighted(name: str, graph: nx.Graph, weights: str, default: str) -> Topology:
    """Topology of ``graph`` (nodes 0..n-1) under a named weighting; name gets the weighting
    appended when it is not the factory's default."""
    weights = _check_weights(weights)
    if weights == "metropolis_hastings":
        W = metropolis_hastings_weights(graph)
    else:  # "uniform" is the max-degree weighting on every graph (ring 1/3, torus 1/5, J)
        W = max_degree_weights(graph)
    if weights != default:
        name = f"{name[:-1]},weights={weights}]"
    return _build(name, graph, W, weights, what=name)


def _graph(n: int, edges) -> nx.Graph:
    G = nx.Graph()
    G.add_nodes_from(range(n))
    G.add_edges_from((int(u), int(v)) for u, v in edges if u != v)
    return G


# --------------------------------------------------------------------------- factories

def ring(n: int, weights: str = "uniform") -> Topology:
    r"""Cycle on ``n >= 3`` nodes, ``i ~ i +- 1 (mod n)``; uniform: ``W_ii = W_{i,i+-1} = 1/3``.

    .. math:: \lambda_k(W) = \tfrac13 + \tfrac23\cos(2\pi k/n),\quad k = 0, \dots, n-1

    Gossip step of every decentralized algorithm: :math:`x_i \leftarrow \sum_j W_{ij} x_j`.

    Parameters
    ----------
    n : int
        Number of nodes (>= 3).
    weights : {"uniform", "metropolis_hastings", "max_degree"}, optional
        Weighting of the edges (see the module docstring).

    Returns
    -------
    Topology
        The graph, its validated mixing matrix :math:`W`, the CSR form and the certified
        spectrum (``slem``, ``spectral_gap``, ``mu_W``, ``beta``).

    References
    ----------
    Closed form derived here (:func:`ring_eigenvalues`); all three weightings coincide (the
    ring is 2-regular). Tang et al. 2018 and Koloskova et al. 2019 use rings in their
    experiments; docs/topology.md.
    """
    n = check_int(n, "n", low=3)
    _check_size(n, "n")
    return _weighted(f"ring[n={n}]", _graph(n, ((i, (i + 1) % n) for i in range(n))),
                     weights, "uniform")


def _torus_edges(rows: int, cols: int, wrap: bool):
    for r in range(rows):
        for c in range(cols):
            i = r * cols + c
            if wrap or c + 1 < cols:
                yield i, r * cols + (c + 1) % cols
            if wrap or r + 1 < rows:
                yield i, ((r + 1) % rows) * cols + c


def torus(rows: int, cols: int, weights: str = "uniform") -> Topology:
    r"""Periodic ``rows x cols`` grid (``rows, cols >= 3``), node ``r * cols + c``.

    .. math:: W = \tfrac15 (I + A),\quad \lambda_{jk}(W) = \tfrac15 + \tfrac25\big(\cos\tfrac{2\pi j}{rows} + \cos\tfrac{2\pi k}{cols}\big)

    Gossip step of every decentralized algorithm: :math:`x_i \leftarrow \sum_j W_{ij} x_j`.

    Parameters
    ----------
    rows : int
        Rows (>= 3).
    cols : int
        Columns (>= 3).
    weights : {"uniform", "metropolis_hastings", "max_degree"}, optional
        Weighting of the edges (see the module docstring).

    Returns
    -------
    Topology
        The graph, its validated mixing matrix :math:`W`, the CSR form and the certified
        spectrum (``slem``, ``spectral_gap``, ``mu_W``, ``beta``).

    References
    ----------
    Closed form derived here (:func:`torus_eigenvalues`, a Kronecker sum of two cycles);
    docs/topology.md.
    """
    rows = check_int(rows, "rows", low=3)
    cols = check_int(cols, "cols", low=3)
    _check_size(rows * cols, "rows * cols")
    return _weighted(f"torus[rows={rows},cols={cols}]",
                     _graph(rows * cols, _torus_edges(rows, cols, wrap=True)), weights, "uniform")


def grid2d(rows: int, cols: int, weights: str = "metropolis_hastings") -> Topology:
    r"""Non-periodic ``rows x cols`` grid (``rows, cols >= 1``), node ``r * cols + c``.

    .. math:: W_{ij} = \frac{1}{1 + \max(\deg_i, \deg_j)}\ (i \sim j),\qquad W_{ii} = 1 - \sum_{j \ne i} W_{ij}

    Gossip step of every decentralized algorithm: :math:`x_i \leftarrow \sum_j W_{ij} x_j`.

    Parameters
    ----------
    rows : int
        Rows (>= 1).
    cols : int
        Columns (>= 1).
    weights : {"uniform", "metropolis_hastings", "max_degree"}, optional
        Weighting of the edges (see the module docstring).
        Irregular (corner degree 2, border 3, inside 4), hence Metropolis–Hastings by
        default; ``"uniform"`` means the max-degree weights.

    Returns
    -------
    Topology
        The graph, its validated mixing matrix :math:`W`, the CSR form and the certified
        spectrum (``slem``, ``spectral_gap``, ``mu_W``, ``beta``).

    References
    ----------
    Xiao and Boyd, "Fast linear iterations for distributed averaging", 2004 (the weights);
    docs/topology.md.
    """
    rows = check_int(rows, "rows", low=1)
    cols = check_int(cols, "cols", low=1)
    _check_size(rows * cols, "rows * cols")
    return _weighted(f"grid2d[rows={rows},cols={cols}]",
                     _graph(rows * cols, _torus_edges(rows, cols, wrap=False)),
                     weights, "metropolis_hastings")


def complete(n: int, weights: str = "uniform") -> Topology:
    r"""Complete graph on ``n >= 1`` nodes. Every weighting gives ``W = J`` (all entries 1/n).

    .. math:: W = J = \tfrac1n\mathbf 1\mathbf 1^\top,\qquad \lambda(W) = (1, 0, \dots, 0)

    Gossip step of every decentralized algorithm: :math:`x_i \leftarrow \sum_j W_{ij} x_j`.

    Parameters
    ----------
    n : int
        Number of nodes (>= 1).
    weights : {"uniform", "metropolis_hastings", "max_degree"}, optional
        Weighting of the edges (see the module docstring).

    Returns
    -------
    Topology
        The graph, its validated mixing matrix :math:`W`, the CSR form and the certified
        spectrum (``slem``, ``spectral_gap``, ``mu_W``, ``beta``).

    References
    ----------
    Closed form derived here (:func:`complete_eigenvalues`): slem 0, gap 1,
    mu_W = beta = 1 (n >= 2); docs/topology.md.
    """
    n = check_int(n, "n", low=1)
    _check_size(n, "n")
    weights = _check_weights(weights)
    G = _graph(n, ((i, j) for i in range(n) for j in range(i + 1, n)))
    name = f"complete[n={n}]" if weights == "uniform" else f"complete[n={n},weights={weights}]"
    return _build(name, G, np.full((n, n), 1.0 / n), weights, what=name)


def star(n: int, weights: str = "metropolis_hastings") -> Topology:
    r"""Star on ``n >= 1`` nodes: centre 0 linked to ``1..n-1``.

    .. math:: W_{0i} = W_{i0} = W_{00} = \tfrac1n,\qquad W_{ii} = 1 - \tfrac1n\ (i \ge 1)

    Gossip step of every decentralized algorithm: :math:`x_i \leftarrow \sum_j W_{ij} x_j`.

    Parameters
    ----------
    n : int
        Number of nodes (>= 1).
    weights : {"uniform", "metropolis_hastings", "max_degree"}, optional
        Weighting of the edges (see the module docstring).
        Metropolis–Hastings and max-degree coincide here.

    Returns
    -------
    Topology
        The graph, its validated mixing matrix :math:`W`, the CSR form and the certified
        spectrum (``slem``, ``spectral_gap``, ``mu_W``, ``beta``).

    References
    ----------
    Xiao and Boyd 2004 (the weights); docs/topology.md.
    """
    n = check_int(n, "n", low=1)
    _check_size(n, "n")
    return _weighted(f"star[n={n}]", _graph(n, ((0, i) for i in range(1, n))),
                     weights, "metropolis_hastings")


def hypercube(dim: int, weights: str = "uniform") -> Topology:
    r"""Hypercube on ``n = 2**dim`` nodes (``dim >= 0``): ``i ~ j`` iff they differ in one bit.

    .. math:: W = \frac{I + A}{dim + 1},\qquad \lambda = 1 - \frac{2k}{dim + 1}\ \text{with multiplicity}\ \tbinom{dim}{k}

    Gossip step of every decentralized algorithm: :math:`x_i \leftarrow \sum_j W_{ij} x_j`.

    Parameters
    ----------
    dim : int
        Dimension (0 <= dim <= log2(MAX_NODES)).
    weights : {"uniform", "metropolis_hastings", "max_degree"}, optional
        Weighting of the edges (see the module docstring).

    Returns
    -------
    Topology
        The graph, its validated mixing matrix :math:`W`, the CSR form and the certified
        spectrum (``slem``, ``spectral_gap``, ``mu_W``, ``beta``).

    References
    ----------
    Closed form derived here (:func:`hypercube_eigenvalues`); docs/topology.md.
    """
    dim = check_int(dim, "dim", low=0, high=int(math.log2(MAX_NODES)))
    n = 1 << dim
    edges = ((i, i ^ (1 << b)) for i in range(n) for b in range(dim) if i < i ^ (1 << b))
    return _weighted(f"hypercube[dim={dim}]", _graph(n, edges), weights, "uniform")


def exponential(n: int, weights: str = "uniform") -> Topology:
    r"""Undirected exponential graph on ``n >= 1`` nodes: ``i ~ i +- 2**k (mod n)`` for ``2**k < n``.

    .. math:: W_{ij} = \frac{1}{1 + \deg}\ (i \sim j),\qquad W_{ii} = \frac{1}{1 + \deg}\ \text{(regular graph)}

    Gossip step of every decentralized algorithm: :math:`x_i \leftarrow \sum_j W_{ij} x_j`.

    Parameters
    ----------
    n : int
        Number of nodes (>= 1).
    weights : {"uniform", "metropolis_hastings", "max_degree"}, optional
        Weighting of the edges (see the module docstring).
        A circulant, hence regular graph (degree about ``2 log2 n``): all weightings
        coincide.

    Returns
    -------
    Topology
        The graph, its validated mixing matrix :math:`W`, the CSR form and the certified
        spectrum (``slem``, ``spectral_gap``, ``mu_W``, ``beta``).

    References
    ----------
    Assran et al. 2019, Ying et al. 2021 (the directed ``i -> i + 2**k``; this is their
    symmetrisation, as a symmetric W is required); docs/topology.md.
    """
    n = check_int(n, "n", low=1)
    _check_size(n, "n")
    offsets = []
    k = 1
    while k < n:
        offsets.append(k)
        k *= 2
    edges = ((i, (i + s) % n) for i in range(n) for s in offsets)
    return _weighted(f"exponential[n={n}]", _graph(n, edges), weights, "uniform")


def erdos_renyi(n: int, p: float, seed: int, weights: str = "metropolis_hastings", *,
                max_tries: int = 100) -> Topology:
    r"""Erdős–Rényi ``G(n, p)`` graph, conditioned on being connected.

    .. math:: \Pr[\{i, j\} \in E] = p\ \text{independently};\quad W_{ij} = \frac{1}{1 + \max(\deg_i, \deg_j)}

    Gossip step of every decentralized algorithm: :math:`x_i \leftarrow \sum_j W_{ij} x_j`.

    Parameters
    ----------
    n : int
        Number of nodes.
    p : float
        Edge probability in (0, 1] (connectivity needs about ``p > ln(n)/n``).
    seed : int
        Each attempt draws ``rng.random(n(n-1)/2) < p`` (``rng = default_rng(seed)``) for the
        pairs of ``numpy.triu_indices(n, 1)``; the first connected draw is returned, so the
        graph depends on ``(n, p, seed)`` only.
    weights : {"uniform", "metropolis_hastings", "max_degree"}, optional
        Weighting of the edges (see the module docstring).
    max_tries : int, optional
        Attempts before raising.

    Returns
    -------
    Topology
        The graph, its validated mixing matrix :math:`W`, the CSR form and the certified
        spectrum (``slem``, ``spectral_gap``, ``mu_W``, ``beta``).

    References
    ----------
    Erdős and Rényi 1959; Xiao and Boyd 2004 (the weights); docs/topology.md.
    """
    n = check_int(n, "n", low=1)
    _check_size(n, "n")
    p = check_real(p, "p", low=0.0, high=1.0, low_open=True)
    seed = check_seed(seed)
    max_tries = check_int(max_tries, "max_tries", low=1)
    rng = np.random.default_rng(seed)
    iu, ju = np.triu_indices(n, 1)
    for _ in range(max_tries):
        keep = rng.random(iu.size) < p
        G = _graph(n, zip(iu[keep], ju[keep]))
        if n == 1 or nx.is_connected(G):
            return _weighted(f"erdos_renyi[n={n},p={p!r},seed={seed}]", G, weights,
                             "metropolis_hastings")
    raise TheorytoolsError(
        f"p = {p!r} gave no connected G(n={n}, p) graph in max_tries = {max_tries} draws "
        f"from seed {seed}; increase p (connectivity needs about p > ln(n)/n = "
        f"{math.log(n) / n:.3g}) or max_tries")


def random_regular(n: int, degree: int, seed: int, weights: str = "uniform", *,
                   max_tries: int = 10000) -> Topology:
    r"""Random ``degree``-regular graph on ``n`` nodes (a random expander), conditioned on
    being simple and connected.

    .. math:: \deg_i = d\ \forall i;\quad W = \frac{I + A}{d + 1}

    Pairing (configuration) model with rejection: ``rng = numpy.random.default_rng(seed)``;
    each attempt lays out the ``n * degree`` half-edges ``[0]*degree + [1]*degree + ...``,
    permutes them with ``rng.permutation`` and pairs consecutive entries; the first attempt
    with no self-loop, no repeated edge and a connected graph is returned. Conditioned on
    simplicity this is the uniform distribution on simple ``degree``-regular graphs; the graph
    is a deterministic function of ``(n, degree, seed)``, independent of the networkx version.
    An attempt is simple with probability about ``exp(-(degree**2 - 1)/4)``, so the rule is
    practical for ``degree <= 5``. The graph is regular, so all weightings coincide. Random
    ``d``-regular graphs with ``d >= 3`` are expanders with high probability
    (:math:`\lambda_2(A) \le 2\sqrt{d - 1} + o(1)`, Friedman 2008); the spectral quantities
    here are the certified ones of the drawn graph, not that asymptotic statement.

    Parameters
    ----------
    n : int
        Number of nodes, ``n >= 2``.
    degree : int
        Degree of every node, ``1 <= degree < n``, with ``n * degree`` even (``degree = 1``
        is a matching: connected only for ``n = 2``).
    seed : int
        Seed of ``numpy.random.default_rng`` for the pairing attempts.
    weights : {"uniform", "metropolis_hastings", "max_degree"}, optional
        Weighting of the edges (identical here: the graph is regular).
    max_tries : int, optional
        Attempts before raising a :class:`TheorytoolsError`.

    Returns
    -------
    Topology
        The graph ``random_regular[n=...,degree=...,seed=...]``, its mixing matrix, the CSR
        form and the certified spectrum (``slem``, ``spectral_gap``, ``mu_W``, ``beta``).

    References
    ----------
    Bollobás 1980 and Wormald, "Models of random regular graphs", 1999, §2 (pairing model,
    probability of simplicity); Friedman 2008 (expansion); docs/topology.md.
    """
    n = check_int(n, "n", low=2)
    _check_size(n, "n")
    degree = check_int(degree, "degree", low=1, high=n - 1)
    if (n * degree) % 2:
        raise TheorytoolsError(f"n * degree must be even for a regular graph, got n = {n}, "
                               f"degree = {degree}")
    seed = check_int(seed, "seed", low=0)
    max_tries = check_int(max_tries, "max_tries", low=1)
    rng = np.random.default_rng(seed)
    stubs = np.repeat(np.arange(n, dtype=np.int64), degree)
    for _ in range(max_tries):
        pairs = rng.permutation(stubs).reshape(-1, 2)
        if np.any(pairs[:, 0] == pairs[:, 1]):
            continue
        lo, hi = np.minimum(pairs[:, 0], pairs[:, 1]), np.maximum(pairs[:, 0], pairs[:, 1])
        if np.unique(lo * n + hi).size != lo.size:
            continue
        G = _graph(n, zip(lo, hi))
        if nx.is_connected(G):
            return _weighted(f"random_regular[n={n},degree={degree},seed={seed}]", G,
                             weights, "uniform")
    raise TheorytoolsError(
        f"degree = {degree} gave no simple connected regular graph on n = {n} nodes in "
        f"max_tries = {max_tries} pairing-model draws from seed {seed}; increase max_tries "
        f"or use degree <= 5 (an attempt is simple with probability about "
        f"exp(-(degree^2 - 1)/4) = {math.exp(-(degree ** 2 - 1) / 4):.2g})")


def _relabelled(G, name: str) -> nx.Graph:
    """A simple undirected copy of ``G`` on ``0..n-1`` (``list(G)`` order), without self-loops."""
    if not isinstance(G, nx.Graph):
        raise TheorytoolsError(f"{name} must be a networkx.Graph, got {_short(G)}")
    if G.is_directed():
        raise TheorytoolsError(f"{name} must be undirected (W must be symmetric), got a "
                               f"{type(G).__name__}")
    if G.is_multigraph():
        raise TheorytoolsError(f"{name} must be a simple graph, got a {type(G).__name__}")
    n = G.number_of_nodes()
    if n < 1:
        raise TheorytoolsError(f"{name} must have n >= 1 nodes, got an empty graph")
    _check_size(n, name)
    index = {v: k for k, v in enumerate(G)}
    return _graph(n, ((index[u], index[v]) for u, v in G.edges()))


def from_networkx(G: nx.Graph, weights: str = "metropolis_hastings") -> Topology:
    r"""Topology of any undirected simple networkx graph ``G`` (connected, ``n >= 1``).

    .. math:: W_{ij} = \frac{1}{1 + \max(\deg_i, \deg_j)}\ (i \sim j),\qquad W_{ii} = 1 - \sum_{j \ne i} W_{ij}

    Gossip step of every decentralized algorithm: :math:`x_i \leftarrow \sum_j W_{ij} x_j`.

    Parameters
    ----------
    G : networkx.Graph
        Node ``k`` of the topology is ``list(G)[k]``; self-loops and edge attributes are
        ignored (for your own weights use ``from_matrix(W, graph=G)``).
    weights : {"uniform", "metropolis_hastings", "max_degree"}, optional
        Weighting of the edges (see the module docstring).

    Returns
    -------
    Topology
        The graph, its validated mixing matrix :math:`W`, the CSR form and the certified
        spectrum (``slem``, ``spectral_gap``, ``mu_W``, ``beta``).

    References
    ----------
    Xiao and Boyd 2004 (the weights); docs/topology.md.
    """
    graph = _relabelled(G, "G")
    _check_connected(graph, "G")
    name = f"networkx[n={graph.number_of_nodes()},edges={graph.number_of_edges()}]"
    return _weighted(name, graph, weights, "metropolis_hastings")


def from_matrix(W: np.ndarray, graph: nx.Graph | None = None, *,
                atol: float = DEFAULT_ATOL) -> Topology:
    r"""Topology of a user mixing matrix ``W`` (``weights = "user"``), fully validated.

    .. math:: W = W^\top \ge 0,\qquad W\mathbf 1 = \mathbf 1,\qquad \lambda_n(W) > -1

    Gossip step of every decentralized algorithm: :math:`x_i \leftarrow \sum_j W_{ij} x_j`.

    Parameters
    ----------
    W : numpy.ndarray
        Checked by :func:`validate_mixing_matrix`.
    graph : networkx.Graph or None, optional
        Nodes exactly ``0..n-1``; ``W_ij != 0`` (i != j) must hold exactly on its edges.
        Default: the off-diagonal nonzero pattern of ``W``.
    atol : float, optional
        Tolerance of the stochasticity and symmetry checks.

    Returns
    -------
    Topology
        The graph, its validated mixing matrix :math:`W`, the CSR form and the certified
        spectrum (``slem``, ``spectral_gap``, ``mu_W``, ``beta``).

    References
    ----------
    docs/topology.md (the mixing-matrix assumptions of Tang et al. 2018 and Koloskova et al. 2019).
    """
    W = validate_mixing_matrix(W, "W", atol=atol)
    n = W.shape[0]
    support = W != 0
    np.fill_diagonal(support, False)
    if graph is None:
        G = _graph(n, zip(*np.nonzero(np.triu(support))))
        _check_connected(G, "W")
    else:
        if not isinstance(graph, nx.Graph) or graph.is_directed() or graph.is_multigraph():
            raise TheorytoolsError(f"graph must be an undirected simple networkx.Graph, got "
                                   f"{_short(graph)}")
        if set(graph.nodes) != set(range(n)):
            raise TheorytoolsError(f"graph must have the nodes 0..{n - 1} of W (n = {n}), got "
                                   f"{_short(sorted(graph.nodes, key=repr))}")
        G = _graph(n, graph.edges())
        adjacency = nx.to_numpy_array(G, nodelist=range(n), weight=None) != 0
        diff = np.argwhere(np.triu(adjacency != support))
        if diff.size:
            i, j = (int(v) for v in diff[0])
            if support[i, j]:
                raise TheorytoolsError(
                    f"W does not match graph: W[{i}, {j}] = {float(W[i, j])!r} but graph has no "
                    f"edge ({i}, {j})")
            raise TheorytoolsError(
                f"W does not match graph: W[{i}, {j}] = 0.0 on the graph edge ({i}, {j}); a "
                f"zero weight on an edge is refused (drop the edge or give it a weight)")
        _check_connected(G, "graph")
    return _build(f"matrix[n={n}]", G, W, "user", what="W")


# --------------------------------------------------------------------------- derived numbers

def tang_dcd_alpha_max(top: Topology) -> float:
    r"""Largest compression noise ratio allowed by Tang et al.'s DCD-PSGD condition.

    .. math:: \alpha_{\max} = \frac{1 - \mathrm{slem}}{2\sqrt2\,\mu_W},

    the sufficient condition :math:`\alpha \le (1 - \rho)/(2\sqrt2\mu)` with
    :math:`\rho` = slem and :math:`\mu = \mu_W`. Status **[UNCONFIRMED]**: the constant and the
    definitions of :math:`\rho` and :math:`\mu` have not been checked against the paper's text;
    it is a parameter, never asserted as the paper's. Sufficient and very conservative (about
    500x below the exact mean-square threshold in :math:`\alpha^2` on the ring of 8; 9x on the
    complete graph of 8, see docs/theorems.md).

    Parameters
    ----------
    top : Topology
        Gives ``slem`` and ``mu_W``.

    Returns
    -------
    float
        :math:`\alpha_{\max}`; ``inf`` for one node (:math:`\mu_W = 0`).

    References
    ----------
    Tang, Gan, Zhang, Zhang, Liu, "Communication Compression for Decentralized Training",
    NeurIPS 2018 (arXiv 1803.06443), Theorem 1 (condition; unconfirmed reading).
    """
    if top.mu_W == 0.0:
        return math.inf
    return (1.0 - top.slem) / (2.0 * math.sqrt(2.0) * top.mu_W)


def consensus_rate(top: Topology, rounds: int = 1) -> float:
    r"""Worst-case contraction of the consensus error after ``rounds`` gossip rounds.

    .. math:: \max_x \frac{\|(W^t - J)x\|}{\|x\|} = \|W^t - J\|_2 = \mathrm{slem}^t

    for symmetric doubly stochastic W (derived here: :math:`W - J` is symmetric with
    eigenvalues :math:`\lambda_2..\lambda_n` and 0, and :math:`W^t - J = (W - J)^t`). The
    mean-square version is ``slem_sq**t``.

    Parameters
    ----------
    top : Topology
        Gives ``slem``.
    rounds : int, optional
        Number of gossip rounds t (>= 0).

    Returns
    -------
    float
        :math:`\mathrm{slem}^t`.

    References
    ----------
    Boyd, Ghosh, Prabhakar, Shah, "Randomized gossip algorithms", IEEE Trans. IT 2006 (the
    spectral rate); docs/topology.md.
    """
    rounds = check_int(rounds, "rounds", low=0)
    return top.slem ** rounds


# --------------------------------------------------------------------------- closed forms

def ring_eigenvalues(n: int) -> np.ndarray:
    r"""[DERIVED] Eigenvalues of the uniform ring W (1/3 on the diagonal and both neighbours).

    .. math:: \lambda_k = \tfrac13 + \tfrac23\cos(2\pi k/n),\qquad k = 0, \dots, n-1,

    Parameters
    ----------
    n : int
        Number of nodes (>= 3).

    Returns
    -------
    numpy.ndarray
        The n eigenvalues, descending.

    References
    ----------
    Derived here: :math:`W = (I + S + S^\top)/3` with S the cyclic shift, whose eigenvalues
    are the n-th roots of unity; tests/test_topology.py.
    """
    n = check_int(n, "n", low=3)
    k = np.arange(n)
    return np.sort(1.0 / 3.0 + (2.0 / 3.0) * np.cos(2.0 * np.pi * k / n))[::-1]


def torus_eigenvalues(rows: int, cols: int) -> np.ndarray:
    r"""[DERIVED] Eigenvalues of the uniform torus W (1/5).

    .. math:: \lambda_{jk} = \tfrac15 + \tfrac25\big(\cos(2\pi j/rows) + \cos(2\pi k/cols)\big)

    Parameters
    ----------
    rows : int
        Rows (>= 3).
    cols : int
        Columns (>= 3).

    Returns
    -------
    numpy.ndarray
        The n eigenvalues, descending.

    References
    ----------
    Derived here (Kronecker sum of two cycles); tests/test_topology.py.
    """
    rows = check_int(rows, "rows", low=3)
    cols = check_int(cols, "cols", low=3)
    a = np.cos(2.0 * np.pi * np.arange(rows) / rows)
    b = np.cos(2.0 * np.pi * np.arange(cols) / cols)
    return np.sort((1.0 / 5.0 + (2.0 / 5.0) * (a[:, None] + b[None, :])).ravel())[::-1]


def complete_eigenvalues(n: int) -> np.ndarray:
    r"""[DERIVED] Eigenvalues of ``W = J``.

    .. math:: \lambda = (1, 0, \dots, 0)\ \text{(0 with multiplicity } n - 1)

    Parameters
    ----------
    n : int
        Number of nodes (>= 1).

    Returns
    -------
    numpy.ndarray
        The n eigenvalues, descending.

    References
    ----------
    Derived here (J is the projection on the constants); tests/test_topology.py.
    """
    n = check_int(n, "n", low=1)
    out = np.zeros(n)
    out[0] = 1.0
    return out


def hypercube_eigenvalues(dim: int) -> np.ndarray:
    r"""[DERIVED] Eigenvalues of the uniform hypercube ``W = (I + A)/(dim + 1)``.

    .. math:: \lambda = 1 - \frac{2k}{dim + 1}\ \text{with multiplicity}\ \tbinom{dim}{k}

    Parameters
    ----------
    dim : int
        Dimension (>= 0).

    Returns
    -------
    numpy.ndarray
        The n eigenvalues, descending.

    References
    ----------
    Derived here (A has eigenvalues dim - 2k); tests/test_topology.py.
    """
    dim = check_int(dim, "dim", low=0)
    vals = [1.0 - 2.0 * k / (dim + 1) for k in range(dim + 1) for _ in range(math.comb(dim, k))]
    return np.array(vals)


class EigenvalueComparison(NamedTuple):
    """Computed spectrum against a closed form: ``max_abs_error <= atol`` is the verdict."""

    max_abs_error: float
    atol: float
    passed: bool


def compare_eigenvalues(top: Topology, expected: np.ndarray,
                        atol: float = 1e-12) -> EigenvalueComparison:
    r"""Compare ``top.eigenvalues`` with a closed-form spectrum ``expected`` (any order).

    .. math:: \mathrm{err} = \max_k |\lambda_k^{\downarrow}(W) - e_k^{\downarrow}|,\qquad
              \text{passed} \iff \mathrm{err} \le \mathrm{atol},

    both sorted descending; a length mismatch is a failure with ``max_abs_error = inf``.

    Parameters
    ----------
    top : Topology
        The computed spectrum.
    expected : numpy.ndarray
        The closed form.
    atol : float, optional
        Absolute tolerance.

    Returns
    -------
    EigenvalueComparison
        ``(max_abs_error, atol, passed)``.

    References
    ----------
    docs/topology.md ("Accuracy").
    """
    atol = check_real(atol, "atol", low=0.0)
    try:
        exp = np.sort(np.asarray(expected, dtype=np.float64).ravel())[::-1]
    except (TypeError, ValueError) as exc:
        raise TheorytoolsError(f"expected must be a real vector, got {_short(expected)}") from exc
    if exp.size != top.n or not np.all(np.isfinite(exp)):
        return EigenvalueComparison(math.inf, atol, False)
    err = float(np.max(np.abs(top.eigenvalues - exp)))
    return EigenvalueComparison(err, atol, err <= atol)


# --------------------------------------------------------------------------- derived spectral numbers (docs/sources.md#derived) table

def spectral_table() -> list:
    r"""The spectral numbers of six reference topologies, computed from the code.

    One row per graph (ring 8/16/32, torus 4x4/6x6, complete 8) with
    :math:`\lambda_2`, :math:`\lambda_n`, slem :math:`= \max(|\lambda_2|, |\lambda_n|)`,
    spectral gap :math:`1 - \mathrm{slem}`, :math:`\mu_W`, and
    :math:`\alpha_{\max} = (1 - \mathrm{slem})/(2\sqrt2\mu_W)` ([UNCONFIRMED] as the paper's).

    Returns
    -------
    list
        Dicts with the keys ``graph, lambda2, lambda_n, slem, spectral_gap, mu_W, alpha_max,
        alpha_max_sq``.

    References
    ----------
    Tang et al. 2018, Theorem 1 (:func:`tang_dcd_alpha_max`); docs/topology.md.
    """
    tops = [("ring 8", ring(8)), ("ring 16", ring(16)), ("ring 32", ring(32)),
            ("torus 4x4", torus(4, 4)), ("torus 6x6", torus(6, 6)), ("complete 8", complete(8))]
    rows = []
    for label, top in tops:
        a = tang_dcd_alpha_max(top)
        rows.append({"graph": label, "lambda2": top.lambda2, "lambda_n": top.lambda_n,
                     "slem": top.slem, "spectral_gap": top.spectral_gap, "mu_W": top.mu_W,
                     "alpha_max": a, "alpha_max_sq": a * a})
    return rows


def format_spectral_table() -> str:
    r"""Markdown of :func:`spectral_table` (4 decimals; :math:`\alpha_{\max}^2` to 2-3
    significant digits): the block of ``docs/topology.md`` between the GENERATED markers.

    Returns
    -------
    str
        The Markdown table.

    References
    ----------
    docs/topology.md.
    """
    head = ("| graph | lambda_2 | lambda_n | slem | spectral_gap | mu_W "
            "| tang_dcd_alpha_max [UNCONFIRMED] | alpha_max^2 |\n"
            "|---|---|---|---|---|---|---|---|\n")

    def f4(x):
        text = f"{x:.4f}"
        return "0.0000" if text == "-0.0000" else text

    def sig2(x):  # as the derived table prints it: 0.125, 2.7e-3
        if x >= 0.01:
            return f"{x:.3g}"
        mantissa, exponent = f"{x:.1e}".split("e")
        return f"{mantissa}e{int(exponent)}"

    lines = [f"| {r['graph']} | {f4(r['lambda2'])} | {f4(r['lambda_n'])} | {f4(r['slem'])} "
             f"| {f4(r['spectral_gap'])} | {f4(r['mu_W'])} | {f4(r['alpha_max'])} "
             f"| {sig2(r['alpha_max_sq'])} |" for r in spectral_table()]
    return head + "\n".join(lines) + "\n"


if __name__ == "__main__":  # python -m theorytools.topology: print the derived spectral numbers (docs/sources.md#derived) table
    print(format_spectral_table(), end="")
