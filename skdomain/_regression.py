"""Deep domain-adaptation regressors: source-only, MMD and DRRN."""

from __future__ import annotations

import numbers

import torch

from ._compat import Interval, StrOptions
from .base import COMMON_PARAMETERS_DOC, BaseDeepRegressor
from .nn import DEFAULT_BANDWIDTH_MULTIPLIERS, MLPDecoder
from .nn._objectives import DECODER, ReconstructionRegressionObjective, RegressionObjective

__all__ = ["SourceOnlyRegressor", "MMDRegressor", "DRRNRegressor"]

_WEIGHT = [Interval(numbers.Real, 0, None, closed="left")]

_MMD_CONSTRAINTS = {
    "mmd_weight": _WEIGHT,
    "mmd_estimator": [StrOptions({"unbiased", "biased", "linear"})],
    "bandwidths": ["array-like", None],
    "bandwidth_multipliers": ["array-like"],
}

_MMD_DOC = """mmd_estimator : {"unbiased", "biased", "linear"}, default="unbiased"
        MMD^2 estimator used on each batch pair.
    bandwidths : sequence of float or None, default=None
        Fixed kernel bandwidths; ``None`` uses the median heuristic per batch.
    bandwidth_multipliers : sequence of float, default=(0.25, 0.5, 1, 2, 4)
        Multipliers of the median-heuristic ``sigma^2``."""

_ATTRIBUTES_DOC = """y_mean_, y_scale_ : ndarray of shape (n_outputs,)
        Standardization of the targets (undone by ``predict``).
    n_features_in_ : int
        Number of features (for images: channels) seen in ``fit``.
    feature_names_in_ : ndarray of str
        Column names, when ``X`` was a DataFrame with string column names.
    input_shape_ : tuple of int
        Shape of one sample.
    n_latent_ : int
        Size of the latent features returned by ``transform``.
    net_ : skorch NeuralNet
        The trained skorch net.
    module_ : DomainAdaptationNetwork
        The trained torch network (``encoder``, ``head``, ``extra_heads``).
    history_ : skorch History
        Per-epoch ``train_loss`` and the mean of each loss term."""


class _DeepRegressor(BaseDeepRegressor):
    """The tags shared by the deep regressors (multi-output targets)."""

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags


class SourceOnlyRegressor(_DeepRegressor):
    __doc__ = f"""Deep regressor trained on the source domain only: the no-DA baseline.

    An MLP (or any encoder given as ``module``) with a linear head, trained on
    the mean squared error of standardized targets. ``X_target`` is accepted and
    ignored, so pipelines and grid searches stay uniform across methods. Train
    it on a scatter-augmented set (:func:`skdomain.datasets.augment_scatter`)
    to get the SANN of the cluster-mass study.

    Parameters
    ----------
    {COMMON_PARAMETERS_DOC}

    Attributes
    ----------
    {_ATTRIBUTES_DOC}

    See Also
    --------
    DRRNRegressor, MMDRegressor

    Examples
    --------
    >>> import numpy as np
    >>> from skdomain import SourceOnlyRegressor
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 3))
    >>> y = X @ [1.0, -2.0, 0.5]
    >>> reg = SourceOnlyRegressor(hidden_units=(32,), max_epochs=30, random_state=0).fit(X, y)
    >>> bool(reg.score(X, y) > 0.9)
    True
    """

    def __init__(
        self,
        *,
        module=None,
        hidden_units=(64, 64),
        dropout=0.0,
        max_epochs=100,
        batch_size=64,
        lr=1e-3,
        optimizer=torch.optim.Adam,
        weight_decay=0.0,
        device="cpu",
        random_state=None,
        verbose=0,
        callbacks=None,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=10,
        warm_start=False,
    ):
        self.module = module
        self.hidden_units = hidden_units
        self.dropout = dropout
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.lr = lr
        self.optimizer = optimizer
        self.weight_decay = weight_decay
        self.device = device
        self.random_state = random_state
        self.verbose = verbose
        self.callbacks = callbacks
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.warm_start = warm_start

    def _make_objective(self):
        return RegressionObjective()

    def _uses_target(self) -> bool:
        return False


class MMDRegressor(_DeepRegressor):
    __doc__ = f"""Deep regressor whose latent features are aligned across domains by MMD.

    Each step adds ``mmd_weight * MMD^2(source latents, target latents)`` to the
    source mean squared error (see :func:`skdomain.nn.mmd2`).

    Parameters
    ----------
    {COMMON_PARAMETERS_DOC}
    mmd_weight : float, default=1.0
        Weight of the MMD^2 term; 0 gives a source-only model.
    {_MMD_DOC}

    Attributes
    ----------
    {_ATTRIBUTES_DOC}

    See Also
    --------
    DRRNRegressor, SourceOnlyRegressor

    Examples
    --------
    >>> import numpy as np
    >>> from skdomain import MMDRegressor
    >>> rng = np.random.default_rng(0)
    >>> X, X_target = rng.normal(size=(100, 3)), rng.normal(0.5, 1, size=(100, 3))
    >>> reg = MMDRegressor(max_epochs=3, random_state=0).fit(X, X[:, 0], X_target=X_target)
    >>> "mmd_loss" in reg.history_[-1]
    True
    """

    _parameter_constraints = {**_DeepRegressor._parameter_constraints, **_MMD_CONSTRAINTS}

    def __init__(
        self,
        *,
        module=None,
        hidden_units=(64, 64),
        dropout=0.0,
        max_epochs=100,
        batch_size=64,
        lr=1e-3,
        optimizer=torch.optim.Adam,
        weight_decay=0.0,
        device="cpu",
        random_state=None,
        verbose=0,
        callbacks=None,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=10,
        warm_start=False,
        mmd_weight=1.0,
        mmd_estimator="unbiased",
        bandwidths=None,
        bandwidth_multipliers=DEFAULT_BANDWIDTH_MULTIPLIERS,
    ):
        self.module = module
        self.hidden_units = hidden_units
        self.dropout = dropout
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.lr = lr
        self.optimizer = optimizer
        self.weight_decay = weight_decay
        self.device = device
        self.random_state = random_state
        self.verbose = verbose
        self.callbacks = callbacks
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.warm_start = warm_start
        self.mmd_weight = mmd_weight
        self.mmd_estimator = mmd_estimator
        self.bandwidths = bandwidths
        self.bandwidth_multipliers = bandwidth_multipliers

    def _make_objective(self):
        return RegressionObjective(
            mmd_weight=self.mmd_weight,
            mmd_estimator=self.mmd_estimator,
            bandwidths=self.bandwidths,
            bandwidth_multipliers=self.bandwidth_multipliers,
        )


