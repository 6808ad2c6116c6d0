"""Tests of theorytools.topology: derived spectral numbers (docs/sources.md#derived) numbers, closed forms, contract, validation."""
from __future__ import annotations

import dataclasses
import math
import re
from decimal import Decimal
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
import scipy.sparse
from hypothesis import given
from hypothesis import strategies as st

from theorytools.errors import TheorytoolsError
from theorytools.topology import (MAX_NODES, compare_eigenvalues, complete, complete_eigenvalues,
                                  consensus_rate, erdos_renyi, exponential, format_spectral_table,
                                  from_matrix, from_networkx, grid2d, hypercube,
                                  hypercube_eigenvalues, max_degree_weights,
                                  metropolis_hastings_weights, ring, ring_eigenvalues,
                                  spectral_table, star, tang_dcd_alpha_max, torus,
                                  torus_eigenvalues, validate_mixing_matrix)

DOC = Path(__file__).resolve().parent.parent / "docs" / "topology.md"

# ----------------------------------------------------------------------------- derived spectral numbers (docs/sources.md#derived)

# The table of derived spectral numbers (docs/sources.md#derived) exactly as printed there ([DERIVED], so it may be asserted). Columns:
# lambda_2, lambda_n, slem, gap, mu_W, Tang's alpha_max, alpha_max^2. alpha_max is asserted only
# as the value of the formula (1 - slem)/(2 sqrt2 mu_W), never as the paper's (UNCONFIRMED).
SPEC_4_1 = {
    "ring 8": ("0.8047", "-0.3333", "0.8047", "0.1953", "1.3333", "0.0518", "2.7e-3"),
    "ring 16": ("0.9493", "-0.3333", "0.9493", "0.0507", "1.3333", "0.0135", "1.8e-4"),
    "ring 32": ("0.9872", "-0.3333", "0.9872", "0.0128", "1.3333", "0.0034", "1.2e-5"),
    "torus 4x4": ("0.6", "-0.6", "0.6", "0.4", "1.6", "0.0884", "7.8e-3"),
    "torus 6x6": ("0.8", "-0.6", "0.8", "0.2", "1.6", "0.0442", "2.0e-3"),
    "complete 8": ("0", "0", "0", "1", "1", "0.3536", "0.125"),
}
SPEC_TOPOLOGIES = {"ring 8": lambda: ring(8), "ring 16": lambda: ring(16),
                   "ring 32": lambda: ring(32), "torus 4x4": lambda: torus(4, 4),
                   "torus 6x6": lambda: torus(6, 6), "complete 8": lambda: complete(8)}


def half_unit(printed: str) -> float:
    """Half a unit in the last printed digit: '0.8047' -> 5e-5, '2.7e-3' -> 5e-5, '0' -> 0.5."""
    return 0.5 * 10.0 ** Decimal(printed).as_tuple().exponent


def test_half_unit():
    assert half_unit("0.8047") == pytest.approx(5e-5)
    assert half_unit("2.7e-3") == pytest.approx(5e-5)
    assert half_unit("0.6") == pytest.approx(0.05)
    assert half_unit("0") == pytest.approx(0.5)
    assert half_unit("0.125") == pytest.approx(5e-4)


@pytest.mark.parametrize("label", list(SPEC_4_1))
def test_spec_4_1_table_to_printed_precision(label):
    top = SPEC_TOPOLOGIES[label]()
    alpha = tang_dcd_alpha_max(top)
    computed = (top.lambda2, top.lambda_n, top.slem, top.spectral_gap, top.mu_W, alpha,
                alpha * alpha)
    for printed, value in zip(SPEC_4_1[label], computed):
        assert abs(value - float(printed)) <= half_unit(printed), (label, printed, value)


def test_spec_table_function_matches_topologies():
    rows = spectral_table()
    assert [r["graph"] for r in rows] == list(SPEC_4_1)
    for r in rows:
        top = SPEC_TOPOLOGIES[r["graph"]]()
        assert r["slem"] == top.slem and r["mu_W"] == top.mu_W
        assert r["alpha_max"] == tang_dcd_alpha_max(top)


