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

# Each private module's __all__ is its part of the public API (PEP 8's case for
# wildcard imports: republishing an internal interface).
from . import (
    _contrastive,
    _losses,
    _modules,
    _objectives,
    _open_set_losses,
    _terms,
    _terms_conditional,
)
from ._contrastive import *  # noqa: F403
from ._losses import *  # noqa: F403
from ._modules import *  # noqa: F403
from ._objectives import *  # noqa: F403
from ._open_set_losses import *  # noqa: F403
from ._terms import *  # noqa: F403
from ._terms_conditional import *  # noqa: F403

__all__ = [
    *_modules.__all__,
    *_losses.__all__,
    *_open_set_losses.__all__,
    *_contrastive.__all__,
    *_terms.__all__,
    *_terms_conditional.__all__,
    *_objectives.__all__,
]
