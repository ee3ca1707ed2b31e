"""Look inside fitted networks: Grad-CAM maps and t-SNE of the latent space.

Both work on any fitted skdomain deep estimator (through its ``module_``) or
directly on a torch module. Grad-CAM (Selvaraju et al. 2017) needs a module
with convolutional layers; the latent embedding needs ``transform`` (or a
module with ``encode``).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import torch
from sklearn.manifold import TSNE
from sklearn.preprocessing import StandardScaler
from sklearn.utils import check_random_state
from torch import nn
from torch.nn import functional as F

__all__ = ["conv_layer_names", "grad_cam", "latent_embedding", "latent_features"]

_CONV = (nn.Conv1d, nn.Conv2d, nn.Conv3d)


def _network(model) -> nn.Module:
    """The torch module of a fitted estimator, or the module itself."""
    if isinstance(model, nn.Module):
        return model
    try:
        return model.module_
    except AttributeError as error:  # an unfitted estimator raises NotFittedError (a subclass)
        raise ValueError(
            f"Expected a fitted skdomain deep estimator or a torch module, got {model!r}: {error}"
        ) from error


def conv_layer_names(model) -> list[str]:
    """Names of the convolutional layers of ``model``, in definition order.

    Parameters
    ----------
    model : fitted deep estimator or torch.nn.Module

    Returns
    -------
    list of str
        Names as in ``module.named_modules()``, usable as ``layer=`` of :func:`grad_cam`.

    Examples
    --------
    >>> from skdomain.nn import DeepMergeEncoder
    >>> conv_layer_names(DeepMergeEncoder((3, 16, 16)))
    ['features.0', 'features.4', 'features.8']
    """
    return [name for name, layer in _network(model).named_modules() if isinstance(layer, _CONV)]


def _class_indices(model, target_class, logits: torch.Tensor) -> torch.Tensor:
    n = logits.shape[0]
    if target_class is None:
        return logits.argmax(dim=1)
    classes = getattr(model, "classes_", None)
    if classes is not None and not isinstance(model, nn.Module):
        matches = np.flatnonzero(np.asarray(classes) == target_class)
        if matches.size == 0:
            raise ValueError(f"target_class={target_class!r} is not one of {list(classes)}.")
        index = int(matches[0])
    else:
        index = int(target_class)
        if not 0 <= index < logits.shape[1]:
            raise ValueError(
                f"target_class={target_class!r} is out of range for {logits.shape[1]} outputs."
            )
    return torch.full((n,), index, dtype=torch.long)


def grad_cam(model, X, *, target_class=None, layer=None, batch_size=64, normalize=True):
    """Gradient-weighted class activation maps of a convolutional network.

    For each image, the gradient of the chosen class's logit with respect to
    the activations of ``layer`` is averaged over space to weight the layer's
    channels; the ReLU of the weighted sum of channels, bilinearly resized to
    the image size, is the map: large where evidence *for* the class sits.

    Parameters
    ----------
    model : fitted deep estimator or torch.nn.Module
        A skdomain estimator fitted on images (``module="deepmerge"`` or a
        user CNN), or a module mapping images to logits.
    X : array-like of shape (n_samples, channels, height, width)
        Images, prepared as for ``predict``.
    target_class : label or None, default=None
        Class whose evidence is mapped: a label of ``model.classes_`` (an output
        index for a bare module); ``None`` uses each image's predicted class.
    layer : str or None, default=None
        Name of the layer (see :func:`conv_layer_names`; any named module
        works); ``None`` picks the last convolutional layer.
    batch_size : int, default=64
    normalize : bool, default=True
        Scale each map to a maximum of 1 (maps that are zero everywhere stay 0).

    Returns
    -------
    ndarray of shape (n_samples, height, width), float32
        Non-negative maps of the images' spatial size.

    Examples
    --------
    >>> import numpy as np
    >>> from skdomain import SourceOnlyClassifier
    >>> X = np.random.default_rng(0).random((20, 1, 16, 16), dtype=np.float32)
    >>> y = np.arange(20) % 2
    >>> clf = SourceOnlyClassifier(module="deepmerge", max_epochs=1, random_state=0).fit(X, y)
    >>> grad_cam(clf, X[:3], target_class=1).shape
    (3, 16, 16)
    """
    network = _network(model)
    X = np.asarray(X, dtype=np.float32)
    if X.ndim != 4:
        raise ValueError(
            f"X must hold images of shape (n, channels, height, width), got {X.shape}."
        )
    if not np.all(np.isfinite(X)):
        raise ValueError("X contains NaN or infinity.")
    expected = getattr(model, "input_shape_", None)
    if expected is not None and tuple(X.shape[1:]) != tuple(expected):
        raise ValueError(
            f"X has sample shape {X.shape[1:]}, but the model was fitted on {expected}."
        )
    modules = dict(network.named_modules())
    if layer is None:
        names = conv_layer_names(network)
        if not names:
            raise ValueError("The network has no convolutional layer: Grad-CAM needs one.")
        layer = names[-1]
    if layer not in modules or layer == "":
        raise ValueError(
            f"No layer named {layer!r}; convolutional layers: {conv_layer_names(network)}."
        )
    device = next(network.parameters()).device
    captured = {}

    def hook(_module, _inputs, output):
        captured["activation"] = output

    handle = modules[layer].register_forward_hook(hook)
    was_training = network.training
    network.eval()
    maps = []
    try:
        for start in range(0, X.shape[0], batch_size):
            xb = torch.as_tensor(X[start : start + batch_size], device=device)
            with torch.enable_grad():
                logits = network(xb)
                activation = captured["activation"]
                if activation.dim() != 4:
                    raise ValueError(
                        f"Layer {layer!r} outputs shape {tuple(activation.shape)}; Grad-CAM "
                        "needs a spatial (n, channels, height, width) activation."
                    )
                index = _class_indices(model, target_class, logits).to(logits.device)
                score = logits.gather(1, index[:, None]).sum()
                (gradient,) = torch.autograd.grad(score, activation)
            weights = gradient.mean(dim=(2, 3), keepdim=True)
            cam = F.relu((weights * activation.detach()).sum(dim=1, keepdim=True))
            cam = F.interpolate(cam, size=X.shape[2:], mode="bilinear", align_corners=False)
            maps.append(cam[:, 0].cpu().numpy())
    finally:
        handle.remove()
        network.train(was_training)
    maps = np.concatenate(maps).astype(np.float32)
    if normalize:
        peak = maps.reshape(len(maps), -1).max(axis=1)
        maps /= np.where(peak > 0, peak, 1.0)[:, None, None]
    return maps


def latent_features(model, X, *, batch_size=256) -> np.ndarray:
    """Latent features of ``X``: ``model.transform`` or a module's ``encode``.

    A bare module (e.g. a freshly initialized encoder, to look at the latent
    space *before* training) is run in eval mode without gradients.

    Parameters
    ----------
    model : fitted estimator or torch.nn.Module
        An estimator with ``transform`` or a module with ``encode`` (or a bare encoder).
    X : array-like
        Samples, tabular ``(n, d)`` or images ``(n, C, H, W)``.
    batch_size : int, default=256
        Samples per forward pass (for a bare module).

    Returns
    -------
    ndarray of shape (n_samples, n_latent)
        The latent features.

    Examples
    --------
    >>> import numpy as np
    >>> from skdomain.nn import DeepMergeEncoder
    >>> latent_features(DeepMergeEncoder((1, 16, 16)), np.zeros((4, 1, 16, 16))).shape
    (4, 32)
    """
    if not isinstance(model, nn.Module):
        if not hasattr(model, "transform"):
            raise ValueError(f"{model!r} has no transform method.")
        return np.asarray(model.transform(X))
    X = np.asarray(X, dtype=np.float32)
    encode = getattr(model, "encode", model)
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    try:
        with torch.no_grad():
            out = [
                encode(torch.as_tensor(X[i : i + batch_size], device=device)).flatten(1).cpu()
                for i in range(0, len(X), batch_size)
            ]
    finally:
        model.train(was_training)
    return torch.cat(out).numpy()


def latent_embedding(
    model,
    domains: Mapping,
    *,
    labels: Mapping | None = None,
    max_samples=500,
    perplexity=30.0,
    standardize=True,
    random_state=None,
    tsne_params: dict | None = None,
) -> pd.DataFrame:
    """2-d t-SNE of the latent features of several domains, embedded together.

    Parameters
    ----------
    model : fitted deep estimator or torch.nn.Module
        Anything :func:`latent_features` accepts.
    domains : mapping of name -> array-like
        Inputs of each domain, e.g. ``{"source": X_s, "target": X_t}``.
    labels : mapping of name -> array-like, optional
        Class labels of the same samples (for coloring); missing domains get NaN.
    max_samples : int or None, default=500
        At most this many randomly chosen samples per domain (t-SNE is quadratic).
    perplexity : float, default=30.0
        Passed to :class:`sklearn.manifold.TSNE` (lowered for tiny inputs).
    standardize : bool, default=True
        Scale the joint features to unit variance before t-SNE.
    random_state : int, RandomState instance or None, default=None
        Seeds the subsampling and t-SNE.
    tsne_params : dict, optional
        Further :class:`~sklearn.manifold.TSNE` parameters (e.g. ``max_iter``).

    Returns
    -------
    pandas.DataFrame
        Columns ``tsne_1``, ``tsne_2``, ``domain``, ``label``, ``index`` (the
        row of the sample in its domain's input).

    Examples
    --------
    >>> import numpy as np
    >>> from skdomain.nn import DeepMergeEncoder
    >>> rng = np.random.default_rng(0)
    >>> X = {"a": rng.random((10, 1, 16, 16)), "b": rng.random((10, 1, 16, 16))}
    >>> frame = latent_embedding(DeepMergeEncoder((1, 16, 16)), X, random_state=0)
    >>> frame.shape, sorted(frame.domain.unique())
    ((20, 5), ['a', 'b'])
    """
    if not domains:
        raise ValueError("domains is empty.")
    rng = check_random_state(random_state)
    labels = labels or {}
    features, parts = [], []
    for name, X in domains.items():
        n = len(X)
        chosen = np.arange(n)
        if max_samples is not None and n > max_samples:
            chosen = np.sort(rng.choice(n, max_samples, replace=False))
        Z = latent_features(model, np.asarray(X)[chosen])
        y = labels.get(name)
        label = np.asarray(y)[chosen] if y is not None else np.full(len(chosen), np.nan)
        features.append(Z)
        parts.append(pd.DataFrame({"domain": name, "label": label, "index": chosen}))
    Z = np.concatenate(features).astype(np.float64)
    if Z.shape[0] < 4:
        raise ValueError("t-SNE needs at least 4 samples in total.")
    if standardize:
        Z = StandardScaler().fit_transform(Z)
    tsne = TSNE(
        n_components=2,
        perplexity=min(perplexity, (Z.shape[0] - 1) / 3.0),
        init="pca",
        random_state=rng.randint(np.iinfo(np.int32).max),
        **(tsne_params or {}),
    )
    embedded = tsne.fit_transform(Z)
    frame = pd.concat(parts, ignore_index=True)
    frame.insert(0, "tsne_2", embedded[:, 1])
    frame.insert(0, "tsne_1", embedded[:, 0])
    return frame
