"""Deep domain-adaptation classifiers: source-only, MMD, DANN and Deep CORAL.

Each is a declaration of its own parameters plus the terms it adds to the
cross-entropy (see :mod:`skdomain.base`): the public extension API.
"""

from __future__ import annotations

from .base import BaseDeepClassifier, Parameter, non_negative, one_of
from .nn import (
    DEFAULT_BANDWIDTH_MULTIPLIERS,
    DISCRIMINATOR,
    CORALTerm,
    DomainAdversarialTerm,
    DomainDiscriminator,
    MMDTerm,
)

__all__ = ["SourceOnlyClassifier", "MMDClassifier", "DANNClassifier", "DeepCORALClassifier"]

#: The declarations every classifier inherits, by name.
_INHERITED = {parameter.name: parameter for parameter in BaseDeepClassifier._all_parameters}

#: The MMD kernel options, shared with the MMD regressors.
_MMD_KERNEL_PARAMETERS = (
    Parameter(
        "mmd_estimator", "unbiased", [one_of("unbiased", "biased", "linear")],
        '{"unbiased", "biased", "linear"}', "MMD^2 estimator used on each batch pair.",
    ),
    Parameter(
        "bandwidths", None, ["array-like", None], "sequence of float or None",
        "Fixed kernel bandwidths; ``None`` uses the median heuristic per batch.",
    ),
    Parameter(
        "bandwidth_multipliers", DEFAULT_BANDWIDTH_MULTIPLIERS, ["array-like"],
        "sequence of float", "Multipliers of the median-heuristic ``sigma^2``.",
        default_doc="(0.25, 0.5, 1, 2, 4)",
    ),
)


def _mmd_term(estimator) -> MMDTerm:
    """The MMD term of an estimator with ``mmd_weight`` and the kernel options."""
    return MMDTerm(
        estimator.mmd_weight,
        estimator=estimator.mmd_estimator,
        bandwidths=estimator.bandwidths,
        bandwidth_multipliers=estimator.bandwidth_multipliers,
    )


class SourceOnlyClassifier(BaseDeepClassifier):
    __doc__ = """Deep classifier trained on the source domain only: the no-DA baseline.

    The same network and training loop as :class:`MMDClassifier` and
    :class:`DANNClassifier` without any alignment term, so that comparisons
    isolate the effect of adaptation. ``X_target`` is accepted and ignored (it
    is never used for training), which keeps pipelines and grid searches
    uniform across methods.

    {sections}

    {moons_example}
    >>> clf.predict_proba(X_target).shape
    (200, 2)
    """

    see_also = ("MMDClassifier", "DANNClassifier")

    def _uses_target(self) -> bool:
        return False


class MMDClassifier(BaseDeepClassifier):
    __doc__ = """Deep classifier aligned across domains by maximum mean discrepancy.

    Each step draws a source and a target batch of the same size, passes both
    through the encoder, and adds ``mmd_weight * MMD^2(source latents, target
    latents)`` (multi-bandwidth Gaussian kernel, median heuristic) to the
    source cross-entropy, optionally with Fisher and entropy terms
    (Ciprijanovic et al. 2021).

    {sections}

    {moons_example}
    >>> clf.transform(X_target).shape
    (200, 64)
    >>> sorted(k for k in clf.history_[-1] if k.endswith("_loss"))
    ['classification_loss', 'mmd_loss', 'train_loss']
    """

    see_also = ("DANNClassifier", "SourceOnlyClassifier", "skdomain.nn.mmd2")

    parameters = (
        Parameter.weight(
            "mmd_weight", 5.0,
            """Weight of the MMD^2 term; 0 gives a source-only model. The kernel is
            the *mean* of five Gaussians, so 5 matches weight 1 with the sum of five
            kernels used by DAN-style implementations.""",
        ),
        *_MMD_KERNEL_PARAMETERS,
    )

    def _make_terms(self):
        return [_mmd_term(self)]


class DANNClassifier(BaseDeepClassifier):
    __doc__ = """Domain-adversarial neural network (Ganin et al. 2016).

    A domain discriminator sits behind a gradient reversal layer on the latent
    features: the discriminator learns to tell source from target, while the
    reversed gradient teaches the encoder features it cannot tell apart. The
    reversal coefficient follows ``2 / (1 + exp(-10 p)) - 1`` over training
    progress ``p`` (``grl_schedule="dann"``) or stays at 1 (``"constant"``).
    The default learning rate, 1e-2, is the one of the DANN paper. With Adam at
    that rate a ReLU discriminator's units died in most fits on moons rotated
    about the origin (constant output, domain loss stuck at ``ln 2``, no
    gradient for the encoder), so the discriminator's hidden activations are
    leaky ReLUs (slope 0.2), whose units cannot die; see
    ``benchmarks/dann_diagnosis.py`` and ``docs/benchmarks.md``.

    {sections}

    {moons_example}
    >>> "domain_loss" in clf.history_[-1]
    True
    """

    see_also = ("MMDClassifier", "SourceOnlyClassifier", "skdomain.nn.GradientReversal")

    parameters = (
        _INHERITED["lr"].replace(default=1e-2, default_doc="1e-2"),
        Parameter.weight(
            "domain_weight", 1.0,
            "Weight of the domain-discriminator loss; 0 gives a source-only model.",
        ),
        Parameter(
            "discriminator_hidden_units", (64, 64), ["array-like"], "tuple of int",
            "Hidden widths of the domain discriminator.",
        ),
        Parameter(
            "grl_schedule", "dann", [one_of("dann", "constant")], '{"dann", "constant"}',
            "Gradient reversal coefficient over training.",
        ),
    )

    def _build_extra_heads(self, latent_dim, sample_shape, n_outputs):
        return {
            DISCRIMINATOR: DomainDiscriminator(
                latent_dim, tuple(self.discriminator_hidden_units), negative_slope=0.2
            )
        }

    def _make_terms(self):
        return [DomainAdversarialTerm(self.domain_weight, schedule=self.grl_schedule)]


class DeepCORALClassifier(BaseDeepClassifier):
    __doc__ = """Deep CORAL: latent covariances aligned across domains (Sun & Saenko 2016).

    Each step adds ``coral_weight * ||C_s - C_t||_F^2 / (4 d^2)`` to the source
    cross-entropy, with ``C_s``, ``C_t`` the covariance matrices of the ``d``
    latent features of the source and target batches
    (:func:`skdomain.nn.coral_loss`): second-order statistics only, no kernel
    and no bandwidth to choose.

    {sections}

    {moons_example}
    >>> sorted(k for k in clf.history_[-1] if k.endswith("_loss"))
    ['classification_loss', 'coral_loss', 'train_loss']
    """

    see_also = ("MMDClassifier", "skdomain.nn.CORALTerm")

    parameters = (
        Parameter(
            "coral_weight", 1e4, non_negative(), "float",
            """Weight of the CORAL term; 0 gives a source-only model. The
            ``1 / (4 d^2)`` of the loss makes it tiny for the 64 default latent
            features, so the weight is large: on rotated moons (300 samples,
            30 degrees, seeds 0-2) 1e4 raised target accuracy from 0.78-0.79
            (source only) to 0.86-0.96, while 1 to 1e3 changed little. Scale it
            with ``d^2`` for other latent sizes.""",
            default_doc="1e4",
        ),
    )

    def _make_terms(self):
        return [CORALTerm(self.coral_weight)]
