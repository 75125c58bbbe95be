"""The verbs on a project: annotate, embed, predictions and scores, select, train, evaluate.

Each module ties an engine (``detector/``, ``embed/``, ``select/``, ``scores/``,
``evaluate/``) to the project store; :class:`alpick.Project` (``api.py``) calls them.
"""