def test_doc_table_is_generated_from_code():
    text = DOC.read_text()
    block = re.search(r"<!-- BEGIN GENERATED TABLE -->\n(.*?)<!-- END GENERATED TABLE -->",
                      text, re.S)
    assert block, "docs/topology.md lacks the generated table markers"
    assert block.group(1) == format_spectral_table(), \
        "docs/topology.md is stale: paste `python -m theorytools.topology` between the markers"


# ----------------------------------------------------------------------------- closed forms

@pytest.mark.parametrize("n", [3, 4, 5, 8, 13, 16, 32, 64])
def test_ring_closed_form(n):
    top = ring(n)
    check = compare_eigenvalues(top, ring_eigenvalues(n))
    assert check.passed, check
    k = np.arange(n)
    direct = 1 / 3 + 2 / 3 * np.cos(2 * np.pi * k / n)
    assert compare_eigenvalues(top, direct).passed


@pytest.mark.parametrize("rows,cols", [(3, 3), (3, 5), (4, 4), (6, 6), (5, 8)])
def test_torus_closed_form(rows, cols):
    assert compare_eigenvalues(torus(rows, cols), torus_eigenvalues(rows, cols)).passed


@pytest.mark.parametrize("n", [1, 2, 3, 8, 17])
def test_complete_closed_form(n):
    top = complete(n)
    assert np.array_equal(top.W, np.full((n, n), 1.0 / n))
    assert compare_eigenvalues(top, complete_eigenvalues(n)).passed
    if n >= 2:
        assert top.slem < 1e-12 and abs(top.mu_W - 1) < 1e-12 and abs(top.beta - 1) < 1e-12
        assert abs(top.spectral_gap - 1) < 1e-12


@pytest.mark.parametrize("dim", range(0, 8))
def test_hypercube_closed_form(dim):
    top = hypercube(dim)
    assert top.n == 2 ** dim and top.num_edges == dim * 2 ** max(dim - 1, 0) * (dim > 0)
    assert compare_eigenvalues(top, hypercube_eigenvalues(dim)).passed


@pytest.mark.parametrize("n", [2, 3, 6, 8, 11, 16, 33])
def test_exponential_is_circulant_with_closed_form(n):
    top = exponential(n)
    offsets = sorted({s % n for k in range(n.bit_length()) if 2 ** k < n
                      for s in (2 ** k, -2 ** k)})
    assert list(top.neighbors(0)) == offsets
    w = 1.0 / (len(offsets) + 1)
    m = np.arange(n)
    expected = w + w * sum(np.cos(2 * np.pi * m * s / n) for s in offsets)
    assert compare_eigenvalues(top, expected).passed


def test_planted_wrong_formula_fails_the_closed_form_check():
    n = 8
    k = np.arange(n)
    wrong = 1 / 3 + 2 / 3 * np.cos(np.pi * k / n)  # pi instead of 2 pi
    check = compare_eigenvalues(ring(n), wrong)
    assert not check.passed and check.max_abs_error > 0.1
    wrong_cube = [1 - 2 * k / 3 for k in range(4) for _ in range(math.comb(3, k))]  # dim not dim+1
    assert not compare_eigenvalues(hypercube(3), wrong_cube).passed
    assert not compare_eigenvalues(ring(8), ring_eigenvalues(9)).passed  # wrong length
    # tolerance is honoured: a 1e-9 perturbation fails at 1e-12, passes at 1e-8
    nudged = ring_eigenvalues(8) + 1e-9
    assert not compare_eigenvalues(ring(8), nudged).passed
    assert compare_eigenvalues(ring(8), nudged, atol=1e-8).passed


# ----------------------------------------------------------------------------- contract

