"""Command-line entry point: ``theorytools <command> ...``.

Each command lives in ``theorytools.commands.<name>`` and exposes ``configure(parser)`` and
``run(args) -> int``. Modules are imported lazily so that ``theorytools --help`` stays fast and
a command's heavy imports (Numba kernels, scipy) are paid only when it runs.

Errors: a :class:`~theorytools.errors.TheorytoolsError` (or any ``ValueError``) raised by a
command becomes a one-line message on stderr and exit status 2, never a traceback; any other
exception a one-line "internal error" and exit status 3. ``--debug`` (before or after the
command) shows the traceback instead. A closed output pipe (``theorytools proofs --json |
head -1``) ends the command quietly with exit status 141 (as a process killed by SIGPIPE).
"""
from __future__ import annotations

import argparse
import importlib
import os
import sys

__all__ = ["COMMANDS", "DEBUG_HELP", "build_parser", "main"]

COMMANDS = {
    "verify": "run the theorem checks and print a verdict table",
    "compressors": "list every registered compressor with declared and measured constants and bits",
    "bounds": "rate-distortion lower bounds (worst case, average case, uncertainty principle)",
    "frontier": "bits-vs-distortion frontier of every compressor against the lower bounds",
    "proofs": "run the mechanical (sympy) checks of the proofs' algebra",
    "check": "black-box report on your own compressor: constants, worst input, claims, bits",
    "experiment": "re-enact a paper's experiments: figures, data and a verdict per claim",
    "sweep": "run a grid of algorithm runs (TOML) on local processes, Dask or MPI; resumable",
}

DEBUG_HELP = "show the full traceback of an error instead of the one-line message"


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit 2, as argparse does, without the usage block
        sys.stderr.write(f"{self.prog}: error: {message}\n")
        raise SystemExit(2)


def _available():
    found = {}
    for name, help_text in COMMANDS.items():
        try:
            spec = importlib.util.find_spec(f"theorytools.commands.{name}")
        except (ImportError, ValueError):
            spec = None
        if spec is not None:
            found[name] = help_text
    return found


def _version() -> str:
    from theorytools import __version__
    return f"theorytools {__version__}"


def build_parser() -> argparse.ArgumentParser:
    """The ``theorytools`` argument parser, one subcommand per :data:`COMMANDS` entry."""
    parser = _Parser(prog="theorytools", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=_version(),
                        help="print the toolkit's version and exit")
    parser.add_argument("--debug", action="store_true", help=DEBUG_HELP)
    parser.add_argument("--plugin", action="append", default=[], metavar="MODULE",
                        help="import MODULE first (repeatable): a module that registers "
                             "compressors (theorytools.compressors.register) or theorems")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name, help_text in _available().items():
        module = importlib.import_module(f"theorytools.commands.{name}")
        cmd = sub.add_parser(name, help=help_text, description=help_text)
        module.configure(cmd)
        cmd.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                         help=DEBUG_HELP)
        cmd.set_defaults(_module=module)
    return parser


def _quiet_stdout():
    """After a closed pipe: point stdout at /dev/null so that the interpreter's final flush
    does not raise a second BrokenPipeError."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


def main(argv=None) -> int:
    """Run ``theorytools`` with ``argv`` (default ``sys.argv[1:]``); returns the exit status
    (bad input: 2 with a one-line message, ``--debug`` for the traceback)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    debug = bool(getattr(args, "debug", False))
    try:
        for module in args.plugin:
            _import_plugin(module)
        code = int(args._module.run(args) or 0)
        sys.stdout.flush()  # a closed pipe shows here, not at the interpreter's exit
        return code
    except BrokenPipeError:
        _quiet_stdout()
        return 141
    except KeyboardInterrupt:
        sys.stderr.write("theorytools: interrupted\n")
        return 130
    except (ValueError, ArithmeticError) as exc:  # TheorytoolsError is a ValueError
        if debug:
            raise
        sys.stderr.write(f"theorytools {args.command}: error: {exc}\n")
        return 2
    except MemoryError:
        if debug:
            raise
        sys.stderr.write(f"theorytools {args.command}: error: out of memory (use a smaller "
                         "--d; --debug shows where)\n")
        return 2
    except Exception as exc:  # a bug: one line, the traceback on request
        if debug:
            raise
        sys.stderr.write(f"theorytools {args.command}: internal error: "
                         f"{type(exc).__name__}: {exc} (--debug shows the traceback)\n")
        return 3


def _import_plugin(module):
    from theorytools.errors import TheorytoolsError

    if "" not in sys.path and os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())      # a module in the working directory, as python -m
    try:
        importlib.import_module(module)
    except ImportError as exc:
        raise TheorytoolsError(f"--plugin {module}: cannot import it ({exc})") from None


if __name__ == "__main__":
    sys.exit(main())
