"""alpick.store: the project's SQLite database and array files (see docs/store.md)."""

from alpick.store.project import ProjectStore
from alpick.store.records import (
    EmbeddingSet,
    ImportReport,
    PredictionSet,
    Run,
    Sample,
    ScoreSet,
    Tag,
)

__all__ = [
    "EmbeddingSet",
    "ImportReport",
    "PredictionSet",
    "ProjectStore",
    "Run",
    "Sample",
    "ScoreSet",
    "Tag",
]
