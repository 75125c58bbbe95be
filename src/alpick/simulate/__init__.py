"""The active-learning simulation: config and runner, detector adapters, image sets, report.

``runner`` runs strategies x seeds x rounds on a labelled pool with any
:class:`~alpick.simulate.runner.DetectorAdapter`; ``adapters`` holds alpick's own detector and
the COCO evaluator, ``oracle_noise`` a stand-in detector for examples and tests, ``image_sets``
the project's pool and a test split from folders, ``on_project`` all of it on a project, and
``report`` the results, the learning curves and ``report.md``.

The names below are imported on first use (PEP 562).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from alpick.lazy import lazy_exports

if TYPE_CHECKING:
    from alpick.simulate.adapters import BuiltinDetector, coco_evaluator
    from alpick.simulate.image_sets import folder_split, project_pool
    from alpick.simulate.oracle_noise import OracleNoiseDetector
    from alpick.simulate.report import write_report
    from alpick.simulate.runner import (
        DetectorAdapter,
        ImageSet,
        RoundResult,
        SimulationConfig,
        run_simulation,
    )

__all__ = [
    "BuiltinDetector",
    "DetectorAdapter",
    "ImageSet",
    "OracleNoiseDetector",
    "RoundResult",
    "SimulationConfig",
    "coco_evaluator",
    "folder_split",
    "project_pool",
    "run_simulation",
    "write_report",
]

_WHERE = {
    "BuiltinDetector": "adapters",
    "coco_evaluator": "adapters",
    "folder_split": "image_sets",
    "project_pool": "image_sets",
    "OracleNoiseDetector": "oracle_noise",
    "write_report": "report",
    "DetectorAdapter": "runner",
    "ImageSet": "runner",
    "RoundResult": "runner",
    "SimulationConfig": "runner",
    "run_simulation": "runner",
}


__getattr__ = lazy_exports(__name__, {name: f".{module}" for name, module in _WHERE.items()})
