"""Every citation a user reads must be followable: no pointer to the (unpublished) internal
specification note, and docs/sources.md names the papers the statements come from."""
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parent.parent
FORBIDDEN = re.compile(r"spec compression\.md|decentralized_localsgd\.md|spec §|/shared/spec", re.IGNORECASE)


def _files():
    for sub in ("theorytools", "proofs_check", "docs"):
        for p in sorted((ROOT / sub).rglob("*")):
            if p.is_file() and p.suffix in {".py", ".md", ".txt", ".rst", ".toml", ".json", ".csv"}:
                yield p
    yield ROOT / "README.md"


def test_no_citation_of_the_internal_spec():
    hits = []
    for p in _files():
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1):
            if FORBIDDEN.search(line):
                hits.append(f"{p.relative_to(ROOT)}:{n}: {line.strip()[:100]}")
    assert not hits, f"{len(hits)} unfollowable citations, e.g.\n" + "\n".join(hits[:20])


def test_sources_page_names_the_papers():
    text = " ".join((ROOT / "docs" / "sources.md").read_text(encoding="utf-8").split())
    for needle in ("On Biased Compression for Distributed Learning",
                   "Optimal Gradient Compression for Distributed and Federated Learning",
                   "Communication Compression for Decentralized Training",
                   "Local SGD Converges Fast and Communicates Little",
                   "Koloskova"):
        assert needle in text, needle


def test_every_cited_topic_exists():
    """A pointer docs/sources.md#topic must land on an anchor of the page (a typo fails)."""
    text = (ROOT / "docs" / "sources.md").read_text(encoding="utf-8")
    anchors = set(re.findall(r'<a id="([a-z-]+)"></a>', text))
    cited = {}
    for p in _files():
        for m in re.findall(r"sources\.md#([a-z0-9-]+)", p.read_text(encoding="utf-8")):
            cited.setdefault(m, str(p.relative_to(ROOT)))
    missing = {a: f for a, f in cited.items() if a not in anchors}
    assert cited and not missing, missing


def test_every_named_proof_function_exists():
    """Each `proofs_check/<file>.py::<fn>` and `::<fn>` continuation named on the page exists."""
    import importlib
    text = (ROOT / "docs" / "sources.md").read_text(encoding="utf-8")
    named = []
    for m in re.finditer(r"proofs_check/(\w+)\.py((?:(?:::|`,\s*`::)\w+)+)", text):
        for fn in re.findall(r"::(\w+)", m.group(2)):
            named.append((m.group(1), fn))
    for mod, fns in re.findall(r"proofs_check/(\w+)\.py`? \(([^)]*)\)", text):
        named += [(mod, f) for f in re.findall(r"`(\w+)`", fns)]
    assert len(named) >= 20
    for mod, fn in named:
        assert hasattr(importlib.import_module(f"proofs_check.{mod}"), fn), (mod, fn)


def test_forbidden_pattern_catches_the_old_forms():
    for bad in ("spec compression.md §B.1", "Spec §4.1 reproduced", "spec decentralized_localsgd.md",
                "`/work/shared/spec/compression.md`"):
        assert FORBIDDEN.search(bad), bad
    for ok in ("a compressor spec such as top_k[k=2]", "docs/sources.md#table rows C1"):
        assert not FORBIDDEN.search(ok), ok
