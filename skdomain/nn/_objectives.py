"""Training objectives: a task loss plus a list of weighted terms.

An objective is a ``torch.nn.Module`` called once per training step as
``objective(network, x_source, y_source, x_target, progress)``. It encodes the
source and target batches in one forward pass, packs what the step knows into a
:class:`~skdomain.nn.TermInputs`, and returns a dict of scalar tensors:
``"loss"``, the task loss plus ``weight * term(batch)`` for every active
:class:`~skdomain.nn.Term`, and one entry per term (``"classification_loss"``,
``"mmd_loss"``, ...), each of which the training loop records per epoch.
``x_target`` is ``None`` when there is no target data; ``progress`` in [0, 1] is
the fraction of training done (used by schedules such as DANN's gradient
reversal).

The built-in objectives are this API with the built-in terms
(:class:`~skdomain.nn.MMDTerm`, :class:`~skdomain.nn.DomainAdversarialTerm`,
:class:`~skdomain.nn.FisherTerm`, ...): their keyword weights only choose which
terms join, and ``terms=`` adds one's own. Nothing here knows about
scikit-learn.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from ._contrastive import augment, nt_xent_loss
from ._losses import DEFAULT_BANDWIDTH_MULTIPLIERS
from ._modules import DomainAdaptationNetwork
from ._open_set_losses import (
    adaptive_clustering_loss,
    default_rho,
    entropy_separation_loss,
    neighborhood_clustering_loss,
)
from ._terms import (
    DomainAdversarialTerm,
    EntropyTerm,
    FisherTerm,
    MMDTerm,
    ReconstructionTerm,
    Term,
    TermInputs,
    _with_example_batch,
)

__all__ = [
    "UniversalObjective",
    "PROJECTION",
    "Objective",
    "ClassificationObjective",
    "RegressionObjective",
    "ReconstructionRegressionObjective",
]


@_with_example_batch
class Objective(nn.Module):
    """Base class: a task loss plus a list of weighted :class:`~skdomain.nn.Term` objects.

    Subclasses implement :meth:`task_loss` and set ``task_name`` (its history
    key). :meth:`forward` encodes the joint source + target batch, computes the
    task loss on the source rows and adds ``term.weight * term(batch)`` for each
    active term, in list order. :meth:`validation_loss` (task loss on held-out
    source data, used for early stopping) is shared.

    Parameters
    ----------
    terms : sequence of Term, default=()
        The adaptation terms; their names must differ.

    Examples
    --------
    {example_batch}
    >>> from skdomain.nn import ClassificationObjective, MMDTerm, Objective
    >>> objective = ClassificationObjective(2, 4, terms=[MMDTerm(weight=2.0)])
    >>> isinstance(objective, Objective)
    True
    >>> losses = objective(net, x[:3], torch.tensor([0, 1, 0]), x[3:], progress=0.5)
    >>> sorted(losses)  # total, task loss, then each term
    ['classification_loss', 'loss', 'mmd_loss']
    """

    task_name: str = "task_loss"

    def __init__(self, terms: Sequence[Term] = ()):
        super().__init__()
        names = [term.name for term in terms]
        if len(set(names)) != len(names) or self.task_name in names:
            raise ValueError(f"Terms need distinct names, got {names}.")
        self.terms = nn.ModuleList(terms)

    def task_loss(self, outputs: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Supervised loss of the head ``outputs`` against the source labels ``y``."""
        raise NotImplementedError

    def validation_loss(
        self, network: DomainAdaptationNetwork, x: torch.Tensor, y: torch.Tensor
    ) -> torch.Tensor:
        """Task loss of ``network`` on held-out source data (the early-stopping criterion)."""
        return self.task_loss(network(x), y)

    def batch_inputs(self, network, x_source, y_source, x_target, progress) -> TermInputs:
        """Encode source and target in one pass; head outputs of all rows."""
        inputs = x_source if x_target is None else torch.cat([x_source, x_target])
        features = network.encode(inputs)
        return TermInputs(
            network, inputs, x_source.shape[0], y_source, features, progress,
            outputs=network.head(features),
        )

    def forward(self, network, x_source, y_source, x_target, progress):
        """Total loss of one batch and a dict of its named parts (task loss and each term)."""
        batch = self.batch_inputs(network, x_source, y_source, x_target, progress)
        task = self.task_loss(batch.source_outputs, y_source)
        values = {self.task_name: task}
        total = task
        for term in self.terms:
            if term.active(batch):
                value = term(batch)
                values[term.name] = value
                total = total + term.weight * value
        return {"loss": total, **values}

    @staticmethod
    def combine(task_name: str, terms: dict[str, torch.Tensor], weights: dict[str, float]):
        """Return ``terms`` with ``"loss" = terms[task_name] + sum(weight * term)``."""
        total = terms[task_name]
        for name, weight in weights.items():
            if name in terms:
                total = total + weight * terms[name]
        return {"loss": total, **terms}


def _alignment_terms(
    mmd_weight, mmd_estimator, bandwidths, bandwidth_multipliers, domain_weight, grl_schedule
) -> list[Term]:
    """The MMD and DANN terms that the keyword weights switch on (weight > 0)."""
    terms: list[Term] = []
    if mmd_weight > 0:
        terms.append(
            MMDTerm(
                mmd_weight,
                estimator=mmd_estimator,
                bandwidths=bandwidths,
                bandwidth_multipliers=bandwidth_multipliers,
            )
        )
    if domain_weight > 0:
        terms.append(DomainAdversarialTerm(domain_weight, schedule=grl_schedule))
    return terms


