"""Terms of CDAN, MCC and DeepJDOT: class-aware alignment of the two domains.

- :class:`ConditionalAdversarialTerm`: a domain discriminator on the outer
  product of latent features and class probabilities (CDAN, optionally with
  entropy conditioning, CDAN+E);
- :class:`MinimumClassConfusionTerm`: the class confusion of the target
  predictions (MCC);
- :class:`JointTransportTerm`: the joint feature/label optimal transport cost
  between a source and a target batch (DeepJDOT).

Nothing here knows about scikit-learn.
"""

from __future__ import annotations

import torch.nn.functional as F

from ._losses import (
    conditional_adversarial_loss,
    entropy_weights,
    jdot_loss,
    minimum_class_confusion_loss,
    multilinear_map,
)
from ._modules import dann_schedule
from ._terms import Term, _with_example_batch

__all__ = [
    "CONDITIONAL_DISCRIMINATOR",
    "ConditionalAdversarialTerm",
    "MinimumClassConfusionTerm",
    "JointTransportTerm",
]

#: Name of the extra head holding the CDAN discriminator (input: latent x classes).
CONDITIONAL_DISCRIMINATOR = "conditional_discriminator"


@_with_example_batch
class ConditionalAdversarialTerm(Term):
    """CDAN: discriminator on ``features ⊗ softmax(logits)`` behind gradient reversal.

    Needs an extra head named ``"conditional_discriminator"`` (a
    :class:`~skdomain.nn.DomainDiscriminator` of input size
    ``n_latent * n_classes``). The class probabilities are detached, as in the
    authors' code, so the reversed gradient reaches the encoder through the
    features. With ``entropy_conditioning`` every sample is weighted by
    ``1 + exp(-H(p))`` (CDAN+E). The reversal coefficient follows
    ``schedule`` (``"dann"`` or ``"constant"``).

    Parameters
    ----------
    weight : float, default=1.0
        Multiplier of the term in the total loss; 0 switches it off.
    entropy_conditioning : bool, default=True
        Weight samples by :func:`~skdomain.nn.entropy_weights` (CDAN+E).
    schedule : {"dann", "constant"}, default="dann"
        Gradient reversal coefficient: ``2 / (1 + exp(-10 p)) - 1`` of the
        training progress ``p``, or 1.

    Examples
    --------
    {example_batch}
    >>> from skdomain.nn import ConditionalAdversarialTerm, DomainDiscriminator
    >>> net.extra_heads["conditional_discriminator"] = DomainDiscriminator(4 * 2)
    >>> loss = ConditionalAdversarialTerm()(batch)
    >>> loss.shape, bool(torch.isfinite(loss) and loss > 0)
    (torch.Size([]), True)
    """

    name = "conditional_domain_loss"

    def __init__(self, weight=1.0, *, entropy_conditioning=True, schedule="dann"):
        super().__init__(weight)
        self.entropy_conditioning = bool(entropy_conditioning)
        self.schedule = schedule

    def forward(self, batch):
        """Weighted domain loss of the discriminator on ``features ⊗ softmax(logits)``."""
        discriminator = batch.network.extra_heads[CONDITIONAL_DISCRIMINATOR]
        discriminator.reversal.coefficient = (
            dann_schedule(batch.progress) if self.schedule == "dann" else 1.0
        )
        logits_s, logits_t = batch.source_outputs, batch.target_outputs
        maps = [
            multilinear_map(f, F.softmax(z, dim=1).detach())
            for f, z in ((batch.source_features, logits_s), (batch.target_features, logits_t))
        ]
        weights = (
            (entropy_weights(logits_s), entropy_weights(logits_t))
            if self.entropy_conditioning
            else (None, None)
        )
        return conditional_adversarial_loss(
            discriminator(maps[0]), discriminator(maps[1]), *weights
        )


@_with_example_batch
class MinimumClassConfusionTerm(Term):
    """MCC: class confusion of the target predictions at temperature ``temperature``.

    The value is :func:`~skdomain.nn.minimum_class_confusion_loss` of the
    target outputs; it needs no extra head.

    Parameters
    ----------
    weight : float, default=1.0
        Multiplier of the term in the total loss; 0 switches it off.
    temperature : float, default=1.0
        Softmax temperature of the target logits; must be > 0.

    Examples
    --------
    {example_batch}
    >>> from skdomain.nn import MinimumClassConfusionTerm
    >>> loss = MinimumClassConfusionTerm()(batch)
    >>> bool(0 <= loss <= 0.5)  # in [0, 1 - 1/C] for C = 2 classes
    True
    """

    name = "mcc_loss"

    def __init__(self, weight=1.0, *, temperature=1.0):
        super().__init__(weight)
        self.temperature = float(temperature)

    def forward(self, batch):
        """Minimum class confusion loss of the target outputs."""
        return minimum_class_confusion_loss(batch.target_outputs, self.temperature)


@_with_example_batch
class JointTransportTerm(Term):
    """DeepJDOT: optimal-transport cost of features and labels between the batches.

    The value is :func:`~skdomain.nn.jdot_loss` of the source and target
    latent features, the source labels and the target outputs; it needs the
    POT package and no extra head.

    Parameters
    ----------
    weight : float, default=1.0
        Multiplier of the term in the total loss; 0 switches it off.
    feature_weight : float, default=1.0
        Multiplier of the feature distance in the ground cost.
    label_weight : float, default=1.0
        Multiplier of the label cross-entropy in the ground cost.

    Examples
    --------
    {example_batch}
    >>> from skdomain.nn import JointTransportTerm
    >>> loss = JointTransportTerm(label_weight=0.5)(batch)
    >>> loss.shape, bool(torch.isfinite(loss) and loss >= 0)
    (torch.Size([]), True)
    """

    name = "jdot_loss"

    def __init__(self, weight=1.0, *, feature_weight=1.0, label_weight=1.0):
        super().__init__(weight)
        self.feature_weight = float(feature_weight)
        self.label_weight = float(label_weight)

    def forward(self, batch):
        """Joint feature/label transport cost between the source and target batches."""
        return jdot_loss(
            batch.source_features,
            batch.target_features,
            batch.y_source,
            batch.target_outputs,
            feature_weight=self.feature_weight,
            label_weight=self.label_weight,
        )
