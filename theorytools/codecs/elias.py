r"""Exact lengths of the Elias universal codes of the positive integers.

With :math:`N = \lfloor \log_2 n \rfloor` (so ``n`` has :math:`N+1` binary digits):

* gamma: :math:`\ell_\gamma(n) = 2N + 1`;
* delta: :math:`\ell_\delta(n) = N + 2\lfloor \log_2 (N+1) \rfloor + 1`;
* omega: :math:`\ell_\omega(n) = 1 + \sum_{j} (\lfloor \log_2 n_j \rfloor + 1)` over the
  groups :math:`n_0 = n,\ n_{j+1} = \lfloor \log_2 n_j \rfloor` while :math:`n_j > 1`.

Reference: P. Elias, "Universal codeword sets and representations of the integers", IEEE
Trans. Inform. Theory 21(2):194-203, 1975.
"""
from __future__ import annotations

import numpy as np

from theorytools.codecs import _kernels as K
from theorytools.codecs.bitio import _int, _uint_array

__all__ = ["gamma_length", "delta_length", "omega_length",
           "gamma_lengths", "delta_lengths", "omega_lengths"]


def gamma_length(n: int) -> int:
    r"""Length of the Elias gamma code of ``n >= 1``: :math:`2\lfloor\log_2 n\rfloor + 1`.

    Parameters
    ----------
    n : int
        Any positive Python int.

    Returns
    -------
    int
        The code length in bits.

    References
    ----------
    P. Elias, "Universal codeword sets and representations of the integers", 1975.
    """
    n = _int(n, "n", 1)
    return 2 * (n.bit_length() - 1) + 1


def delta_length(n: int) -> int:
    r"""Length of the Elias delta code of ``n >= 1``.

    .. math:: \ell_\delta(n) = \lfloor\log_2 n\rfloor
              + 2\lfloor\log_2(\lfloor\log_2 n\rfloor + 1)\rfloor + 1

    Parameters
    ----------
    n : int
        Any positive Python int.

    Returns
    -------
    int
        The code length in bits.

    References
    ----------
    P. Elias, "Universal codeword sets and representations of the integers", 1975.
    """
    n = _int(n, "n", 1)
    nb = n.bit_length() - 1
    return nb + 2 * ((nb + 1).bit_length() - 1) + 1


def omega_length(n: int) -> int:
    r"""Length of the Elias omega (recursive) code of ``n >= 1``.

    .. math:: \ell_\omega(n) = 1 + \sum_{j:\, n_j > 1} (\lfloor\log_2 n_j\rfloor + 1),\qquad
              n_0 = n,\; n_{j+1} = \lfloor \log_2 n_j \rfloor,

    the final 1 being the terminating 0 bit (so :math:`\ell_\omega(1) = 1`).

    Parameters
    ----------
    n : int
        Any positive Python int.

    Returns
    -------
    int
        The code length in bits.

    References
    ----------
    P. Elias, "Universal codeword sets and representations of the integers", 1975.
    """
    n = _int(n, "n", 1)
    total = 1
    while n > 1:
        total += n.bit_length()
        n = n.bit_length() - 1
    return total


def _vector(values, kernel):
    arr = _uint_array(values, "values", low=1)
    out = np.empty(arr.size, dtype=np.int64)
    if arr.size:
        kernel(arr, out)
    return out


def gamma_lengths(values: np.ndarray) -> np.ndarray:
    r"""Elementwise :func:`gamma_length` of a uint64 array (entries >= 1), in a Numba kernel.

    .. math:: \ell_i = 2\lfloor\log_2 v_i\rfloor + 1

    Parameters
    ----------
    values : numpy.ndarray
        Unsigned (or non-negative) integers >= 1.

    Returns
    -------
    numpy.ndarray
        int64 code lengths, same shape.

    References
    ----------
    P. Elias, "Universal codeword sets and representations of the integers", 1975.
    """
    return _vector(values, K.gamma_lengths)


def delta_lengths(values: np.ndarray) -> np.ndarray:
    r"""Elementwise :func:`delta_length` of a uint64 array (entries >= 1), in a Numba kernel.

    .. math:: \ell_i = \ell_\delta(v_i)

    Parameters
    ----------
    values : numpy.ndarray
        Unsigned (or non-negative) integers >= 1.

    Returns
    -------
    numpy.ndarray
        int64 code lengths, same shape.

    References
    ----------
    P. Elias, "Universal codeword sets and representations of the integers", 1975.
    """
    return _vector(values, K.delta_lengths)


def omega_lengths(values: np.ndarray) -> np.ndarray:
    r"""Elementwise :func:`omega_length` of a uint64 array (entries >= 1), in a Numba kernel.

    .. math:: \ell_i = \ell_\omega(v_i)

    Parameters
    ----------
    values : numpy.ndarray
        Unsigned (or non-negative) integers >= 1.

    Returns
    -------
    numpy.ndarray
        int64 code lengths, same shape.

    References
    ----------
    P. Elias, "Universal codeword sets and representations of the integers", 1975.
    """
    return _vector(values, K.omega_lengths)
