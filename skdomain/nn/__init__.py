"""Plain PyTorch building blocks of domain adaptation; nothing here knows scikit-learn.

- modules: encoders (:class:`MLPEncoder`, :class:`DeepMergeEncoder`), heads
  (:class:`CosineHead`, :class:`ProjectionHead`), :class:`DomainDiscriminator`
  behind :class:`GradientReversal`, :class:`MLPDecoder`, and the
  :class:`DomainAdaptationNetwork` that holds them;
- losses: MMD (:func:`mmd2`), Fisher, entropy, domain-adversarial, open-set
  (clustering, entropy separation) and contrastive (:func:`nt_xent_loss`);
- terms: one object per loss term (:class:`Term`, called as
  ``term(batch: TermInputs) -> scalar``; :class:`MMDTerm`, :class:`CORALTerm`,
  :class:`DomainAdversarialTerm`, :class:`FisherTerm`, :class:`EntropyTerm`,
  :class:`ReconstructionTerm`);
- objectives: a task loss plus a list of weighted terms, called once per
  training step.
"""

from ._contrastive import (
    ProjectionHead,
    augment,
    nt_xent_loss,
    pretrain_contrastive,
)
from ._losses import (
    DEFAULT_BANDWIDTH_MULTIPLIERS,
    bandwidth_floor,
    conditional_adversarial_loss,
    coral_loss,
    domain_adversarial_loss,
    entropy_loss,
    entropy_weights,
    fisher_loss,
    gaussian_kernel,
    jdot_loss,
    median_heuristic_sigma2,
    minimum_class_confusion_loss,
    mmd2,
    mmd2_linear,
    multilinear_map,
    pairwise_squared_distances,
    pooled_bandwidths,
)
from ._modules import (
    CosineHead,
    DeepMergeEncoder,
    DomainAdaptationNetwork,
    DomainDiscriminator,
    GradientReversal,
    MLPDecoder,
    MLPEncoder,
    dann_schedule,
    latent_dimension,
)
from ._objectives import (
    DECODER,
    DISCRIMINATOR,
    PROJECTION,
    ClassificationObjective,
    Objective,
    ReconstructionRegressionObjective,
    RegressionObjective,
    UniversalObjective,
)
from ._open_set_losses import (
    adaptive_clustering_loss,
    default_rho,
    entropy_separation_loss,
    neighborhood_clustering_loss,
    prediction_entropy,
    rank_similarity_labels,
)
from ._terms import (
    CORALTerm,
    DomainAdversarialTerm,
    EntropyTerm,
    FisherTerm,
    MMDTerm,
    ReconstructionTerm,
    Term,
    TermInputs,
)
from ._terms_conditional import (
    CONDITIONAL_DISCRIMINATOR,
    ConditionalAdversarialTerm,
    JointTransportTerm,
    MinimumClassConfusionTerm,
)

__all__ = [
    "CONDITIONAL_DISCRIMINATOR",
    "ConditionalAdversarialTerm",
    "JointTransportTerm",
    "MinimumClassConfusionTerm",
    "conditional_adversarial_loss",
    "entropy_weights",
    "jdot_loss",
    "minimum_class_confusion_loss",
    "multilinear_map",
    "CORALTerm",
    "ClassificationObjective",
    "CosineHead",
    "DECODER",
    "DEFAULT_BANDWIDTH_MULTIPLIERS",
    "DISCRIMINATOR",
    "DeepMergeEncoder",
    "DomainAdaptationNetwork",
    "DomainAdversarialTerm",
    "DomainDiscriminator",
    "EntropyTerm",
    "FisherTerm",
    "GradientReversal",
    "MLPDecoder",
    "MLPEncoder",
    "MMDTerm",
    "Objective",
    "PROJECTION",
    "ProjectionHead",
    "ReconstructionRegressionObjective",
    "ReconstructionTerm",
    "RegressionObjective",
    "Term",
    "TermInputs",
    "UniversalObjective",
    "adaptive_clustering_loss",
    "augment",
    "coral_loss",
    "dann_schedule",
    "default_rho",
    "domain_adversarial_loss",
    "entropy_loss",
    "entropy_separation_loss",
    "fisher_loss",
    "gaussian_kernel",
    "latent_dimension",
    "bandwidth_floor",
    "median_heuristic_sigma2",
    "pooled_bandwidths",
    "mmd2",
    "mmd2_linear",
    "neighborhood_clustering_loss",
    "nt_xent_loss",
    "pairwise_squared_distances",
    "prediction_entropy",
    "pretrain_contrastive",
    "rank_similarity_labels",
]
