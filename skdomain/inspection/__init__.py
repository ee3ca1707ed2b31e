"""Look inside a fitted model: Grad-CAM maps and latent embeddings (t-SNE, PCA)."""

from ._inspection import (
    conv_layer_names,
    grad_cam,
    latent_embedding,
    latent_features,
)

__all__ = [
    "conv_layer_names",
    "grad_cam",
    "latent_embedding",
    "latent_features",
]