class _WeightedCrossEntropy:
    """Task loss of the classification objectives: cross-entropy weighted by ``class_weight``."""

    def _set_class_weight(self, class_weight):
        if class_weight is not None:
            self.register_buffer("class_weight", torch.as_tensor(class_weight, dtype=torch.float32))
        else:
            self.class_weight = None

    def task_loss(self, outputs, y):
        """Cross-entropy of the logits, weighted by ``class_weight``."""
        return F.cross_entropy(outputs, y, weight=self.class_weight)


class ClassificationObjective(_WeightedCrossEntropy, Objective):
    """Cross-entropy on the source plus MMD, DANN, own, Fisher and entropy terms.

    A weight of 0 switches its term off (it is then not computed at all).
    Source and target batches go through the network in one forward pass. The
    terms are, in order: MMD, DANN, ``terms``, Fisher, entropy.

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
    terms : sequence of Term, default=()
        Further terms (e.g. :class:`~skdomain.nn.CORALTerm`).

    Examples
    --------
    >>> import torch
    >>> from skdomain.nn import CORALTerm, DomainAdaptationNetwork, MLPEncoder
    >>> net = DomainAdaptationNetwork(MLPEncoder(2, (8,)), torch.nn.Linear(8, 2))
    >>> objective = ClassificationObjective(2, 8, mmd_weight=1.0, terms=[CORALTerm(1.0)])
    >>> terms = objective(net, torch.randn(6, 2), torch.tensor([0, 1] * 3),
    ...                   torch.randn(6, 2), progress=0.5)
    >>> sorted(terms)
    ['classification_loss', 'coral_loss', 'loss', 'mmd_loss']
    """

    task_name = "classification_loss"

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
        terms: Sequence[Term] = (),
    ):
        all_terms = _alignment_terms(
            mmd_weight, mmd_estimator, bandwidths, bandwidth_multipliers, domain_weight,
            grl_schedule,
        )
        all_terms.extend(terms)
        if fisher_weight > 0:
            all_terms.append(
                FisherTerm(
                    fisher_weight, n_classes, latent_dim, form=fisher_form,
                    inter_weight=fisher_inter_weight,
                )
            )
        if entropy_weight > 0:
            all_terms.append(EntropyTerm(entropy_weight))
        super().__init__(all_terms)
        self._set_class_weight(class_weight)


class RegressionObjective(Objective):
    """Mean squared error on the source plus MMD / DANN alignment and own terms.

    Targets are expected standardized (the regressors do that). The head runs on
    the source rows only (target outputs are computed if a term asks for them).

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

    task_name = "regression_loss"

    def __init__(
        self,
        mmd_weight: float = 0.0,
        mmd_estimator: str = "unbiased",
        bandwidths: Sequence[float] | None = None,
        bandwidth_multipliers: Sequence[float] = DEFAULT_BANDWIDTH_MULTIPLIERS,
        domain_weight: float = 0.0,
        grl_schedule: str = "dann",
        terms: Sequence[Term] = (),
    ):
        all_terms = _alignment_terms(
            mmd_weight, mmd_estimator, bandwidths, bandwidth_multipliers, domain_weight,
            grl_schedule,
        )
        super().__init__([*all_terms, *terms])

    def task_loss(self, outputs, y):
        """Mean squared error of the predictions."""
        return F.mse_loss(outputs, y)

    def batch_inputs(self, network, x_source, y_source, x_target, progress):
        """Encode source and target in one pass; head outputs and reconstructions of all rows."""
        inputs = x_source if x_target is None else torch.cat([x_source, x_target])
        features = network.encode(inputs)
        n_source = x_source.shape[0]
        return TermInputs(
            network, inputs, n_source, y_source, features, progress,
            outputs=network.head(features[:n_source]),
        )


class ReconstructionRegressionObjective(RegressionObjective):
    """Regression plus input reconstruction through a decoder (DRRN), plus alignment.

    The network needs an extra head named ``"decoder"`` mapping latent features
    back to the input shape. The reconstruction term
    (:class:`~skdomain.nn.ReconstructionTerm`) is the mean squared error
    between the decoder's output and the inputs of the chosen domains, so the
    shared encoder must describe the unlabeled target inputs too.

    Parameters
    ----------
    reconstruction_weight : float
    reconstruct : {"both", "target", "source"}
        Which domains are reconstructed (without target data: the source).
    mmd_weight, mmd_estimator, bandwidths, bandwidth_multipliers, domain_weight, grl_schedule
        As in :class:`RegressionObjective`.
    terms : sequence of Term, default=()
        Further terms, before the reconstruction one.

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
        terms: Sequence[Term] = (),
    ):
        reconstruction = ReconstructionTerm(reconstruction_weight, reconstruct=reconstruct)
        super().__init__(
            mmd_weight, mmd_estimator, bandwidths, bandwidth_multipliers, domain_weight,
            grl_schedule, terms=[*terms, *([reconstruction] if reconstruction.weight > 0 else [])],
        )
        self.reconstruction_weight = reconstruction.weight
        self.reconstruct = reconstruct


#: Name of the extra head used by the contrastive (self-supervised) terms.
PROJECTION = "projection"


class UniversalObjective(_WeightedCrossEntropy, Objective):
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
        self.domain = DomainAdversarialTerm(domain_weight, schedule="dann")
        self._set_class_weight(class_weight)
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
        """Total loss of one batch (classification, clustering, separation...) and its parts."""
        batch = self.batch_inputs(network, x_source, y_source, x_target, progress)
        n_source, features, logits = batch.n_source, batch.features, batch.outputs
        terms = {"classification_loss": self.task_loss(logits[:n_source], y_source)}
        if self.domain.active(batch):
            terms[self.domain.name] = self.domain(batch)
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
            self.domain.name: self.domain.weight,
            "clustering_loss": self.clustering_weight,
            "separation_loss": self.separation_weight,
        }
        return self.combine("classification_loss", terms, weights)
