"""Bit-exact codecs: bit writer/reader, Elias codes, base-3 packing, enumerative subset code.

See ``docs/codecs.md`` for the code lengths and when each code is used.
"""
from theorytools.codecs.message import Message
from theorytools.codecs.bitio import BitWriter, BitReader, base3_bits
from theorytools.codecs.elias import (gamma_length, delta_length, omega_length,
                                      gamma_lengths, delta_lengths, omega_lengths)
from theorytools.codecs.enumerative import (subset_rank, subset_unrank, write_subset,
                                            read_subset, subset_code_bits,
                                            subset_code_bits_of, subset_code_overhead,
                                            EXACT_RANK_MAX_BITS)

__all__ = ["Message", "BitWriter", "BitReader", "base3_bits",
           "gamma_length", "delta_length", "omega_length",
           "gamma_lengths", "delta_lengths", "omega_lengths",
           "subset_rank", "subset_unrank", "write_subset", "read_subset",
           "subset_code_bits", "subset_code_bits_of", "subset_code_overhead",
           "EXACT_RANK_MAX_BITS"]
