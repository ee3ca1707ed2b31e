"""Objective terms: the pieces of a domain-adaptation loss, one object per term.

An objective (:mod:`skdomain.nn._objectives`) is a task loss plus a list of
weighted terms. A term is a :class:`Term`: a ``torch.nn.Module`` with a
``name`` (its key in the training history, e.g. ``"mmd_loss"``), a ``weight``
(0 switches it off: it is then not computed at all) and ONE call signature,

    ``term(batch: TermInputs) -> scalar Tensor``

where :class:`TermInputs` holds everything a step knows: the network, the
source and target inputs, their latent features and head outputs, the source
labels and the training progress. Terms that need target data set
``needs_target = True`` (the default) and are skipped on steps without it.
Terms may own parameters (the Fisher loss's class centers) and buffers: the
optimizer trains the former, and both are saved with the objective.

Nothing here knows about scikit-learn.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from ._losses import (
    DEFAULT_BANDWIDTH_MULTIPLIERS,
    coral_loss,
    domain_adversarial_loss,
    entropy_loss,
    fisher_loss,
    mmd2,
)
from ._modules import dann_schedule

__all__ = [
    "TermInputs",
    "Term",
    "MMDTerm",
    "CORALTerm",
    "DomainAdversarialTerm",
    "FisherTerm",
    "EntropyTerm",
    "ReconstructionTerm",
    "DISCRIMINATOR",
    "DECODER",
]

#: Name of the extra head holding the domain discriminator (DANN).
DISCRIMINATOR = "discriminator"
#: Name of the extra head holding the decoder (DRRN).
DECODER = "decoder"


#: Start of the examples of TermInputs, the terms and the objectives: a batch
#: of 3 source and 3 target rows through a 2-class network.
_EXAMPLE_BATCH = """\
    >>> import torch
    >>> from skdomain.nn import DomainAdaptationNetwork, MLPEncoder, TermInputs
    >>> _ = torch.manual_seed(0)
    >>> net = DomainAdaptationNetwork(MLPEncoder(2, (4,)), torch.nn.Linear(4, 2))
    >>> x = torch.randn(6, 2)  # 3 source rows, then 3 target rows
    >>> batch = TermInputs(net, x, 3, torch.tensor([0, 1, 0]), net.encode(x), 0.5, outputs=net(x))
"""


def _with_example_batch(obj):
    """Put :data:`_EXAMPLE_BATCH` at the ``{example_batch}`` line of ``obj``'s docstring."""
    if obj.__doc__:  # None under python -OO
        obj.__doc__ = obj.__doc__.replace("    {example_batch}\n", _EXAMPLE_BATCH)
    return obj


@_with_example_batch
class TermInputs:
    """What an objective term sees of one training step.

    Rows are the source batch first, then the target batch (if any), in
    ``inputs``, ``features`` and ``outputs``; the properties slice them.

    Parameters
    ----------
    network : DomainAdaptationNetwork
        The network being trained (``encoder``, ``head``, ``extra_heads``).
    inputs : Tensor of shape (n_source + n_target, ...)
        Source rows, then target rows.
    n_source : int
        Number of source rows.
    y_source : Tensor
        Labels (class indices) or standardized targets of the source rows.
    features : Tensor of shape (n_source + n_target, n_latent)
        Latent features of ``inputs`` (what alignment terms align).
    progress : float in [0, 1]
        Fraction of training done (for schedules).
    outputs : Tensor, optional
        Head outputs (logits for classifiers) of all rows, or of the source rows
        only; target outputs are then computed on first use.

    Attributes
    ----------
    x_source, x_target, source_features, target_features, source_outputs, \
target_outputs : Tensor or None
        The source / target slices; the target ones are ``None`` without target.

    Examples
    --------
    {example_batch}
    >>> batch.source_features.shape, batch.target_features.shape, batch.has_target
    (torch.Size([3, 4]), torch.Size([3, 4]), True)
    """

    def __init__(self, network, inputs, n_source, y_source, features, progress, outputs=None):
        self.network = network
        self.inputs = inputs
        self.n_source = int(n_source)
        self.y_source = y_source
        self.features = features
        self.progress = float(progress)
        self._outputs = outputs

    @property
    def has_target(self) -> bool:
        """Whether this step has target rows."""
        return self.inputs.shape[0] > self.n_source

    @property
    def x_source(self) -> torch.Tensor:
        """The source rows of ``inputs``."""
        return self.inputs[: self.n_source]

    @property
    def x_target(self) -> torch.Tensor | None:
        """The target rows of ``inputs`` (None without target)."""
        return self.inputs[self.n_source :] if self.has_target else None

    @property
    def source_features(self) -> torch.Tensor:
        """Latent features of the source rows."""
        return self.features[: self.n_source]

    @property
    def target_features(self) -> torch.Tensor | None:
        """Latent features of the target rows (None without target)."""
        return self.features[self.n_source :] if self.has_target else None

    @property
    def outputs(self) -> torch.Tensor:
        """Head outputs of all rows (source, then target)."""
        if self._outputs is None:
            self._outputs = self.network.head(self.features)
        elif self._outputs.shape[0] < self.inputs.shape[0]:
            target = self.network.head(self.features[self._outputs.shape[0] :])
            self._outputs = torch.cat([self._outputs, target])
        return self._outputs

    @property
    def source_outputs(self) -> torch.Tensor:
        """Head outputs of the source rows."""
        if self._outputs is None:
            self._outputs = self.network.head(self.source_features)
        return self._outputs[: self.n_source]

    @property
    def target_outputs(self) -> torch.Tensor | None:
        """Head outputs of the target rows (None without target)."""
        return self.outputs[self.n_source :] if self.has_target else None