def _factories():
    weights = st.sampled_from(["uniform", "metropolis_hastings", "max_degree"])
    return st.one_of(
        st.builds(ring, st.integers(3, 40), weights),
        st.builds(torus, st.integers(3, 7), st.integers(3, 7), weights),
        st.builds(grid2d, st.integers(1, 7), st.integers(1, 7), weights),
        st.builds(complete, st.integers(1, 30), weights),
        st.builds(star, st.integers(1, 30), weights),
        st.builds(hypercube, st.integers(0, 6), weights),
        st.builds(exponential, st.integers(1, 40), weights),
        st.builds(erdos_renyi, st.integers(1, 30), st.floats(0.3, 1.0), st.integers(0, 2 ** 32),
                  weights),
        st.builds(lambda n, s: from_networkx(nx.random_labeled_tree(n, seed=s)),
                  st.integers(1, 30), st.integers(0, 1000)),
        st.builds(lambda n, s: from_matrix(metropolis_hastings_weights(
            nx.random_labeled_tree(n, seed=s))), st.integers(1, 30), st.integers(0, 1000)),
    )


def assert_topology_contract(top):
    n, W = top.n, top.W
    assert W.shape == (n, n) and W.dtype == np.float64
    assert np.array_equal(W, W.T)
    assert np.all(W >= 0)
    assert np.allclose(W.sum(axis=0), 1, rtol=0, atol=1e-12)
    assert np.allclose(W.sum(axis=1), 1, rtol=0, atol=1e-12)
    G = top.graph
    assert sorted(G.nodes) == list(range(n)) and nx.number_of_selfloops(G) == 0
    assert n == 1 or nx.is_connected(G)
    off = W != 0
    np.fill_diagonal(off, False)
    assert np.array_equal(off, nx.to_numpy_array(G, nodelist=range(n), weight=None) != 0)
    # CSR: diagonal + edges, sorted columns, equal to W
    assert top.indptr.dtype == np.int64 and top.indices.dtype == np.int64
    assert top.data.dtype == np.float64 and top.indptr.shape == (n + 1,)
    csr = scipy.sparse.csr_matrix((top.data, top.indices, top.indptr), shape=(n, n))
    assert np.array_equal(csr.toarray(), W)
    assert top.indptr[-1] == n + 2 * top.num_edges
    for i in range(n):
        row = top.indices[top.indptr[i]:top.indptr[i + 1]]
        assert np.all(np.diff(row) > 0) and i in row
        assert list(top.neighbors(i)) == sorted(G[i])
    # spectrum
    ev = top.eigenvalues
    assert ev.shape == (n,) and np.all(np.diff(ev) <= 0)
    assert abs(ev[0] - 1) <= 1e-12
    assert np.allclose(ev, np.sort(np.linalg.eigvals(W).real)[::-1], atol=1e-10)
    assert top.slem < 1 and 0 < top.spectral_gap <= 1
    assert top.slem == max(abs(top.lambda2), abs(top.lambda_n))
    assert top.slem_sq == top.slem ** 2
    assert top.spectral_gap == 1 - abs(top.lambda2)
    assert abs(top.beta - top.mu_W) <= 1e-12  # ||I - W||_2 = mu_W for symmetric stochastic W
    assert abs(top.beta - np.linalg.norm(np.eye(n) - W, 2)) <= 1e-10
    if n >= 2:
        assert top.lambda2 == ev[1] and top.lambda_n == ev[-1]
        assert top.mu_W == max(abs(ev[1:] - 1))
        assert abs(np.linalg.norm(W - np.full((n, n), 1 / n), 2) - top.slem) <= 1e-10
    # degrees and messages
    assert top.degrees.dtype == np.int64
    assert list(top.degrees) == [G.degree(i) for i in range(n)]
    assert top.max_degree == max(top.degrees) and top.num_edges == G.number_of_edges()
    assert top.messages_per_round() == 2 * top.num_edges == int(top.degrees.sum())
    # immutability
    for arr in (W, top.indptr, top.indices, top.data, top.eigenvalues, top.degrees):
        assert not arr.flags.writeable
    assert nx.is_frozen(G)
    assert re.fullmatch(r"[a-z_0-9]+\[[^\]]*\]", top.name)


@given(_factories())
def test_every_factory_satisfies_the_contract(top):
    assert_topology_contract(top)


