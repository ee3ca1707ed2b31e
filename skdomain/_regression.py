"""Deep domain-adaptation regressors: source-only, MMD and DRRN."""

from __future__ import annotations

from ._classification import _MMD_KERNEL_PARAMETERS, _mmd_term
from .base import BaseDeepRegressor, Parameter, one_of
from .nn import DECODER, MLPDecoder, ReconstructionTerm

__all__ = ["SourceOnlyRegressor", "MMDRegressor", "DRRNRegressor"]



class SourceOnlyRegressor(BaseDeepRegressor):
    __doc__ = """Deep regressor trained on the source domain only: the no-DA baseline.

    An MLP (or any encoder given as ``module``) with a linear head, trained on
    the mean squared error of standardized targets. ``X_target`` is accepted and
    ignored, so pipelines and grid searches stay uniform across methods. Train
    it on a scatter-augmented set (:func:`skdomain.datasets.augment_scatter`)
    to get the SANN of the cluster-mass study.

    {sections}

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

    see_also = ("DRRNRegressor", "MMDRegressor")

    def _uses_target(self) -> bool:
        return False


class MMDRegressor(BaseDeepRegressor):
    __doc__ = """Deep regressor whose latent features are aligned across domains by MMD.

    Each step adds ``mmd_weight * MMD^2(source latents, target latents)`` to the
    source mean squared error (see :func:`skdomain.nn.mmd2`).

    {sections}

    {shifted_regression_example}
    >>> "mmd_loss" in reg.history_[-1]
    True
    """

    see_also = ("DRRNRegressor", "SourceOnlyRegressor")

    parameters = (
        Parameter.weight(
            "mmd_weight", 1.0, "Weight of the MMD^2 term; 0 gives a source-only model."
        ),
        *_MMD_KERNEL_PARAMETERS,
    )

    def _make_terms(self):
        return [_mmd_term(self)]


class DRRNRegressor(BaseDeepRegressor):
    __doc__ = """Deep Reconstruction-Regression Network: semi-supervised DA for regression.

    A shared encoder feeds a regression head, trained on the labeled source,
    and a decoder that reconstructs the inputs of both domains (mean squared
    error), so that the latent space must describe the unlabeled target data
    as well as the source (after the DRCN of Ghifary et al. 2016; used for
    cluster masses in the seed study). The loss is
    ``MSE(y) + reconstruction_weight * MSE(x, decoder(encoder(x)))
    + mmd_weight * MMD^2``. Standardize the inputs (e.g. in a
    :func:`~skdomain.make_da_pipeline` with a ``StandardScaler``): the
    reconstruction error is measured in their units.

    {sections}

    {shifted_regression_example}
    >>> reg.transform(X_target).shape
    (100, 64)
    >>> sorted(k for k in reg.history_[-1] if k.endswith("_loss"))
    ['reconstruction_loss', 'regression_loss', 'train_loss']
    """

    see_also = ("SourceOnlyRegressor", "MMDRegressor", "skdomain.nn.MLPDecoder")

    parameters = (
        Parameter.weight(
            "reconstruction_weight", 1.0,
            "Weight of the reconstruction term; 0 gives a source-only model (plus MMD).",
        ),
        Parameter(
            "reconstruct", "both", [one_of("both", "target", "source")],
            '{"both", "target", "source"}',
            "Which domains the decoder reconstructs (without ``X_target``: the source).",
        ),
        Parameter(
            "decoder_hidden_units", None, ["array-like", None], "tuple of int or None",
            """Hidden widths of the decoder; ``None`` mirrors the encoder's hidden
            layers (all but the latent one, in reverse).""",
        ),
        Parameter.weight(
            "mmd_weight", 0.0,
            """Weight of an optional MMD^2 term between the latent features of the
            two domains.""",
        ),
        *_MMD_KERNEL_PARAMETERS,
    )

    def _build_extra_heads(self, latent_dim, sample_shape, n_outputs):
        if self.decoder_hidden_units is None:
            hidden = tuple(self.hidden_units)[:-1][::-1] if self.module in (None, "mlp") else ()
            hidden = hidden or (max(latent_dim, 16),)
        else:
            hidden = tuple(self.decoder_hidden_units)
        return {DECODER: MLPDecoder(latent_dim, sample_shape, hidden)}

    def _make_terms(self):
        return [
            _mmd_term(self),
            ReconstructionTerm(self.reconstruction_weight, reconstruct=self.reconstruct),
        ]