class Term(nn.Module):
    """Base class of objective terms: ``weight * term(batch)`` joins the loss.

    Subclasses set the class attribute ``name`` (the history key, ending in
    ``"_loss"`` by convention) and implement :meth:`forward`; they set
    ``needs_target = False`` when they are computed on steps without target
    data too.

    Parameters
    ----------
    weight : float, default=1.0
        Multiplier of the term in the total loss; 0 switches it off.
    name : str, optional
        Overrides the class's ``name``.

    Examples
    --------
    A term that matches the mean latent features of the two domains:

    >>> import torch
    >>> class MeanMatching(Term):
    ...     name = "mean_loss"
    ...     def forward(self, batch):
    ...         gap = batch.source_features.mean(0) - batch.target_features.mean(0)
    ...         return (gap ** 2).sum()
    >>> term = MeanMatching(weight=0.5)
    >>> term.weight, term.name
    (0.5, 'mean_loss')
    """

    name: str = "term_loss"
    needs_target: bool = True

    def __init__(self, weight: float = 1.0, *, name: str | None = None):
        super().__init__()
        self.weight = float(weight)
        if name is not None:
            self.name = name

    def active(self, batch: TermInputs) -> bool:
        """Whether the term is computed on this step (weight > 0, target if needed)."""
        return self.weight > 0 and (batch.has_target or not self.needs_target)

    def forward(self, batch: TermInputs) -> torch.Tensor:
        """The term's unweighted value on one batch (a scalar tensor); subclasses implement it."""
        raise NotImplementedError

    def extra_repr(self) -> str:
        """Name and weight, shown in the module's repr."""
        return f"name={self.name!r}, weight={self.weight}"


def _positive_floats(name: str, values) -> tuple:
    """``values`` as a non-empty tuple of positive finite floats, or a ValueError naming it."""
    try:
        out = tuple(float(v) for v in values)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a sequence of numbers, got {values!r}.") from None
    if not out or not all(math.isfinite(v) and v > 0 for v in out):
        raise ValueError(
            f"{name} must be a non-empty sequence of positive numbers, got {values!r}."
        )
    return out


@_with_example_batch
class MMDTerm(Term):
    """Squared MMD between source and target latent features (:func:`~skdomain.nn.mmd2`).

    Examples
    --------
    {example_batch}
    >>> from skdomain.nn import MMDTerm
    >>> term = MMDTerm(weight=2.0)
    >>> term, term(batch).shape
    (MMDTerm(name='mmd_loss', weight=2.0), torch.Size([]))
    """

    name = "mmd_loss"
    #: The estimators of MMD^2 need two samples of each domain per batch.
    min_batch_size = 2

    def __init__(
        self,
        weight: float = 1.0,
        *,
        estimator: str = "unbiased",
        bandwidths: Sequence[float] | None = None,
        bandwidth_multipliers: Sequence[float] = DEFAULT_BANDWIDTH_MULTIPLIERS,
    ):
        super().__init__(weight)
        self.estimator = estimator
        self.bandwidths = None if bandwidths is None else _positive_floats(
            "bandwidths", bandwidths
        )
        self.bandwidth_multipliers = _positive_floats(
            "bandwidth_multipliers", bandwidth_multipliers
        )

    def forward(self, batch):
        """Squared MMD between the source and target latent features of the batch."""
        return mmd2(
            batch.source_features,
            batch.target_features,
            estimator=self.estimator,
            bandwidths=self.bandwidths,
            bandwidth_multipliers=self.bandwidth_multipliers,
        )


@_with_example_batch
class CORALTerm(Term):
    """Distance between source and target latent covariances (:func:`~skdomain.nn.coral_loss`).

    Examples
    --------
    {example_batch}
    >>> from skdomain.nn import CORALTerm
    >>> bool(CORALTerm()(batch) >= 0)
    True
    """

    name = "coral_loss"

    def forward(self, batch):
        """CORAL loss: distance between the source and target feature covariances."""
        return coral_loss(batch.source_features, batch.target_features)


