"""Entry-point loading shared by the compressor and theorem registries."""
from __future__ import annotations

from theorytools.errors import TheorytoolsError


def entry_point_objects(group: str, what: str) -> list:
    """``(name, object)`` of every entry point of ``group``, loaded; a plugin that fails to
    import raises a TheorytoolsError naming it (``what``: "compressor" or "theorem")."""
    from importlib.metadata import entry_points

    out = []
    for ep in entry_points(group=group):
        try:
            obj = ep.load()
        except Exception as exc:  # a plugin's import error, named
            raise TheorytoolsError(f"{what} plugin {ep.name!r} ({ep.value}) failed to load: "
                                   f"{type(exc).__name__}: {exc}") from exc
        out.append((ep.name, obj))
    return out
