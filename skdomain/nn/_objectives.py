"""Training objectives: how the terms of a domain-adaptation loss are combined.

An objective is a ``torch.nn.Module`` called once per training step as
``objective(network, x_source, y_source, x_target, progress)``. It returns a dict
of scalar tensors: ``"loss"``, the weighted total to back-propagate, and one
entry per term (``"classification_loss"``, ``"mmd_loss"``, ...), each of which
the training loop records per epoch. ``x_target`` is ``None`` when there is no
target data; ``progress`` in [0, 1] is the fraction of training done (used by
schedules such as DANN's gradient reversal).

Objectives own the parameters that belong to a loss rather than to the network
(the Fisher loss's class centers), so the optimizer trains them too. Nothing
here knows about scikit-learn.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from ._contrastive import augment, nt_xent_loss
from ._losses import (
    DEFAULT_BANDWIDTH_MULTIPLIERS,
    domain_adversarial_loss,
    entropy_loss,
    fisher_loss,
    mmd2,
)
from ._modules import DomainAdaptationNetwork, dann_schedule
from ._open_set_losses import (
    adaptive_clustering_loss,
    default_rho,
    entropy_separation_loss,
    neighborhood_clustering_loss,
)

__all__ = [
    "UniversalObjective",
    "PROJECTION",
    "Objective",
    "ClassificationObjective",
    "RegressionObjective",
    "ReconstructionRegressionObjective",
    "DISCRIMINATOR",
    "DECODER",
]

DISCRIMINATOR = "discriminator"


class Objective(nn.Module):
    """Base class: a task loss plus weighted adaptation terms.

    Subclasses implement :meth:`task_loss` and :meth:`forward`.
    :meth:`validation_loss` (task loss on held-out source data, used for early
    stopping) and :meth:`combine` are shared.
    """

    def task_loss(self, outputs: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def validation_loss(
        self, network: DomainAdaptationNetwork, x: torch.Tensor, y: torch.Tensor
    ) -> torch.Tensor:
        return self.task_loss(network(x), y)

    @staticmethod
    def combine(task_name: str, terms: dict[str, torch.Tensor], weights: dict[str, float]):
        """Return ``terms`` with ``"loss" = terms[task_name] + sum(weight * term)``."""
        total = terms[task_name]
        for name, weight in weights.items():
            if name in terms:
                total = total + weight * terms[name]
        return {"loss": total, **terms}


class _AlignmentTerms(nn.Module):
    """The feature-alignment terms shared by classification and regression."""

    def __init__(
        self,
        mmd_weight: float,
        mmd_estimator: str,
        bandwidths: Sequence[float] | None,
        bandwidth_multipliers: Sequence[float],
        domain_weight: float,
        grl_schedule: str,
    ):
        super().__init__()
        self.mmd_weight = float(mmd_weight)
        self.mmd_estimator = mmd_estimator
        self.bandwidths = None if bandwidths is None else tuple(bandwidths)
        self.bandwidth_multipliers = tuple(bandwidth_multipliers)
        self.domain_weight = float(domain_weight)
        self.grl_schedule = grl_schedule

    def __call__(self, network, source_features, target_features, progress):
        terms: dict[str, torch.Tensor] = {}
        if self.mmd_weight > 0:
            terms["mmd_loss"] = mmd2(
                source_features,
                target_features,
                estimator=self.mmd_estimator,
                bandwidths=self.bandwidths,
                bandwidth_multipliers=self.bandwidth_multipliers,
            )
        if self.domain_weight > 0:
            discriminator = network.extra_heads[DISCRIMINATOR]
            discriminator.reversal.coefficient = (
                dann_schedule(progress) if self.grl_schedule == "dann" else 1.0
            )
            terms["domain_loss"] = domain_adversarial_loss(
                discriminator(source_features), discriminator(target_features)
            )
        return terms

    def weights(self) -> dict[str, float]:
        return {"mmd_loss": self.mmd_weight, "domain_loss": self.domain_weight}


class ClassificationObjective(Objective):
    """Cross-entropy on the source plus MMD, DANN, Fisher and entropy terms.

    A weight of 0 switches its term off (it is then not computed at all).
    Source and target batches go through the network in one forward pass.

    Parameters
    ----------
    n_classes : int
    latent_dim : int
        Size of the latent features (for the Fisher class centers).
    class_weight : Tensor of shape (n_classes,), optional
        Weights of the cross-entropy.
    mmd_weight, domain_weight, fisher_weight, entropy_weight : float
    mmd_estimator : {"unbiased", "biased", "linear"}
    bandwidths, bandwidth_multipliers
        Kernel bandwidths, see :func:`skdomain.nn.gaussian_kernel`.
    grl_schedule : {"dann", "constant"}
        Gradient reversal coefficient over training.
    fisher_form : {"ratio", "difference"}
    fisher_inter_weight : float
        Weight of the inter-class scatter inside the Fisher loss.

    Examples
    --------
    >>> import torch
    >>> from skdomain.nn import DomainAdaptationNetwork, MLPEncoder
    >>> net = DomainAdaptationNetwork(MLPEncoder(2, (8,)), torch.nn.Linear(8, 2))
    >>> objective = ClassificationObjective(2, 8, mmd_weight=1.0)
    >>> terms = objective(net, torch.randn(6, 2), torch.tensor([0, 1] * 3),
    ...                   torch.randn(6, 2), progress=0.5)
    >>> sorted(terms)
    ['classification_loss', 'loss', 'mmd_loss']
    """

    def __init__(
        self,
        n_classes: int,
        latent_dim: int,
        class_weight: torch.Tensor | None = None,
        mmd_weight: float = 0.0,
        mmd_estimator: str = "unbiased",
        bandwidths: Sequence[float] | None = None,
        bandwidth_multipliers: Sequence[float] = DEFAULT_BANDWIDTH_MULTIPLIERS,
        domain_weight: float = 0.0,
        grl_schedule: str = "dann",
        fisher_weight: float = 0.0,
        fisher_form: str = "ratio",
        fisher_inter_weight: float = 1.0,
        entropy_weight: float = 0.0,
    ):
        super().__init__()
        self.alignment = _AlignmentTerms(
            mmd_weight, mmd_estimator, bandwidths, bandwidth_multipliers, domain_weight,
            grl_schedule,
        )
        if class_weight is not None:
            self.register_buffer("class_weight", torch.as_tensor(class_weight, dtype=torch.float32))
        else:
            self.class_weight = None
        self.fisher_weight = float(fisher_weight)
        self.fisher_form = fisher_form
        self.fisher_inter_weight = float(fisher_inter_weight)
        self.entropy_weight = float(entropy_weight)
        if self.fisher_weight > 0:
            self.centers = nn.Parameter(0.1 * torch.randn(n_classes, latent_dim))

    def task_loss(self, outputs, y):
        return F.cross_entropy(outputs, y, weight=self.class_weight)

    def forward(self, network, x_source, y_source, x_target, progress):
        n_source = x_source.shape[0]
        inputs = x_source if x_target is None else torch.cat([x_source, x_target])
        features = network.encode(inputs)
        logits = network.head(features)
        source_features = features[:n_source]
        terms = {"classification_loss": self.task_loss(logits[:n_source], y_source)}
        if x_target is not None:
            terms.update(self.alignment(network, source_features, features[n_source:], progress))
        if self.fisher_weight > 0:
            terms["fisher_loss"] = fisher_loss(
                source_features,
                y_source,
                self.centers,
                form=self.fisher_form,
                inter_weight=self.fisher_inter_weight,
            )
        if self.entropy_weight > 0:
            terms["entropy_loss"] = entropy_loss(logits)
        weights = {
            **self.alignment.weights(),
            "fisher_loss": self.fisher_weight,
            "entropy_loss": self.entropy_weight,
        }
        return self.combine("classification_loss", terms, weights)


class RegressionObjective(Objective):
    """Mean squared error on the source plus optional MMD / DANN alignment.

    Targets are expected standardized (the regressors do that).

    Examples
    --------
    >>> import torch
    >>> from skdomain.nn import DomainAdaptationNetwork, MLPEncoder
    >>> net = DomainAdaptationNetwork(MLPEncoder(3, (8,)), torch.nn.Linear(8, 1))
    >>> terms = RegressionObjective(mmd_weight=0.5)(
    ...     net, torch.randn(5, 3), torch.randn(5, 1), torch.randn(5, 3), 0.0)
    >>> sorted(terms)
    ['loss', 'mmd_loss', 'regression_loss']
    """

    def __init__(
        self,
        mmd_weight: float = 0.0,
        mmd_estimator: str = "unbiased",
        bandwidths: Sequence[float] | None = None,
        bandwidth_multipliers: Sequence[float] = DEFAULT_BANDWIDTH_MULTIPLIERS,
        domain_weight: float = 0.0,
        grl_schedule: str = "dann",
    ):
        super().__init__()
        self.alignment = _AlignmentTerms(
            mmd_weight, mmd_estimator, bandwidths, bandwidth_multipliers, domain_weight,
            grl_schedule,
        )

    def task_loss(self, outputs, y):
        return F.mse_loss(outputs, y)

    def forward(self, network, x_source, y_source, x_target, progress):
        n_source = x_source.shape[0]
        inputs = x_source if x_target is None else torch.cat([x_source, x_target])
        features = network.encode(inputs)
        terms = {"regression_loss": self.task_loss(network.head(features[:n_source]), y_source)}
        if x_target is not None:
            terms.update(
                self.alignment(network, features[:n_source], features[n_source:], progress)
            )
        terms.update(self._extra_terms(network, inputs, features, n_source))
        return self.combine("regression_loss", terms, self._weights())

    def _extra_terms(self, network, inputs, features, n_source) -> dict[str, torch.Tensor]:
        """Terms beyond regression and alignment (none here; subclasses add theirs).

        ``inputs`` and ``features`` hold the source rows first, then the target
        rows (if any).
        """
        return {}

    def _weights(self) -> dict[str, float]:
        return self.alignment.weights()


DECODER = "decoder"


class ReconstructionRegressionObjective(RegressionObjective):
    """Regression plus input reconstruction through a decoder (DRRN), plus alignment.

    The network needs an extra head named ``"decoder"`` mapping latent features
    back to the input shape. The reconstruction term is the mean squared error
    between the decoder's output and the inputs of the chosen domains, so the
    shared encoder must describe the unlabeled target inputs too.

    Parameters
    ----------
    reconstruction_weight : float
    reconstruct : {"both", "target", "source"}
        Which domains are reconstructed (without target data: the source).
    mmd_weight, mmd_estimator, bandwidths, bandwidth_multipliers, domain_weight, grl_schedule
        As in :class:`RegressionObjective`.

    Examples
    --------
    >>> import torch
    >>> from skdomain.nn import DomainAdaptationNetwork, MLPDecoder, MLPEncoder
    >>> net = DomainAdaptationNetwork(MLPEncoder(3, (8,)), torch.nn.Linear(8, 1),
    ...                               {"decoder": MLPDecoder(8, (3,))})
    >>> terms = ReconstructionRegressionObjective(1.0)(
    ...     net, torch.randn(5, 3), torch.randn(5, 1), torch.randn(5, 3), 0.0)
    >>> sorted(terms)
    ['loss', 'reconstruction_loss', 'regression_loss']
    """

    def __init__(
        self,
        reconstruction_weight: float = 1.0,
        reconstruct: str = "both",
        mmd_weight: float = 0.0,
        mmd_estimator: str = "unbiased",
        bandwidths: Sequence[float] | None = None,
        bandwidth_multipliers: Sequence[float] = DEFAULT_BANDWIDTH_MULTIPLIERS,
        domain_weight: float = 0.0,
        grl_schedule: str = "dann",
    ):
        super().__init__(
            mmd_weight, mmd_estimator, bandwidths, bandwidth_multipliers, domain_weight,
            grl_schedule,
        )
        if reconstruct not in ("both", "target", "source"):
            raise ValueError(
                f"reconstruct must be 'both', 'target' or 'source', got {reconstruct!r}."
            )
        self.reconstruction_weight = float(reconstruction_weight)
        self.reconstruct = reconstruct

    def _extra_terms(self, network, inputs, features, n_source):
        if not self.reconstruction_weight > 0:  # switched off: not computed
            return {}
        if n_source == inputs.shape[0] or self.reconstruct == "both":  # no target: the source
            chosen = slice(None)
        elif self.reconstruct == "target":
            chosen = slice(n_source, None)
        else:
            chosen = slice(None, n_source)
        decoded = network.extra_heads[DECODER](features[chosen])
        return {"reconstruction_loss": F.mse_loss(decoded, inputs[chosen])}

    def _weights(self):
        return {**super()._weights(), "reconstruction_loss": self.reconstruction_weight}


#: Name of the extra head used by the contrastive (self-supervised) terms.
PROJECTION = "projection"


class UniversalObjective(Objective):
    """Source cross-entropy + adaptive clustering + target entropy separation.

    Parameters
    ----------
    n_classes : int
        Number of known (source) classes ``K``.
    latent_dim : int
        Size of the latent features (for the memory bank).
    class_weight : Tensor of shape (K,), optional
        Weights of the cross-entropy.
    clustering_weight : float
        Weight of the clustering term (0 switches it off).
    clustering : {"rank", "neighborhood"}
        ``"rank"``: :func:`~skdomain.nn.adaptive_clustering_loss`
        over all pairs of the joint source + target batch. ``"neighborhood"``:
        :func:`~skdomain.nn.neighborhood_clustering_loss` of the
        target features against a first-in-first-out memory bank of recent
        target features and the head's class vectors.
    top_k : int
        Ranks compared by the rank-statistics similarity labels.
    rank_on : {"outputs", "features"}
        Whether the similarity labels come from the ranks of the output
        vectors (DeepAstroUDA) or of the latent features (Han et al. 2020).
    separation_weight : float
        Weight of the entropy separation of target predictions.
    rho, margin : float
        Entropy threshold and margin of the separation loss.
    warmup : float in [0, 1)
        Fraction of training during which only the cross-entropy is used, so
        that the clustering and separation terms act on a classifier that has
        already learnt the known classes.
    memory_size : int
        Rows of the memory bank (``clustering="neighborhood"``).
    nc_temperature : float
        Temperature of the neighborhood softmax.
    domain_weight : float
        Weight of a DANN domain-adversarial term on the latent features (needs
        a ``"discriminator"`` extra head on the network); 0 switches it off.
    contrastive_weight : float
        Weight of a SimCLR NT-Xent term on two augmented views of the target
        batch (needs a ``"projection"`` extra head); 0 switches it off.

    Examples
    --------
    >>> import torch
    >>> from skdomain.nn import DomainAdaptationNetwork, MLPEncoder
    >>> net = DomainAdaptationNetwork(MLPEncoder(2, (8,)), torch.nn.Linear(8, 3))
    >>> objective = UniversalObjective(3, 8, rho=0.55)
    >>> terms = objective(net, torch.randn(6, 2), torch.tensor([0, 1, 2] * 2),
    ...                   torch.randn(6, 2), progress=0.5)
    >>> sorted(terms)
    ['classification_loss', 'clustering_loss', 'loss', 'separation_loss']
    """

    def __init__(
        self,
        n_classes: int,
        latent_dim: int,
        class_weight: torch.Tensor | None = None,
        clustering_weight: float = 1.0,
        clustering: str = "rank",
        top_k: int = 2,
        rank_on: str = "outputs",
        separation_weight: float = 1.0,
        rho: float | None = None,
        margin: float = 0.5,
        warmup: float = 0.0,
        memory_size: int = 512,
        nc_temperature: float = 0.05,
        domain_weight: float = 0.0,
        contrastive_weight: float = 0.0,
    ):
        super().__init__()
        self.contrastive_weight = float(contrastive_weight)
        self.alignment = _AlignmentTerms(
            0.0, "unbiased", None, DEFAULT_BANDWIDTH_MULTIPLIERS, domain_weight, "dann"
        )
        if class_weight is not None:
            self.register_buffer("class_weight", torch.as_tensor(class_weight, dtype=torch.float32))
        else:
            self.class_weight = None
        self.clustering_weight = float(clustering_weight)
        self.clustering = clustering
        self.top_k = int(top_k)
        self.rank_on = rank_on
        self.separation_weight = float(separation_weight)
        self.rho = default_rho(n_classes) if rho is None else float(rho)
        self.margin = float(margin)
        self.warmup = float(warmup)
        self.nc_temperature = float(nc_temperature)
        if clustering == "neighborhood":
            self.register_buffer("memory", torch.zeros(int(memory_size), latent_dim))
            self.register_buffer("memory_filled", torch.zeros((), dtype=torch.long))
            self.register_buffer("memory_next", torch.zeros((), dtype=torch.long))

    def task_loss(self, outputs, y):
        return F.cross_entropy(outputs, y, weight=self.class_weight)

    def _remember(self, features: torch.Tensor) -> None:
        size = self.memory.shape[0]
        features = F.normalize(features.detach(), dim=1)[:size]
        rows = (self.memory_next + torch.arange(features.shape[0], device=features.device)) % size
        self.memory[rows] = features.to(self.memory.dtype)
        self.memory_next.copy_((self.memory_next + features.shape[0]) % size)
        self.memory_filled.copy_(torch.clamp(self.memory_filled + features.shape[0], max=size))

    def _clustering_term(self, network, logits, features, n_source):
        if self.clustering == "rank":
            rank_features = features if self.rank_on == "features" else None
            return adaptive_clustering_loss(logits, k=self.top_k, rank_features=rank_features)
        target_features = features[n_source:]
        filled = int(self.memory_filled)
        prototypes = getattr(network.head, "weight", None)
        loss = neighborhood_clustering_loss(
            target_features, self.memory[:filled], prototypes, temperature=self.nc_temperature
        )
        self._remember(target_features)
        return loss

    def forward(self, network, x_source, y_source, x_target, progress):
        n_source = x_source.shape[0]
        inputs = x_source if x_target is None else torch.cat([x_source, x_target])
        features = network.encode(inputs)
        logits = network.head(features)
        terms = {"classification_loss": self.task_loss(logits[:n_source], y_source)}
        if x_target is not None:
            terms.update(
                self.alignment(network, features[:n_source], features[n_source:], progress)
            )
        if x_target is not None and progress >= self.warmup:
            if self.clustering_weight > 0:
                terms["clustering_loss"] = self._clustering_term(
                    network, logits, features, n_source
                )
            if self.separation_weight > 0:
                terms["separation_loss"] = entropy_separation_loss(
                    logits[n_source:], self.rho, self.margin
                )
        if x_target is not None and self.contrastive_weight > 0:
            projection = network.extra_heads[PROJECTION]
            views = [projection(network.encode(augment(x_target))) for _ in range(2)]
            terms["contrastive_loss"] = nt_xent_loss(*views)
        weights = {
            "contrastive_loss": self.contrastive_weight,
            **self.alignment.weights(),
            "clustering_loss": self.clustering_weight,
            "separation_loss": self.separation_weight,
        }
        return self.combine("classification_loss", terms, weights)
