"""alpick.embed: backbones, the embedding pipeline, SimCLR fine-tuning and the 2-D map.

Importing this package does not import torch; the functions do, when called.
"""

from __future__ import annotations

from alpick.embed.backbones import EMBED_MODELS, Backbone, ModelSpec, build_backbone, load_backbone
from alpick.embed.compute import compute_embeddings
from alpick.embed.map2d import embedding_map, pca_2d
from alpick.embed.pipeline import EmbedResult, embed_images
from alpick.embed.ssl import finetune_simclr
from alpick.embed.weights import save_backbone
from alpick.formats.images import ImageDecodeError, load_resized, load_rgb

__all__ = [
    "EMBED_MODELS",
    "Backbone",
    "EmbedResult",
    "ImageDecodeError",
    "ModelSpec",
    "build_backbone",
    "compute_embeddings",
    "embed_images",
    "embedding_map",
    "finetune_simclr",
    "load_backbone",
    "load_resized",
    "load_rgb",
    "pca_2d",
    "save_backbone",
]