@_with_example_batch
class DomainAdversarialTerm(Term):
    """DANN: domain discriminator behind gradient reversal on the latent features.

    Needs an extra head named ``"discriminator"`` (a
    :class:`~skdomain.nn.DomainDiscriminator`), whose reversal coefficient
    follows ``schedule``: ``"dann"`` (``2 / (1 + exp(-10 p)) - 1``) or
    ``"constant"`` (1).

    Examples
    --------
    {example_batch}
    >>> from skdomain.nn import DomainAdversarialTerm, DomainDiscriminator
    >>> net.extra_heads["discriminator"] = DomainDiscriminator(4)
    >>> bool(DomainAdversarialTerm()(batch) > 0)  # about log 2 for an untrained discriminator
    True
    """

    name = "domain_loss"

    def __init__(self, weight: float = 1.0, *, schedule: str = "dann"):
        super().__init__(weight)
        self.schedule = schedule

    def forward(self, batch):
        """Domain-classification loss of the discriminator behind the gradient reversal."""
        discriminator = batch.network.extra_heads[DISCRIMINATOR]
        discriminator.reversal.coefficient = (
            dann_schedule(batch.progress) if self.schedule == "dann" else 1.0
        )
        return domain_adversarial_loss(
            discriminator(batch.source_features), discriminator(batch.target_features)
        )


@_with_example_batch
class FisherTerm(Term):
    """Fisher loss of the source latents around learnable class centers.

    Examples
    --------
    {example_batch}
    >>> from skdomain.nn import FisherTerm
    >>> term = FisherTerm(1.0, n_classes=2, latent_dim=4)  # learnable centers of 2 classes
    >>> term.name, bool(term(batch) >= 0)
    ('fisher_loss', True)
    """

    name = "fisher_loss"
    needs_target = False

    def __init__(
        self,
        weight: float,
        n_classes: int,
        latent_dim: int,
        *,
        form: str = "ratio",
        inter_weight: float = 1.0,
    ):
        super().__init__(weight)
        self.form = form
        self.inter_weight = float(inter_weight)
        if self.weight > 0:
            self.centers = nn.Parameter(0.1 * torch.randn(n_classes, latent_dim))

    def forward(self, batch):
        """Fisher loss: within-class scatter over between-class scatter of the source features."""
        return fisher_loss(
            batch.source_features,
            batch.y_source,
            self.centers,
            form=self.form,
            inter_weight=self.inter_weight,
        )


@_with_example_batch
class EntropyTerm(Term):
    """Mean entropy of the predictions on source and target (entropy minimization).

    Examples
    --------
    {example_batch}
    >>> from skdomain.nn import EntropyTerm
    >>> bool(0 <= EntropyTerm()(batch) <= torch.log(torch.tensor(2.0)))
    True
    """

    name = "entropy_loss"
    needs_target = False

    def forward(self, batch):
        """Mean prediction entropy of the head outputs (source and target rows)."""
        return entropy_loss(batch.outputs)


class ReconstructionTerm(Term):
    """Mean squared error of a decoder reconstructing the inputs (DRRN).

    Needs an extra head named ``"decoder"``; ``reconstruct`` picks the domains
    reconstructed (``"both"``, ``"target"``, ``"source"``; without target rows
    the source).

    Examples
    --------
    >>> import torch
    >>> from skdomain.nn import (DomainAdaptationNetwork, MLPDecoder, MLPEncoder,
    ...                          ReconstructionTerm, TermInputs)
    >>> _ = torch.manual_seed(0)
    >>> net = DomainAdaptationNetwork(MLPEncoder(2, (4,)), torch.nn.Linear(4, 1),
    ...                               extra_heads={"decoder": MLPDecoder(4, (2,))})
    >>> x = torch.randn(6, 2)
    >>> batch = TermInputs(net, x, 3, torch.randn(3, 1), net.encode(x), 0.5)
    >>> bool(ReconstructionTerm(reconstruct="target")(batch) >= 0)
    True
    """

    name = "reconstruction_loss"
    needs_target = False

    def __init__(self, weight: float = 1.0, *, reconstruct: str = "both"):
        super().__init__(weight)
        if reconstruct not in ("both", "target", "source"):
            raise ValueError(
                f"reconstruct must be 'both', 'target' or 'source', got {reconstruct!r}."
            )
        self.reconstruct = reconstruct

    def forward(self, batch):
        """Mean squared error of the decoder's reconstruction of the chosen rows."""
        if not batch.has_target or self.reconstruct == "both":
            chosen = slice(None)
        elif self.reconstruct == "target":
            chosen = slice(batch.n_source, None)
        else:
            chosen = slice(None, batch.n_source)
        decoded = batch.network.extra_heads[DECODER](batch.features[chosen])
        return F.mse_loss(decoded, batch.inputs[chosen])