def test_topology_is_frozen():
    top = ring(5)
    with pytest.raises(dataclasses.FrozenInstanceError):
        top.slem = 0.0
    with pytest.raises(ValueError):
        top.W[0, 0] = 1.0
    with pytest.raises(nx.NetworkXError):
        top.graph.add_edge(0, 2)
    assert "ring[n=5]" in repr(top)


# ----------------------------------------------------------------------------- weightings

def test_uniform_weights_exact():
    W = ring(7).W
    assert W[0, 0] == W[0, 1] == W[0, 6] == 1 / 3 and W[0, 3] == 0
    T = torus(4, 5).W
    assert T[0, 0] == T[0, 1] == T[0, 4] == T[0, 5] == T[0, 15] == 1 / 5
    for weights in ("uniform", "metropolis_hastings", "max_degree"):
        assert np.array_equal(ring(9, weights).W, ring(9).W)  # regular: all coincide
        assert np.array_equal(complete(6, weights).W, np.full((6, 6), 1 / 6))


def test_metropolis_hastings_on_a_path():
    # path 0-1-2: degrees 1, 2, 1: W_01 = W_12 = 1/3
    W = metropolis_hastings_weights(nx.path_graph(3))
    expected = np.array([[2 / 3, 1 / 3, 0], [1 / 3, 1 / 3, 1 / 3], [0, 1 / 3, 2 / 3]])
    assert np.allclose(W, expected, atol=1e-15, rtol=0)
    # star: 1/n everywhere on the centre's row
    s = star(5)
    assert np.allclose(s.W[0], 0.2) and np.allclose(np.diag(s.W)[1:], 0.8)


def test_max_degree_on_a_grid():
    g = grid2d(3, 3, "max_degree")
    assert g.name == "grid2d[rows=3,cols=3,weights=max_degree]"
    off = g.W[~np.eye(9, dtype=bool)]
    assert set(off[off > 0]) == {1 / 5}
    assert g.W[0, 0] == 3 / 5 and g.W[4, 4] == 1 / 5  # corner degree 2, centre degree 4
    assert np.array_equal(grid2d(3, 3, "uniform").W, g.W)
    assert np.array_equal(max_degree_weights(nx.cycle_graph(5)), ring(5).W)


def test_from_networkx_relabels_and_drops_self_loops():
    G = nx.grid_2d_graph(3, 4)  # tuple labels
    G.add_edge((0, 0), (0, 0))
    top = from_networkx(G)
    assert top.name == "networkx[n=12,edges=17]" and top.weights == "metropolis_hastings"
    assert compare_eigenvalues(top, grid2d(3, 4).eigenvalues).passed
    assert_topology_contract(from_networkx(nx.petersen_graph(), "uniform"))


def test_from_matrix_with_and_without_graph():
    W = ring(6, "metropolis_hastings").W
    a = from_matrix(W)
    b = from_matrix(W, graph=nx.cycle_graph(6))
    assert a.weights == b.weights == "user" and a.name == "matrix[n=6]"
    assert nx.utils.graphs_equal(a.graph, b.graph)
    lazy = 0.5 * (np.eye(6) + W)  # lazy gossip: same graph
    assert compare_eigenvalues(from_matrix(lazy), (1 + ring_eigenvalues(6)) / 2).passed
    # a 1e-13 asymmetry is within atol and symmetrised
    V = np.array(W)
    V[0, 1] += 1e-13
    V[0, 0] -= 1e-13
    assert np.array_equal(from_matrix(V).W, from_matrix(V).W.T)
    # a zero diagonal is allowed when lambda_n > -1 (triangle with 1/2 off-diagonal)
    tri = from_matrix((np.ones((3, 3)) - np.eye(3)) / 2)
    assert tri.W[0, 0] == 0 and tri.data[0] == 0 and tri.lambda_n == pytest.approx(-0.5)


