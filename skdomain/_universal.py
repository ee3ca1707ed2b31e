"""Universal domain adaptation: a classifier that can answer "none of the known classes".

:class:`UniversalDAClassifier` follows DeepAstroUDA (Ciprijanovic et al. 2023):
class-weighted cross-entropy on the labeled source, adaptive clustering of
samples from both domains, and entropy separation of target predictions, so
that target samples of a class the source never had (strong lenses among
galaxy morphologies) end up with uncertain predictions and are returned as
``unknown_label``.
"""

from __future__ import annotations

import numbers

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.neighbors import NearestNeighbors
from sklearn.utils.validation import check_is_fitted

from ._docstrings import array_method_doc
from ._training import is_streaming
from .base import BaseDeepClassifier, Parameter, _to_tensor, interval, one_of
from .nn import (
    DISCRIMINATOR,
    PROJECTION,
    CosineHead,
    DomainAdaptationNetwork,
    DomainDiscriminator,
    ProjectionHead,
    UniversalObjective,
    default_rho,
    prediction_entropy,
    pretrain_contrastive,
)

__all__ = ["UniversalDAClassifier", "UNKNOWN_SCORES"]

#: Continuous unknown scores offered by :meth:`UniversalDAClassifier.unknown_score`.
UNKNOWN_SCORES = ("entropy", "max_softmax", "prototype", "knn", "density_ratio")


