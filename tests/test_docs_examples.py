"""Every Python example in README.md and docs/*.md runs as written (issue 11).

Convention (also stated in README.md, "Developers"):

* a block is a fenced code block tagged ``python`` (or ``py``);
* the blocks of ONE file share one namespace and run in the order they appear, as if pasted one
  after the other into a fresh interpreter: a later block may use names an earlier block of
  the same file defined, never names from another file;
* a block is skipped only when the line right before its opening fence is
  ``<!-- no-run: <reason> -->`` with a non-empty reason (for fragments that are not statements,
  e.g. one entry of a dict literal); there are at most ``MAX_NO_RUN`` such blocks in all;
* an untagged fence whose first line looks like Python (``import``/``from ... import``) is an
  error: it would escape this test;
* blocks run with the working directory set to a temporary directory (nothing is written into
  the repository) and the Agg matplotlib backend.

Values quoted in comments are checked where the doc states them with ``assert``; counts the
docs quote that are cheap to recompute are checked below (``test_quoted_counts``); timings are
quoted as "measured on <date>".
"""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
MAX_NO_RUN = 3

FENCE = re.compile(r"^```([A-Za-z0-9_+-]*)[ \t]*\n(.*?)^```[ \t]*$", re.S | re.M)
NO_RUN = re.compile(r"^<!--\s*no-run:(.*?)-->\s*$")
PY_TAGS = {"python", "py"}


def extract(text: str, name: str = "<doc>"):
    """The fenced blocks of ``text`` as dicts: line, tag, code, skip (reason or None)."""
    blocks = []
    for match in FENCE.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        before = text[:match.start()].rstrip("\n").rsplit("\n", 1)[-1]
        marker = NO_RUN.match(before.strip())
        skip = None
        if marker is not None:
            skip = marker.group(1).strip()
            if not skip:
                raise ValueError(f"{name}:{line}: a no-run marker needs a reason")
        blocks.append({"line": line, "tag": match.group(1).lower(), "code": match.group(2),
                       "skip": skip})
    return blocks


def run_file(text: str, name: str) -> int:
    """Run the Python blocks of one file in one namespace, in order; the number run."""
    namespace = {"__name__": "__docs_example__"}
    count = 0
    for block in extract(text, name):
        if block["tag"] not in PY_TAGS:
            first = block["code"].lstrip().split("\n", 1)[0]
            if re.match(r"(import \w|from [\w.]+ import )", first):
                raise AssertionError(f"{name}:{block['line']}: Python in a fence not tagged "
                                     "python (it would not be run)")
            continue
        if block["skip"] is not None:
            continue
        code = compile(block["code"], f"{name}:{block['line']}", "exec")
        exec(code, namespace)       # noqa: S102 -- the point of the test
        count += 1
    return count


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    import matplotlib

    from theorytools.compressors import REGISTRY
    from theorytools.theory import registry as theorem_registry
    matplotlib.use("Agg")
    monkeypatch.chdir(tmp_path)
    # ... and from the theorem registry as it was (docs/theorems.md registers its example)
    monkeypatch.setattr(theorem_registry, "REGISTRY", theorem_registry.REGISTRY)
    theorems_before = dict(theorem_registry.REGISTRY)
    # a docs file may register a compressor (the template in docs/compressors.md, the worked
    # example in docs/testing.md): each file starts from the registry as it was
    before = dict(dict.items(REGISTRY))
    yield tmp_path
    dict.clear(REGISTRY)
    dict.update(REGISTRY, before)
    theorem_registry.REGISTRY.clear()
    theorem_registry.REGISTRY.update(theorems_before)


@pytest.mark.parametrize("path", DOCS, ids=[str(p.relative_to(ROOT)) for p in DOCS])
def test_every_python_block_runs(path, in_tmp, monkeypatch):
    # docs/testing.md imports the worked example package as a user would after installing
    # it ("installed or on sys.path"): put its folder on sys.path
    monkeypatch.syspath_prepend(str(ROOT / "docs" / "examples" / "ternary"))
    text = path.read_text(encoding="utf-8")
    run_file(text, str(path.relative_to(ROOT)))