def test_erdos_renyi_deterministic_retry_rule():
    a, b = erdos_renyi(12, 0.25, seed=4), erdos_renyi(12, 0.25, seed=4)
    assert np.array_equal(a.W, b.W) and a.name == "erdos_renyi[n=12,p=0.25,seed=4]"
    # the documented rule, re-implemented: the first connected draw of default_rng(seed)
    rng = np.random.default_rng(4)
    iu, ju = np.triu_indices(12, 1)
    draws = 0
    while True:
        keep = rng.random(iu.size) < 0.25
        draws += 1
        G = nx.Graph()
        G.add_nodes_from(range(12))
        G.add_edges_from(zip(iu[keep].tolist(), ju[keep].tolist()))
        if nx.is_connected(G):
            break
    assert draws == 5  # this seed exercises the retry
    assert nx.utils.graphs_equal(a.graph, G)
    assert not np.array_equal(erdos_renyi(12, 0.5, seed=4).W, erdos_renyi(12, 0.5, seed=5).W)


# ----------------------------------------------------------------------------- derived numbers

def test_tang_alpha_max_formula_and_one_node():
    top = ring(8)
    assert tang_dcd_alpha_max(top) == (1 - top.slem) / (2 * math.sqrt(2) * top.mu_W)
    assert tang_dcd_alpha_max(complete(1)) == math.inf


@pytest.mark.parametrize("make", [lambda: ring(8), lambda: torus(4, 4), lambda: star(6),
                                  lambda: erdos_renyi(10, 0.4, 1)])
def test_consensus_rate_is_the_operator_norm(make):
    top = make()
    J = np.full((top.n, top.n), 1 / top.n)
    for t in (0, 1, 2, 5):
        exact = np.linalg.norm(np.linalg.matrix_power(top.W, t) - J, 2)
        assert abs(consensus_rate(top, t) - exact) <= 1e-12


def test_one_node_conventions():
    for top in (complete(1), grid2d(1, 1), hypercube(0), exponential(1), star(1),
                erdos_renyi(1, 0.5, 0), from_matrix([[1.0]])):
        assert top.eigenvalues.tolist() == [1.0] and top.num_edges == 0
        assert top.slem == top.lambda2 == top.lambda_n == top.mu_W == top.beta == 0.0
        assert top.spectral_gap == 1.0 and top.messages_per_round() == 0


# ----------------------------------------------------------------------------- bad input

def _raises(pattern, fn, *args, **kwargs):
    with pytest.raises(TheorytoolsError, match=pattern) as info:
        fn(*args, **kwargs)
    return str(info.value)


def test_matrix_validation_errors():
    _raises(r"W must be doubly stochastic, but row 0 of W sums to 0\.9",
            from_matrix, [[0.5, 0.4], [0.5, 0.5]])
    cyc = 0.5 * np.eye(3) + 0.5 * np.roll(np.eye(3), 1, axis=1)  # doubly stochastic, asymmetric
    _raises(r"W must be symmetric, but W\[\d, \d\] = 0\.5 != W\[\d, \d\] = 0\.0", from_matrix, cyc)
    _raises(r"W must be nonnegative, but W\[0, 1\] = -0\.2",
            from_matrix, [[1.2, -0.2], [-0.2, 1.2]])
    _raises(r"W must be finite, but W\[0, 1\] = nan", from_matrix, [[0.5, np.nan], [0.5, 0.5]])
    _raises(r"W must be finite, but W\[1, 1\] = inf", from_matrix, [[0.5, 0.5], [0.5, np.inf]])
    _raises(r"W must be a square 2-D matrix, got shape \(2, 3\)", from_matrix, np.ones((2, 3)))
    _raises(r"W must be a square 2-D matrix, got shape \(3,\)", from_matrix, np.ones(3))
    _raises(r"W must have n >= 1 rows", from_matrix, np.ones((0, 0)))
    _raises(r"W must be a real square matrix", from_matrix, [["a", "b"], ["c", "d"]])
    _raises(r"W is not connected: it has 2 components, e.g. node 1", from_matrix, np.eye(2))
    _raises(r"W has lambda_n = -1\.0", from_matrix, [[0.0, 1.0], [1.0, 0.0]])
    _raises(r"atol must be >= 0", validate_mixing_matrix, np.eye(2), atol=-1.0)


