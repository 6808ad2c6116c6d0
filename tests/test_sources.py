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
