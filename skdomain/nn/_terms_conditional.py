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
from ._terms import Term

__all__ = [
    "CONDITIONAL_DISCRIMINATOR",
    "ConditionalAdversarialTerm",
    "MinimumClassConfusionTerm",
    "JointTransportTerm",
]

#: Name of the extra head holding the CDAN discriminator (input: latent x classes).
CONDITIONAL_DISCRIMINATOR = "conditional_discriminator"


class ConditionalAdversarialTerm(Term):
    """CDAN: discriminator on ``features ⊗ softmax(logits)`` behind gradient reversal.

    Needs an extra head named ``"conditional_discriminator"`` (a
    :class:`~skdomain.nn.DomainDiscriminator` of input size
    ``n_latent * n_classes``). The class probabilities are detached, as in the
    authors' code, so the reversed gradient reaches the encoder through the
    features. With ``entropy_conditioning`` every sample is weighted by
    ``1 + exp(-H(p))`` (CDAN+E). The reversal coefficient follows
    ``schedule`` (``"dann"`` or ``"constant"``).
    """

    name = "conditional_domain_loss"

    def __init__(self, weight=1.0, *, entropy_conditioning=True, schedule="dann"):
        super().__init__(weight)
        self.entropy_conditioning = bool(entropy_conditioning)
        self.schedule = schedule

    def forward(self, batch):
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


class MinimumClassConfusionTerm(Term):
    """MCC: class confusion of the target predictions at temperature ``temperature``."""

    name = "mcc_loss"

    def __init__(self, weight=1.0, *, temperature=2.5):
        super().__init__(weight)
        self.temperature = float(temperature)

    def forward(self, batch):
        return minimum_class_confusion_loss(batch.target_outputs, self.temperature)


class JointTransportTerm(Term):
    """DeepJDOT: optimal-transport cost of features and labels between the batches."""

    name = "jdot_loss"

    def __init__(self, weight=1.0, *, feature_weight=1.0, label_weight=1.0):
        super().__init__(weight)
        self.feature_weight = float(feature_weight)
        self.label_weight = float(label_weight)

    def forward(self, batch):
        return jdot_loss(
            batch.source_features,
            batch.target_features,
            batch.y_source,
            batch.target_outputs,
            feature_weight=self.feature_weight,
            label_weight=self.label_weight,
        )
