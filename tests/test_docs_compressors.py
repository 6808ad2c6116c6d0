"""docs/compressors.md: the generated table equals what the generator produces from the code
now, every registered compressor has a row, and the generator touches only its block."""
import importlib.util
import re
from pathlib import Path

import pytest

from theorytools.compressors import default, names

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "compressors.md"
GEN = ROOT / "docs" / "_gen_compressor_table.py"


@pytest.fixture(scope="module")
def gen():
    spec = importlib.util.spec_from_file_location("_gen_compressor_table", GEN)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def doc_text():
    return DOC.read_text(encoding="utf-8")


def _table_names(block):
    """Canonical names in the first column of the markdown table rows of the block."""
    return [m.group(1) for m in re.finditer(r"^\| `([^`]+)` \|", block, flags=re.M)]


def test_markers_present_once(gen, doc_text):
    assert doc_text.count(gen.BEGIN) == 1
    assert doc_text.count(gen.END) == 1
    assert doc_text.index(gen.BEGIN) < doc_text.index(gen.END)


def test_table_is_up_to_date(gen, doc_text):
    """Fails when the code changed and the doc was not regenerated:
    run ``python docs/_gen_compressor_table.py``."""
    assert gen.current_block(doc_text) == gen.render_block()
    assert gen.main(["--check"]) == 0


def test_every_registered_compressor_has_a_row(gen, doc_text):
    listed = _table_names(gen.current_block(doc_text))
    for name in names():
        assert default(name, gen.D).canonical_name in listed, name
    for spec in gen.ILLUSTRATIVE:
        assert any(n.startswith(spec.split("[")[0] + "[") for n in listed), spec


def test_rows_carry_the_declared_constants(gen, doc_text):
    """Spot checks against theory(d) directly (not through the generator's formatting)."""
    block = gen.current_block(doc_text)
    row = next(line for line in block.splitlines() if line.startswith("| `natural` |"))
    assert "| 1/8 | (1, 9/8) | (1, 9/8) | 8/7 |" in row
    assert default("natural", gen.D).theory(gen.D).omega.value == 1 / 8
    row = next(line for line in block.splitlines() if line.startswith("| `rand_k[k=1]` |"))
    assert f"| ({gen.D}, {gen.D}) |" in row        # B1 alpha = d/k, tighter than the spec's 1
    assert "shared: 32" in row


def test_check_detects_a_stale_table_and_rewrite_touches_only_the_block(gen, tmp_path):
    before, after = "# title\n\nprose | with a pipe\n\n", "\n\nmore prose\n"
    path = tmp_path / "doc.md"
    path.write_text(before + gen.BEGIN + "\n| stale |\n" + gen.END + after, encoding="utf-8")
    assert gen.main(["--check", "--path", str(path)]) == 1
    assert "stale" in path.read_text(encoding="utf-8")      # --check changes nothing
    assert gen.main(["--path", str(path)]) == 0
    text = path.read_text(encoding="utf-8")
    assert text.startswith(before) and text.endswith(after)
    assert gen.current_block(text) == gen.render_block()
    assert gen.main(["--check", "--path", str(path)]) == 0


def test_missing_or_duplicated_markers_are_refused(gen):
    with pytest.raises(ValueError):
        gen.replace_block("no markers here", gen.render_block())
    with pytest.raises(ValueError):
        gen.replace_block(gen.BEGIN + gen.END + gen.BEGIN + gen.END, "x")


def test_fractions_are_exact(gen):
    assert gen.fmt(1 / 8) == "1/8"
    assert gen.fmt(1 / (2 - 1.8)) == "5"
    assert gen.fmt(100.0) == "100"
    assert gen.fmt(1 + 1 / 8 + 2 ** -14) == "1.12506"