def test_planted_fault_rows_sum_to_one_but_columns_do_not():
    W = np.array([[0.5, 0.5, 0.0], [0.5, 0.5, 0.0], [0.5, 0.0, 0.5]])
    assert np.allclose(W.sum(axis=1), 1)
    msg = _raises(r"column 0 of W sums to 1\.5, not 1", from_matrix, W)
    assert "doubly stochastic" in msg
    # the same fault hidden under the tolerance is still caught at 1e-6
    V = ring(4).W.copy()
    V[0, 0] += 1e-6
    V[0, 1] -= 1e-6
    _raises(r"column 0 of W sums to", validate_mixing_matrix, V)


def test_graph_support_mismatch():
    W = ring(5).W
    path = nx.path_graph(5)  # lacks the edge (0, 4)
    _raises(r"W does not match graph: W\[0, 4\] = 0\.333.* but graph has no edge \(0, 4\)",
            from_matrix, W, graph=path)
    _raises(r"W does not match graph: W\[0, 2\] = 0\.0 on the graph edge \(0, 2\); a zero "
            r"weight on an edge is refused", from_matrix, W, graph=nx.complete_graph(5))
    _raises(r"graph must have the nodes 0\.\.4 of W", from_matrix, W, graph=nx.cycle_graph(6))
    _raises(r"graph must be an undirected simple networkx.Graph", from_matrix, W,
            graph=nx.DiGraph(nx.cycle_graph(5)))
    _raises(r"graph is not connected", from_matrix, np.eye(3),
            graph=nx.empty_graph(3))


def test_factory_argument_errors():
    _raises(r"n must be >= 3, got 2", ring, 2)
    _raises(r"n must be >= 3, got 0", ring, 0)
    _raises(r"n must be an integer, got 3\.5", ring, 3.5)
    _raises(r"rows must be >= 3, got 2", torus, 2, 4)
    _raises(r"cols must be >= 3, got 1", torus, 3, 1)
    _raises(r"rows must be >= 1, got 0", grid2d, 0, 3)
    _raises(r"n must be >= 1, got 0", complete, 0)
    _raises(r"n must be >= 1, got -1", star, -1)
    _raises(r"n must be >= 1, got 0", exponential, 0)
    _raises(r"dim must be >= 0, got -1", hypercube, -1)
    _raises(r"dim must be <= 13, got 14", hypercube, 14)
    _raises(rf"n gives n = {MAX_NODES + 1} nodes, more than MAX_NODES", complete, MAX_NODES + 1)
    _raises(r"weights must be one of 'uniform', 'metropolis_hastings', 'max_degree', got 'foo'",
            ring, 5, "foo")
    _raises(r"weights must be one of", complete, 5, "user")
    _raises(r"p must be > 0\.0, got 0\.0", erdos_renyi, 5, 0.0, 0)
    _raises(r"p must be <= 1\.0, got 1\.5", erdos_renyi, 5, 1.5, 0)
    _raises(r"p must be finite, got nan", erdos_renyi, 5, float("nan"), 0)
    _raises(r"seed must be an integer in \[0, 2\^64\), got -1", erdos_renyi, 5, 0.5, -1)
    _raises(r"p = 0\.01 gave no connected G\(n=20, p\) graph in max_tries = 5 draws",
            erdos_renyi, 20, 0.01, 0, max_tries=5)
    _raises(r"i must be <= 4, got 5", ring(5).neighbors, 5)
    _raises(r"rounds must be >= 0", consensus_rate, ring(5), -1)


def test_networkx_input_errors():
    _raises(r"G is not connected: it has 2 components, e.g. node 2 cannot be reached from "
            r"node 0", from_networkx, nx.disjoint_union(nx.path_graph(2), nx.path_graph(2)))
    _raises(r"G must be undirected", from_networkx, nx.DiGraph([(0, 1), (1, 0)]))
    _raises(r"G must be a simple graph", from_networkx, nx.MultiGraph([(0, 1)]))
    _raises(r"G must be a networkx.Graph, got \[\[0, 1\]\]", from_networkx, [[0, 1]])
    _raises(r"G must have n >= 1 nodes", from_networkx, nx.Graph())
