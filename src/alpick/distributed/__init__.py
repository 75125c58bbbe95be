"""The heavy steps on a Ray cluster (the optional extra ``alpick[ray]``; see docs/scale.md).

``cluster`` connects (``RayOptions``, one-line errors without Ray or a reachable cluster) and
sizes the actor pool; ``blocks`` splits the pool into blocks for Ray Data's ``map_batches`` and
streams the results back to the driver, which alone writes the project; ``embed``, ``predict``
and ``predictions`` are drop-ins for the single-process embedder, detector and prediction
reader; ``simulate`` runs each strategy and seed as a Ray task. ``ray`` is imported only when
one of them runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from alpick.lazy import lazy_exports

if TYPE_CHECKING:
    from alpick.distributed.cluster import INSTALL_HINT, RayOptions, require_ray
    from alpick.distributed.embed import ray_embedder
    from alpick.distributed.predict import ray_predictor
    from alpick.distributed.predictions import ray_prediction_loader
    from alpick.distributed.simulate import ray_lineages

__all__ = [
    "INSTALL_HINT",
    "RayOptions",
    "ray_embedder",
    "ray_lineages",
    "ray_prediction_loader",
    "ray_predictor",
    "require_ray",
]

_WHERE = {
    "INSTALL_HINT": "cluster",
    "RayOptions": "cluster",
    "require_ray": "cluster",
    "ray_embedder": "embed",
    "ray_predictor": "predict",
    "ray_prediction_loader": "predictions",
    "ray_lineages": "simulate",
}

__getattr__ = lazy_exports(__name__, {name: f".{module}" for name, module in _WHERE.items()})
