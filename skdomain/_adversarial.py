"""Class-aware domain-adaptation classifiers: CDAN(+E), MCC and DeepJDOT.

Each is a declaration of its own parameters plus the term it adds to the
cross-entropy (:mod:`skdomain.base`'s extension API); the terms live in
:mod:`skdomain.nn`.
"""

from __future__ import annotations

from ._classification import DANNClassifier
from .base import BaseDeepClassifier, Parameter, interval, non_negative
from .nn import (
    CONDITIONAL_DISCRIMINATOR,
    ConditionalAdversarialTerm,
    DomainDiscriminator,
    JointTransportTerm,
    MinimumClassConfusionTerm,
)

__all__ = ["CDANClassifier", "MCCClassifier", "DeepJDOTClassifier"]

#: DANN's declarations of what CDAN shares with it (discriminator, schedule).
_DANN = {parameter.name: parameter for parameter in DANNClassifier.parameters}


class CDANClassifier(BaseDeepClassifier):
    __doc__ = """Conditional domain-adversarial network, CDAN+E (Long et al. 2018).

    Like :class:`DANNClassifier`, a domain discriminator behind a gradient
    reversal layer, but it sees the outer product of the latent features and
    the predicted class probabilities, so the encoder aligns the joint law of
    features and classes rather than the features alone (which lets DANN map
    one class of a domain onto another). With ``entropy_conditioning`` each
    sample's domain loss is weighted by ``1 + exp(-H(p))``, so that uncertain
    predictions steer the alignment less (CDAN+E).

    Reference: M. Long, Z. Cao, J. Wang, M. I. Jordan, "Conditional Adversarial
    Domain Adaptation", NeurIPS 2018.

    {sections}

    {moons_example}
    >>> "conditional_domain_loss" in clf.history_[-1]
    True
    """

    see_also = ("DANNClassifier", "MCCClassifier", "skdomain.nn.ConditionalAdversarialTerm")

    parameters = (
        _DANN["lr"].replace(
            doc="""Learning rate. 1e-2: at 1e-3 the conditional discriminator barely
            moved the encoder in 100 epochs on rotated moons; its leaky
            activations keep its units alive at 1e-2."""
        ),
        Parameter.weight(
            "domain_weight", 1.0,
            "Weight of the conditional domain loss; 0 gives a source-only model.",
        ),
        Parameter(
            "entropy_conditioning", True, ["boolean"], "bool",
            "Weight each sample by ``1 + exp(-entropy)`` of its prediction (CDAN+E).",
        ),
        _DANN["discriminator_hidden_units"],
        _DANN["grl_schedule"],
    )

    def _build_extra_heads(self, latent_dim, sample_shape, n_outputs):
        return {
            CONDITIONAL_DISCRIMINATOR: DomainDiscriminator(
                latent_dim * n_outputs,
                tuple(self.discriminator_hidden_units),
                negative_slope=0.2,
            )
        }

    def _make_terms(self):
        return [
            ConditionalAdversarialTerm(
                self.domain_weight,
                entropy_conditioning=self.entropy_conditioning,
                schedule=self.grl_schedule,
            )
        ]


class MCCClassifier(BaseDeepClassifier):
    __doc__ = """Minimum class confusion (Jin et al. 2020).

    Adds ``mcc_weight`` times the class confusion of the target predictions:
    the off-diagonal mass of the (entropy-weighted, row-normalized) class
    correlation matrix ``p^T W p`` of the temperature-scaled target
    probabilities. Minimizing it pushes target rows to one class each
    without forcing them all into the same class, and needs no
    discriminator and no kernel.

    Reference: Y. Jin, X. Wang, M. Long, J. Wang, "Minimum Class Confusion for
    Versatile Domain Adaptation", ECCV 2020.

    {sections}

    {moons_example}
    >>> sorted(k for k in clf.history_[-1] if k.endswith("_loss"))
    ['classification_loss', 'mcc_loss', 'train_loss']
    """

    see_also = ("CDANClassifier", "skdomain.nn.minimum_class_confusion_loss")

    parameters = (
        Parameter.weight(
            "mcc_weight", 1.0, "Weight of the class-confusion term; 0 gives a source-only model."
        ),
        Parameter(
            "temperature", 1.0, [interval("real", 0, None, closed="neither")], "float",
            "Softmax temperature of the class confusion. The paper used 2.5 on "
            "31- to 65-class image benchmarks; on the 16 two- to ten-class tasks of "
            "our benchmark suite 1.0 was better on 8 (by up to 14 points), worse on "
            "2 (by up to 1.8) and level on the rest (docs/benchmarks.md).",
        ),
    )

    def _make_terms(self):
        return [MinimumClassConfusionTerm(self.mcc_weight, temperature=self.temperature)]


class DeepJDOTClassifier(BaseDeepClassifier):
    __doc__ = """Deep joint distribution optimal transport (Damodaran et al. 2018).

    On each pair of batches the exact optimal transport plan between source
    and target rows is solved (POT's ``ot.emd``, uniform weights) for the
    ground cost ``feature_weight * ||f_s - f_t||^2 + label_weight *
    CE(y_s, p_t)`` (the paper's cost, not scaled by the latent size), and
    ``jdot_weight`` times the transported cost joins the loss: target rows are
    pulled towards the source rows of similar features and predicted towards
    their labels.

    Reference: B. B. Damodaran, B. Kellenberger, R. Flamary, D. Tuia, N. Courty,
    "DeepJDOT: Deep Joint Distribution Optimal Transport for Unsupervised
    Domain Adaptation", ECCV 2018.

    {sections}

    {moons_example}
    >>> "jdot_loss" in clf.history_[-1]
    True
    """

    see_also = ("MMDClassifier", "skdomain.nn.jdot_loss")

    parameters = (
        Parameter.weight(
            "jdot_weight", 1.0, "Weight of the transport cost; 0 gives a source-only model."
        ),
        Parameter(
            "feature_weight", 1.0, non_negative(), "float",
            "Weight of the latent distance in the ground cost (the paper's alpha).",
        ),
        Parameter(
            "label_weight", 1.0, non_negative(), "float",
            "Weight of the label cross-entropy in the ground cost (the paper's lambda_t).",
        ),
    )

    def _make_terms(self):
        return [
            JointTransportTerm(
                self.jdot_weight,
                feature_weight=self.feature_weight,
                label_weight=self.label_weight,
            )
        ]