def _label_array(labels, unknown_label, n: int) -> np.ndarray:
    """An array able to hold the class labels and ``unknown_label`` side by side."""
    labels = np.asarray(labels)
    if labels.dtype.kind in "iu" and isinstance(unknown_label, numbers.Integral):
        dtype = np.result_type(labels.dtype, np.min_scalar_type(unknown_label))
        if dtype.kind in "iu":
            return np.empty(n, dtype=dtype)
    if labels.dtype.kind in "US" and isinstance(unknown_label, str):
        width = max(labels.dtype.itemsize // 4, len(unknown_label))
        return np.empty(n, dtype=f"<U{width}")
    return np.empty(n, dtype=object)


class UniversalDAClassifier(BaseDeepClassifier):
    __doc__ = """Universal domain adaptation with unknown-class discovery (DeepAstroUDA).

    The target domain may hold classes the source never had, and its class
    proportions may differ. Training adds to a class-weighted cross-entropy on
    the source two unsupervised terms (Ciprijanovic et al. 2023, after DANCE,
    Saito et al. 2020):

    - adaptive clustering (``clustering_weight``): pairs of samples from both
      domains whose output vectors have the same top-``top_k`` indices are
      pushed to agree, others to disagree, so that the known classes of the two
      domains overlap and unknown samples gather in their own cluster
      (``clustering="neighborhood"`` uses DANCE's memory-bank neighborhood
      clustering of target features instead);
    - entropy separation (``separation_weight``): the entropy of each target
      prediction is pushed away from ``rho`` (default ``log(K) / 2``) when it
      lies beyond ``margin`` of it: confident samples become more confident,
      uncertain ones (the unknown class) more uncertain.

    The separation term amplifies the ranking the network starts from: unknown
    samples that the source-trained network already classifies confidently
    become more confident, not less (strong lenses taken for mergers in the
    morphology experiment, see ``docs/morphology.md``). Check the unknown AUROC
    of :meth:`unknown_score` on labeled target data before trusting
    ``predict``'s unknown answers. There, a contrastive self-supervised term
    (``contrastive_weight``) with the latent ``kind="knn"`` score ranked the
    unknown class far better than the entropy did.

    ``predict`` returns ``unknown_label`` for samples whose unknown score (by
    default the prediction entropy) exceeds ``unknown_threshold`` (default
    ``rho`` for the entropy; for the latent scores, the 95 % quantile of the
    source's own scores); ``predict_proba`` stays a
    distribution over the ``K`` known classes; :meth:`unknown_score` gives a
    continuous score for ranking anomalies (entropy, one minus the largest
    probability, latent distance to the source class prototypes or to the
    nearest source samples, or a nearest-neighbor density ratio).

    Parameters
    ----------
    {parameters}

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The known (source) classes.
    unknown_label_ : int or str
        The label ``predict`` gives unknown samples.
    rho_ : float
        Entropy threshold of the separation loss.
    margin_ : float
        Margin of the separation loss.
    top_k_ : int
        Top indices compared by the clustering term.
    unknown_threshold_ : float
        Threshold of the unknown score used by ``predict``.
    prototypes_ : ndarray of shape (n_classes, n_latent)
        Mean latent feature of each source class (for ``kind="prototype"``).
    source_latent_ : ndarray of shape (n_source, n_latent)
        Latent features of the training source (for ``kind="knn"`` and
        ``"density_ratio"``).
    target_latent_ : ndarray of shape (n_target, n_latent) or None
        Latent features of the training target (``kind="density_ratio"``).
    pretrain_history_ : list of float
        Contrastive loss of each pre-training epoch (empty without pre-training).
    n_features_in_, feature_names_in_, input_shape_, n_latent_, net_, module_, history_
        As in :class:`~skdomain.MMDClassifier`.

    See Also
    --------
    skdomain.metrics : open-set metrics (H-score, unknown AUROC).
    skdomain.nn : the clustering and separation losses.

    Examples
    --------
    >>> import numpy as np
    >>> from skdomain import UniversalDAClassifier
    >>> rng = np.random.default_rng(0)
    >>> centers = np.array([[4.0, 0.0], [-4.0, 0.0], [0.0, 4.0]])
    >>> X = np.vstack([c + rng.normal(size=(40, 2)) for c in centers[:2]])
    >>> y = np.repeat([0, 1], 40)
    >>> X_target = np.vstack([c + rng.normal(size=(40, 2)) for c in centers])
    >>> clf = UniversalDAClassifier(max_epochs=5, random_state=0)
    >>> clf = clf.fit(X, y, X_target=X_target)
    >>> clf.predict_proba(X_target).shape, clf.unknown_score(X_target).shape
    ((120, 2), (120,))
    >>> set(clf.predict(X_target).tolist()) <= {-1, 0, 1}
    True
    """

    parameters = (
        Parameter(
            "class_weight", "balanced", [dict, one_of("balanced"), None],
            'dict, "balanced" or None',
            """Weights of the classes in the source cross-entropy. Balanced weights
            keep rare source classes from being absorbed when class proportions
            differ between the domains.""",
        ),
        Parameter.weight(
            "clustering_weight", 0.1,
            "Weight of the clustering term; 0 switches it off.",
        ),
        Parameter.weight(
            "separation_weight", 0.1,
            "Weight of the entropy separation term; 0 switches it off.",
        ),
        Parameter(
            "rho", None, [interval("real", 0), None],
            "float or None",
            """Entropy threshold (nats) of the separation loss; ``None`` means
            ``log(K) / 2`` for ``K`` known classes.""",
        ),
        Parameter(
            "margin", None, [interval("real", 0), None],
            "float or None",
            """Band around ``rho`` in which the separation loss is zero; ``None``
            means ``min(0.5, rho / 2)``, so that with any number of classes
            (binary too) confident and uncertain predictions lie outside it.""",
        ),
        Parameter(
            "top_k", None, [interval("integer", 1), None],
            "int or None",
            """Number of top indices compared by the rank-statistics labels; must be
            smaller than the number of compared values. ``None`` means
            ``min(2, K - 1)`` for ``K`` known classes.""",
        ),
        Parameter(
            "rank_on", "outputs", [one_of("outputs", "features")],
            '{"outputs", "features"}',
            """Rank the output vectors (DeepAstroUDA) or the latent features (Han et
            al. 2020; finer, so that samples the classifier lumps into one known
            class but that look different can be told apart).""",
        ),
        Parameter(
            "clustering", "rank", [one_of("rank", "neighborhood")],
            '{"rank", "neighborhood"}',
            """Rank-statistics adaptive clustering over pairs from both domains, or
            neighborhood clustering of target features with a memory bank.""",
        ),
        Parameter(
            "memory_size", 512, [interval("integer", 1)],
            "int",
            'Memory bank size of ``clustering="neighborhood"``.',
        ),
        Parameter(
            "head", "linear", [one_of("linear", "cosine")],
            '{"linear", "cosine"}',
            """Linear output layer, or cosine classifier with logits
            ``cos(z, w_c) / temperature``.""",
        ),
        Parameter(
            "temperature", 0.05, [interval("real", 0, None, closed="neither")],
            "float",
            "Temperature of the cosine head and of the neighborhood softmax.",
        ),
        Parameter(
            "warmup", 0.2, [interval("real", 0, 1)],
            "float in [0, 1)",
            """Fraction of training during which the clustering and separation terms
            are off.""",
        ),
        Parameter.weight(
            "domain_weight", 0.0,
            """Weight of an optional DANN domain-adversarial term on the latent
            features (gradient reversal with the DANN schedule, discriminator of
            ``discriminator_hidden_units``), active from the start. 0 switches it
            off (DeepAstroUDA has none). Aligning whole domains when the target
            holds extra classes can pull unknown samples onto known classes; on
            the morphology experiment it raised known-class accuracy and did not
            change unknown detection.""",
        ),
        Parameter(
            "discriminator_hidden_units", (64, 64), ["array-like"],
            "tuple of int",
            """Hidden widths of the domain discriminator (built only when
            ``domain_weight > 0``).""",
        ),
        Parameter(
            "unknown_label", None, "no_validation",
            "int, str or None",
            """Label returned by ``predict`` for unknown samples; must not be one of
            the source classes, and should be of their type (so that scikit-learn's
            metrics can compare them). ``None`` chooses one of the labels' type:
            ``-1`` for numeric classes, ``"unknown"`` for strings (fitted as
            ``unknown_label_``).""",
        ),
        Parameter(
            "unknown_threshold", None, [interval("real", None, None, closed="neither"), None],
            "float or None",
            """Unknown score (of kind ``unknown_score_kind``) above which ``predict``
            answers ``unknown_label``. ``None`` means ``rho`` for the entropy, and
            for the other kinds the ``unknown_quantile`` quantile of the training
            source's own scores (leave-one-out for ``"knn"`` and
            ``"density_ratio"``), i.e. that fraction of known source samples would
            be accepted.""",
        ),
        Parameter(
            "unknown_score_kind", "entropy", [one_of(*UNKNOWN_SCORES)],
            '{"entropy", "max_softmax", "prototype", "knn", "density_ratio"}',
            """Kind of :meth:`unknown_score` that ``predict`` thresholds, and the
            default kind of :meth:`unknown_score`.""",
        ),
        Parameter(
            "unknown_quantile", 0.95, [interval("real", 0, 1, closed="both")],
            "float in [0, 1]",
            """Quantile of the source scores used as threshold when
            ``unknown_threshold=None`` and the kind is not ``"entropy"``.""",
        ),
        Parameter(
            "n_neighbors", 10, [interval("integer", 1)],
            "int",
            'Neighbors used by the ``"knn"`` and ``"density_ratio"`` scores.',
        ),
        Parameter(
            "pretrain_epochs", 0, [interval("integer", 0)],
            "int",
            """Epochs of contrastive self-supervised pre-training (SimCLR NT-Xent on
            two random views: rotation by a multiple of 90 degrees, flip, noise;
            see :mod:`skdomain.nn`) of the encoder on the source and
            target inputs together, before the supervised training; 0 switches
            it off. Only a fresh fit pre-trains (not ``warm_start`` or
            ``partial_fit`` continuations).""",
        ),
        Parameter.weight(
            "contrastive_weight", 0.0,
            """Weight of the same contrastive loss on the target batch *during*
            training (keeps features that tell target images apart even where
            the source labels do not); 0 switches it off.""",
        ),
    )
    removed_parameters = ("fisher_weight", "entropy_weight", "fisher_form")

    # Training ---------------------------------------------------------------
    def _encode_y(self, y, *, fitting: bool):
        encoded = super()._encode_y(y, fitting=fitting)
        if fitting:
            self.unknown_label_ = self._unknown_label()
            n_classes = len(self.classes_)
            self.rho_ = default_rho(n_classes) if self.rho is None else float(self.rho)
            self.margin_ = min(0.5, self.rho_ / 2) if self.margin is None else float(self.margin)
            if self.separation_weight > 0 and (
                self.rho_ - self.margin_ <= 0 and self.rho_ + self.margin_ >= np.log(n_classes)
            ):
                raise ValueError(
                    f"margin={self.margin_:g} around rho={self.rho_:g} covers every possible "
                    f"entropy of {n_classes} classes (0 to {np.log(n_classes):.3g}): the "
                    "separation loss would always be 0. Use a smaller margin."
                )
            n_ranked = n_classes if self.rank_on == "outputs" else None
            self.top_k_ = min(2, n_classes - 1) if self.top_k is None else int(self.top_k)
            if n_ranked is not None and self.clustering_weight > 0 and self.top_k_ >= n_ranked:
                raise ValueError(
                    f"top_k={self.top_k_} must be smaller than the number of classes "
                    f"({n_classes}) with rank_on='outputs': every pair would be 'similar'."
                )
            self.unknown_threshold_ = (
                self.rho_ if self.unknown_threshold is None else float(self.unknown_threshold)
            )
        return encoded

    def _unknown_label(self):
        """``unknown_label``, checked, or one of the classes' type when it is None."""
        label = self.unknown_label
        numeric = self.classes_.dtype.kind in "biuf"
        if label is None:
            if numeric:
                label = -1
                while np.any(self.classes_ == label):
                    label -= 1
            else:
                label, i = "unknown", 1
                while any(_same_label(c, label) for c in self.classes_):
                    label, i = f"unknown_{i}", i + 1
            return label
        if np.ndim(label) != 0:
            raise ValueError(f"unknown_label must be a single value, got {label!r}.")
        if numeric != (isinstance(label, numbers.Number) and not isinstance(label, bool)):
            raise ValueError(
                f"unknown_label={label!r} is not of the type of the classes "
                f"{self.classes_[:3].tolist()}...: scikit-learn's metrics could not compare "
                "them. Use unknown_label=None to choose one automatically."
            )
        if any(_same_label(c, label) for c in self.classes_):
            raise ValueError(
                f"unknown_label={label!r} is one of the source classes; "
                "choose a label that no known class uses."
            )
        return label

    def _build_network(self, sample_shape):
        network = super()._build_network(sample_shape)
        if self.head == "cosine":
            network = DomainAdaptationNetwork(
                network.encoder,
                CosineHead(self.n_latent_, len(self.classes_), self.temperature),
                dict(network.extra_heads),
            )
        self.pretrain_history_ = []
        data = getattr(self, "_pretrain_data", None)
        if self.pretrain_epochs > 0 and data is not None:
            X = np.concatenate([np.asarray(part, dtype=np.float32) for part in data])
            self.pretrain_history_ = pretrain_contrastive(
                network.encoder,
                network.extra_heads[PROJECTION],
                _to_tensor(X, "cpu"),
                epochs=self.pretrain_epochs,
                batch_size=max(2, min(self.batch_size, X.shape[0])),
                lr=self.lr,
                generator=torch.Generator().manual_seed(int(torch.randint(2**31, ()))),
            )
        return network

    def _make_objective(self):
        return UniversalObjective(
            **self._objective_shape(),
            clustering_weight=self.clustering_weight,
            clustering=self.clustering,
            top_k=self.top_k_,
            rank_on=self.rank_on,
            separation_weight=self.separation_weight,
            rho=self.rho_,
            margin=self.margin_,
            warmup=self.warmup,
            memory_size=self.memory_size,
            nc_temperature=self.temperature,
            domain_weight=self.domain_weight,
            contrastive_weight=self.contrastive_weight,
        )

    def _build_extra_heads(self, latent_dim, sample_shape, n_outputs):
        heads = {}
        if self.domain_weight > 0:
            heads[DISCRIMINATOR] = DomainDiscriminator(
                latent_dim, tuple(self.discriminator_hidden_units)
            )
        if self.pretrain_epochs > 0 or self.contrastive_weight > 0:
            heads[PROJECTION] = ProjectionHead(latent_dim)
        return heads

    def _fit(self, X, y, X_target, *, epochs, continue_training):
        # Inputs of the contrastive pre-training, read by _build_network (validated
        # by then); never kept on the fitted estimator.
        out_of_core = [
            v for v in (X, X_target) if is_streaming(v) and not isinstance(v, np.ndarray)
        ]
        if self.pretrain_epochs > 0 and out_of_core:
            raise ValueError(
                "pretrain_epochs > 0 needs X and X_target in memory (the contrastive "
                "pre-training reads all rows); pass arrays or set pretrain_epochs=0."
            )
        self._pretrain_data = [X] if X_target is None else [X, X_target]
        try:
            super()._fit(X, y, X_target, epochs=epochs, continue_training=continue_training)
        finally:
            del self._pretrain_data
        self._set_prototypes(X, y)
        self.target_latent_ = None if X_target is None else self.transform(X_target)
        if self.unknown_score_kind != "entropy" and self.unknown_threshold is None:
            self.unknown_threshold_ = self._source_quantile_threshold(X, self.unknown_score_kind)
        return self

    def _set_prototypes(self, X, y):
        self.source_latent_ = self.transform(X)
        latent = torch.as_tensor(self.source_latent_, dtype=torch.float32)
        codes = self._label_encoder.transform(np.asarray(y).ravel())
        prototypes = np.zeros((len(self.classes_), latent.shape[1]), dtype=np.float32)
        for code in np.unique(codes):
            prototypes[code] = latent[codes == code].mean(0).numpy()
        self.prototypes_ = prototypes

    # Prediction -------------------------------------------------------------
    @array_method_doc(
        "ndarray of shape (n_samples,)",
        """Labels of ``classes_`` and ``unknown_label``; the dtype holds both
        (object when, say, the classes are strings and ``unknown_label`` an int).""",
    )
    def predict(self, X):
        """Most probable known class, or ``unknown_label`` when the unknown score is too high.

        The score is :meth:`unknown_score` of kind ``unknown_score_kind``
        (default: the prediction entropy), the threshold ``unknown_threshold_``.
        """
        proba = self.predict_proba(X)
        out = _label_array(self.classes_, self.unknown_label_, proba.shape[0])
        out[:] = self.classes_[np.argmax(proba, axis=1)]
        if self.unknown_score_kind == "entropy":  # reuse the probabilities: no second pass
            score = prediction_entropy(torch.as_tensor(proba)).numpy()
        else:
            score = self.unknown_score(X, kind=self.unknown_score_kind)
        out[score > self.unknown_threshold_] = self.unknown_label_
        return out

    @array_method_doc("ndarray of shape (n_samples,)")
    def predict_known(self, X):
        """Most probable known class, never ``unknown_label`` (closed-set prediction)."""
        return super().predict(X)

    def unknown_score(self, X, kind=None):
        """Continuous score, higher for samples more likely to be of an unknown class.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...)
        kind : {"entropy", "max_softmax", "prototype"} or None, default=None
            ``"entropy"``: entropy of the predicted probabilities (nats; the
            quantity ``predict`` thresholds). ``"max_softmax"``: one minus the
            largest probability. ``"prototype"``: one minus the largest cosine
            similarity between the latent features and the source class
            prototypes ``prototypes_``. ``"knn"``: mean cosine distance of the
            latent features to their ``n_neighbors`` nearest training-source
            latents (far from all source data). ``"density_ratio"``:
            ``log(d_source / d_target)``, the log ratio of the cosine distances
            to the ``n_neighbors``-th nearest training-source and
            training-target latents, a nearest-neighbor estimate of how much
            denser the target is than the source around the sample (an unknown
            class is dense in the target and absent from the source); needs
            ``X_target`` at fit, and a training-target sample counts itself as
            one of its neighbors. ``None`` uses ``unknown_score_kind``.

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        check_is_fitted(self, "net_")
        kind = self.unknown_score_kind if kind is None else kind
        if kind not in UNKNOWN_SCORES:
            raise ValueError(f"kind must be one of {UNKNOWN_SCORES}, got {kind!r}.")
        if kind == "prototype":
            latent = torch.as_tensor(self.transform(X))
            prototypes = _to_tensor(self.prototypes_, "cpu")
            cosine = F.normalize(latent, dim=1) @ F.normalize(prototypes, dim=1).T
            return (1.0 - cosine.max(dim=1).values).numpy().astype(np.float64)
        if kind in ("knn", "density_ratio"):
            return self._neighbor_score(self.transform(X), kind)
        proba = self.predict_proba(X)
        if kind == "max_softmax":
            return 1.0 - proba.max(axis=1)
        return prediction_entropy(torch.as_tensor(proba)).numpy()


    def _neighbor_score(self, latent, kind, *, leave_one_out=False):
        def distances(reference, skip=0):
            reference = np.asarray(reference)
            k = min(self.n_neighbors + skip, reference.shape[0])
            search = NearestNeighbors(n_neighbors=k, metric="cosine").fit(reference)
            return search.kneighbors(latent)[0][:, skip:]

        # leave_one_out: ``latent`` is the training source itself; each sample's
        # own point (distance 0) is not one of its neighbors.
        source = distances(self.source_latent_, skip=int(leave_one_out))
        if kind == "knn":
            return source.mean(axis=1).astype(np.float64)
        if self.target_latent_ is None:
            raise ValueError(
                'kind="density_ratio" needs target latents: fit with X_target.'
            )
        target = distances(self.target_latent_)
        eps = 1e-12
        return (np.log(source[:, -1] + eps) - np.log(target[:, -1] + eps)).astype(np.float64)

    def _source_quantile_threshold(self, X, kind):
        """``unknown_quantile`` of the training source's own unknown scores."""
        if kind in ("knn", "density_ratio"):
            scores = self._neighbor_score(self.source_latent_, kind, leave_one_out=True)
        else:
            scores = self.unknown_score(X, kind=kind)
        return float(np.quantile(scores, self.unknown_quantile))


def _same_label(a, b) -> bool:
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return False
