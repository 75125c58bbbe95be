"""The Python API users script against: ``from alpick import Project``.

``Project`` is the store's project plus the verbs of the loop (select, annotate); it sits above
``store/``, ``select/`` and ``loop/`` so that those stay independent of each other.
"""

from __future__ import annotations

from alpick.store.project import Project as _StoreProject


class Project(_StoreProject):
    """An alpick project: samples, labels, tags, embeddings, predictions and scores."""
