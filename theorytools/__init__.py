"""theorytools: check the theory of communication-efficient distributed optimization.

Subpackages
-----------
compressors : every compressor of the four papers, with declared theory and bit-exact codecs.
codecs      : bit writer/reader, Elias codes, enumerative subset coding, float packing.
bounds      : rate-distortion lower bounds (worst case, average case, uncertainty principle).
"""
__version__ = "0.1.0"

from theorytools.errors import TheorytoolsError  # noqa: F401

__all__ = ["TheorytoolsError", "__version__"]
