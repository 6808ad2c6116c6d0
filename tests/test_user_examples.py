"""The user's path, run as a user would: from a separate directory that has only the installed
toolkit and the example package docs/examples/ternary (an invented compressor), installed
with its entry points. Offline: the package is "installed" by copying it next to a
``*.dist-info`` directory holding its ``entry_points.txt`` (what ``pip install`` writes), so
no build backend is needed."""
import os
import pathlib
import re
import shutil
import subprocess
import sys
from importlib.metadata import entry_points

import pytest

import theorytools

EXAMPLE = pathlib.Path(__file__).resolve().parents[1] / "docs" / "examples" / "ternary"
TOOLKIT = pathlib.Path(theorytools.__file__).resolve().parents[1]


def _entry_points_txt():
    """The [project.entry-points."GROUP"] tables of the example's pyproject.toml, as
    entry_points.txt (a small reader for this file's simple syntax: Python 3.10 has no
    tomllib)."""
    text = (EXAMPLE / "pyproject.toml").read_text()
    name = re.search(r'^name = "([^"]+)"', text, re.M).group(1)
    version = re.search(r'^version = "([^"]+)"', text, re.M).group(1)
    lines, group = [], None
    for line in text.splitlines():
        m = re.fullmatch(r'\[project\.entry-points\."([^"]+)"\]', line.strip())
        if m:
            group = m.group(1)
            lines += ["", f"[{group}]"]
        elif line.startswith("["):
            group = None
        elif group and "=" in line:
            key, value = (t.strip() for t in line.split("=", 1))
            lines.append(f"{key} = {value.strip(chr(34))}")
    return "\n".join(lines) + "\n", name, version


@pytest.fixture(scope="module")
def user_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("user")
    site = root / "site"
    work = root / "work"
    site.mkdir()
    work.mkdir()
    shutil.copytree(EXAMPLE / "ternary_example", site / "ternary_example")
    text, name, version = _entry_points_txt()
    dist = site / f"{name.replace('-', '_')}-{version}.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    (dist / "entry_points.txt").write_text(text)
    for f in EXAMPLE.iterdir():
        if f.is_file() and f.suffix in (".py", ".md"):
            shutil.copy(f, work / f.name)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(site), str(TOOLKIT)]))
    env.pop("PYTEST_ADDOPTS", None)
    return work, env


def _run(args, work, env, timeout=600):
    return subprocess.run([sys.executable, *args], cwd=work, env=env, capture_output=True,
                          text=True, timeout=timeout)


def _plugin_args():
    """-p theorytools.pytest_plugin only where the installed toolkit predates its pytest11
    entry point (a development checkout installed before it); CI installs it."""
    installed = any(ep.value == "theorytools.pytest_plugin"
                    for ep in entry_points(group="pytest11"))
    return [] if installed else ["-p", "theorytools.pytest_plugin"]


def test_the_example_user_test_file_runs_and_passes(user_dir):
    work, env = user_dir
    out = _run(["-m", "pytest", "-q", "-p", "no:cacheprovider", *_plugin_args(),
                "test_ternary.py", "-rA"], work, env)
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]
    # readable parametrised ids, from the helper and from the marker
    assert "test_ternary_contract[ternary-d=8-theory]" in out.stdout
    assert "test_ternary_float64[ternary[float_width=64]-d=5-codec]" in out.stdout


def test_a_planted_fault_fails_the_user_contract(user_dir):
    """The same contract on a faulty variant (omega declared 0.9 x the truth) must fail,
    with the failed rows printed."""
    work, env = user_dir
    (work / "test_faulty.py").write_text(
        "import math\n"
        "from theorytools.compressors import Constant, Theory\n"
        "from theorytools.pytest_plugin import compressor_contract\n"
        "from ternary_example import Ternary\n\n"
        "class Optimistic(Ternary):\n"
        "    def theory(self, d):\n"
        "        t = super().theory(d)\n"
        "        return Theory(unbiased=True, unbiased_source='x', bits_formula='w+2d',\n"
        "                      bits_source='x', omega=Constant(0.9 * t.omega.value, 'x'))\n\n"
        "test_faulty = compressor_contract(Optimistic(), dims=(8,), parts=('theory',))\n")
    out = _run(["-m", "pytest", "-q", "-p", "no:cacheprovider", *_plugin_args(),
                "test_faulty.py"], work, env)
    assert out.returncode == 1, out.stdout[-3000:]
    assert "FAIL omega ternary on extremal[omega]" in out.stdout


def test_the_registered_compressor_is_seen_by_the_cli(user_dir):
    work, env = user_dir
    code = "import sys; from theorytools.cli import main; sys.exit(main())"
    out = _run(["-c", code, "compressors", "--d", "20", "--only", "ternary"], work, env)
    assert out.returncode == 0, out.stderr
    assert "ternary" in out.stdout


def test_the_example_check_run(user_dir):
    """theorytools check on the user's compressor (installed, imported by MODULE:OBJECT):
    its declared omega = (sqrt(8) - 1)/2 at d = 8 holds and is tight; a claim 10% below it is
    violated with a witness; the exit status says which."""
    work, env = user_dir
    code = "import sys; from theorytools.cli import main; sys.exit(main())"
    omega = (8 ** 0.5 - 1) / 2
    out = _run(["-c", code, "check", "ternary_example:Ternary", "--d", "8", "--claim",
                "unbiased", "--claim", f"omega={omega!r}"], work, env)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "holds" in out.stdout and "violated" not in out.stdout
    out = _run(["-c", code, "check", "ternary_example:Ternary", "--d", "8", "--claim",
                f"omega={0.9 * omega!r}"], work, env)
    assert out.returncode == 1 and "violated" in out.stdout and "input x (d = 8)" in out.stdout


def test_the_plugin_compressor_on_the_frontier(user_dir):
    work, env = user_dir
    code = "import sys; from theorytools.cli import main; sys.exit(main())"
    out = _run(["-c", code, "frontier", "--d", "16", "--extra", "ternary"], work, env)
    assert out.returncode == 0, out.stdout + out.stderr
    line = next(ln for ln in out.stdout.splitlines() if ln.startswith("ternary"))
    assert " 64 " in line            # 32 + 2 * 16 bits


def test_the_example_theorem_plugin_runs_in_verify(user_dir):
    """The user's theorem (entry point theorytools.theorems) runs beside the built-in ones
    with verify --paper ternarypaper; its planted fault (a step 4x the theorem's) fails."""
    work, env = user_dir
    code = "import sys; from theorytools.cli import main; sys.exit(main())"
    out = _run(["-c", code, "verify", "--paper", "ternarypaper", "--quick"], work, env)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "theorem.ternarypaper.cgd_ternary_rate.one_step_contraction" in out.stdout
    assert "1 passed, 0 vacuous, 0 failed" in out.stdout
    fault = ("from theorytools.theory import get\n"
             "th = get('ternarypaper.cgd_ternary_rate')\n"
             "print([c.verdict for _, c in th.run_checks(True, step_factor=4.0)])\n")
    out = _run(["-c", fault], work, env)
    assert out.returncode == 0 and "['FAIL']" in out.stdout, out.stdout + out.stderr
    out = _run(["-c", code, "verify", "--paper", "nosuchpaper"], work, env)
    assert out.returncode == 2 and "ternarypaper" in out.stderr
