"""Command-line entry point: ``theorytools <command> ...``.

Each command lives in ``theorytools.commands.<name>`` and exposes ``configure(parser)`` and
``run(args) -> int``. Modules are imported lazily so that ``theorytools --help`` stays fast and
a command's heavy imports (Numba kernels, scipy) are paid only when it runs.

Errors: a :class:`~theorytools.errors.TheorytoolsError` (or any ``ValueError``) raised by a
command becomes a one-line message on stderr and exit status 2, never a traceback.
"""
from __future__ import annotations

import argparse
import importlib
import os
import sys

COMMANDS = {
    "verify": "run the theorem checks and print a verdict table",
    "compressors": "list every registered compressor with declared and measured constants and bits",
    "bounds": "rate-distortion lower bounds (worst case, average case, uncertainty principle)",
    "frontier": "bits-vs-distortion frontier of every compressor against the lower bounds",
    "proofs": "run the mechanical (sympy) checks of the proofs' algebra",
    "check": "black-box report on your own compressor: constants, worst input, claims, bits",
}


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


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="theorytools", description=__doc__.splitlines()[0])
    parser.add_argument("--plugin", action="append", default=[], metavar="MODULE",
                        help="import MODULE first (repeatable): a module that registers "
                             "compressors (theorytools.compressors.register) or theorems")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name, help_text in _available().items():
        module = importlib.import_module(f"theorytools.commands.{name}")
        cmd = sub.add_parser(name, help=help_text, description=help_text)
        module.configure(cmd)
        cmd.set_defaults(_module=module)
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        for module in args.plugin:
            _import_plugin(module)
        return int(args._module.run(args) or 0)
    except (ValueError, ArithmeticError) as exc:  # TheorytoolsError is a ValueError
        sys.stderr.write(f"theorytools {args.command}: error: {exc}\n")
        return 2
    except KeyboardInterrupt:
        sys.stderr.write("theorytools: interrupted\n")
        return 130


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