def test_the_examples_exist_and_no_run_is_rare():
    total, skipped = 0, []
    for path in DOCS:
        for block in extract(path.read_text(encoding="utf-8"), path.name):
            if block["tag"] in PY_TAGS:
                total += 1
                if block["skip"] is not None:
                    skipped.append(f"{path.name}:{block['line']}: {block['skip']}")
    assert total >= 10, total                 # README + algorithms, codecs, problems, ...
    assert len(skipped) <= MAX_NO_RUN, skipped


def test_quoted_counts():
    """docs/theorems.md quotes the number of proof checks: it equals the registry's."""
    import proofs_check
    text = (ROOT / "docs" / "theorems.md").read_text(encoding="utf-8")
    quoted = re.search(r"it has (\d+) checks\s*\(`proofs_check\.check_names\(\)`", text)
    assert quoted is not None
    assert int(quoted.group(1)) == len(proofs_check.check_names())


def test_quoted_data_sizes():
    """The sizes docs/problems.md and docs/bounds.md quote equal what the code returns."""
    from sklearn.datasets import load_breast_cancer, load_diabetes

    from theorytools.bounds import bounds_table
    from theorytools.problems import bundled_svmlight_path, load_svmlight

    problems = (ROOT / "docs" / "problems.md").read_text(encoding="utf-8")
    bounds = (ROOT / "docs" / "bounds.md").read_text(encoding="utf-8")

    def quoted(pattern, text):
        match = re.search(pattern, text)
        assert match is not None, pattern
        return tuple(int(g) for g in match.groups())

    assert quoted(r"breast cancer data \((\d+) × (\d+)\)", problems) == \
        load_breast_cancer().data.shape
    assert quoted(r"diabetes data \((\d+) × (\d+)\)", problems) == load_diabetes().data.shape
    assert quoted(r"small\.svm` \((\d+) rows, (\d+) sparse features", problems) == \
        load_svmlight(bundled_svmlight_path())[0].shape
    assert quoted(r"the full default table \((\d+) rows\)", bounds) == (len(bounds_table()),)


# --- planted faults: the runner above can fail ----------------------------------------------

def test_an_undefined_name_fails(in_tmp):
    text = "intro\n\n```python\nx = 1\n```\n\n```python\nprint(x + y)\n```\n"
    with pytest.raises(NameError, match="'y'"):
        run_file(text, "planted.md")


def test_names_do_not_leak_between_files(in_tmp):
    run_file("```python\nleaked = 1\n```\n", "a.md")
    with pytest.raises(NameError):
        run_file("```python\nleaked\n```\n", "b.md")


def test_no_run_marker_needs_a_reason_and_skips_only_its_block(in_tmp):
    text = "<!-- no-run: a fragment -->\n```python\n'a': 1,\n```\n\n```python\n1 / 0\n```\n"
    with pytest.raises(ZeroDivisionError):
        run_file(text, "planted.md")
    assert run_file(text.replace("1 / 0", "2"), "planted.md") == 1
    with pytest.raises(ValueError, match="needs a reason"):
        extract("<!-- no-run: -->\n```python\nx\n```\n")


def test_python_in_an_untagged_fence_is_refused(in_tmp):
    with pytest.raises(AssertionError, match="not tagged python"):
        run_file("```\nfrom theorytools import bounds\n```\n", "planted.md")
    assert run_file("```\ntheorytools verify --quick\n```\n", "shell.md") == 0


def test_files_land_in_a_temporary_directory(in_tmp):
    run_file("```python\nopen('out.txt', 'w').write('x')\n```\n", "w.md")
    assert (in_tmp / "out.txt").exists() and os.getcwd() == str(in_tmp)