class DRRNRegressor(_DeepRegressor):
    __doc__ = f"""Deep Reconstruction-Regression Network: semi-supervised DA for regression.

    A shared encoder feeds a regression head, trained on the labeled source,
    and a decoder that reconstructs the inputs of both domains (mean squared
    error), so that the latent space must describe the unlabeled target data
    as well as the source (after the DRCN of Ghifary et al. 2016; used for
    cluster masses in the seed study). The loss is
    ``MSE(y) + reconstruction_weight * MSE(x, decoder(encoder(x)))
    + mmd_weight * MMD^2``. Standardize the inputs (e.g. in a
    :func:`~skdomain.make_da_pipeline` with a ``StandardScaler``): the
    reconstruction error is measured in their units.

    Parameters
    ----------
    {COMMON_PARAMETERS_DOC}
    reconstruction_weight : float, default=1.0
        Weight of the reconstruction term; 0 gives a source-only model (plus MMD).
    reconstruct : {{"both", "target", "source"}}, default="both"
        Which domains the decoder reconstructs (without ``X_target``: the source).
    decoder_hidden_units : tuple of int or None, default=None
        Hidden widths of the decoder; ``None`` mirrors the encoder's hidden
        layers (all but the latent one, in reverse).
    mmd_weight : float, default=0.0
        Weight of an optional MMD^2 term between the latent features of the
        two domains.
    {_MMD_DOC}

    Attributes
    ----------
    {_ATTRIBUTES_DOC}

    See Also
    --------
    SourceOnlyRegressor, MMDRegressor, skdomain.nn.MLPDecoder

    Examples
    --------
    >>> import numpy as np
    >>> from skdomain import DRRNRegressor
    >>> rng = np.random.default_rng(0)
    >>> X, X_target = rng.normal(size=(100, 4)), rng.normal(0.5, 1, size=(100, 4))
    >>> reg = DRRNRegressor(max_epochs=3, random_state=0).fit(X, X[:, 0], X_target=X_target)
    >>> reg.transform(X_target).shape
    (100, 64)
    >>> sorted(k for k in reg.history_[-1] if k.endswith("_loss"))
    ['reconstruction_loss', 'regression_loss', 'train_loss']
    """

    _parameter_constraints = {
        **_DeepRegressor._parameter_constraints,
        **_MMD_CONSTRAINTS,
        "reconstruction_weight": _WEIGHT,
        "reconstruct": [StrOptions({"both", "target", "source"})],
        "decoder_hidden_units": ["array-like", None],
    }

    def __init__(
        self,
        *,
        module=None,
        hidden_units=(64, 64),
        dropout=0.0,
        max_epochs=100,
        batch_size=64,
        lr=1e-3,
        optimizer=torch.optim.Adam,
        weight_decay=0.0,
        device="cpu",
        random_state=None,
        verbose=0,
        callbacks=None,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=10,
        warm_start=False,
        reconstruction_weight=1.0,
        reconstruct="both",
        decoder_hidden_units=None,
        mmd_weight=0.0,
        mmd_estimator="unbiased",
        bandwidths=None,
        bandwidth_multipliers=DEFAULT_BANDWIDTH_MULTIPLIERS,
    ):
        self.module = module
        self.hidden_units = hidden_units
        self.dropout = dropout
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.lr = lr
        self.optimizer = optimizer
        self.weight_decay = weight_decay
        self.device = device
        self.random_state = random_state
        self.verbose = verbose
        self.callbacks = callbacks
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.warm_start = warm_start
        self.reconstruction_weight = reconstruction_weight
        self.reconstruct = reconstruct
        self.decoder_hidden_units = decoder_hidden_units
        self.mmd_weight = mmd_weight
        self.mmd_estimator = mmd_estimator
        self.bandwidths = bandwidths
        self.bandwidth_multipliers = bandwidth_multipliers

    def _build_extra_heads(self, latent_dim, sample_shape, n_outputs):
        if self.decoder_hidden_units is None:
            hidden = tuple(self.hidden_units)[:-1][::-1] if self.module in (None, "mlp") else ()
            hidden = hidden or (max(latent_dim, 16),)
        else:
            hidden = tuple(self.decoder_hidden_units)
        return {DECODER: MLPDecoder(latent_dim, sample_shape, hidden)}

    def _make_objective(self):
        return ReconstructionRegressionObjective(
            reconstruction_weight=self.reconstruction_weight,
            reconstruct=self.reconstruct,
            mmd_weight=self.mmd_weight,
            mmd_estimator=self.mmd_estimator,
            bandwidths=self.bandwidths,
            bandwidth_multipliers=self.bandwidth_multipliers,
        )
