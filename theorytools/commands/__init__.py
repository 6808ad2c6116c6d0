"""The subcommands of the ``theorytools`` command line (:mod:`theorytools.cli`): one module
each, with ``configure(parser)`` adding its flags and ``run(args)`` returning the exit status.
"""
__all__ = ["bounds", "check", "compressors", "frontier", "proofs", "verify"]
