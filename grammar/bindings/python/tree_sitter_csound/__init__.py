"""Csound grammar for tree-sitter."""

from importlib.resources import files as _files

from ._binding import language


def _get_query(name: str, file: str) -> str:
    query = _files(f"{__package__}.queries") / file
    globals()[name] = query.read_text()
    return globals()[name]


def __getattr__(name: str) -> str:
    # Query files are read lazily: tree_sitter_csound.HIGHLIGHTS_QUERY etc.
    queries = {
        "HIGHLIGHTS_QUERY": "highlights.scm",
        "LOCALS_QUERY": "locals.scm",
        "FOLDS_QUERY": "folds.scm",
        "TAGS_QUERY": "tags.scm",
        "INJECTIONS_QUERY": "injections.scm",
    }
    if name in queries:
        return _get_query(name, queries[name])
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "language",
    "HIGHLIGHTS_QUERY",
    "LOCALS_QUERY",
    "FOLDS_QUERY",
    "TAGS_QUERY",
    "INJECTIONS_QUERY",
]


def __dir__() -> list[str]:
    return sorted([*globals().keys(), *__all__])
