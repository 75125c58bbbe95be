"""The names of the formats a whole folder can be read in.

This module imports nothing, so the command line can list the choices in ``--help`` without
loading numpy; :mod:`alpick.formats.labels_dir` re-exports both names and dispatches on them.
"""

LABEL_FORMATS = ("kitti", "coco", "yolo", "voc")
"""Ground-truth formats of :func:`alpick.formats.labels_dir.load_label_dir`."""

PREDICTION_FORMATS = ("kitti", "coco", "yolo", "lightly")
"""Prediction formats of :func:`alpick.formats.labels_dir.load_prediction_dir`."""
