"""Scorers that judge a domain-adapted model on the target without its labels.

The default score of a search is accuracy on held-out *source* data. The
scorers here estimate how good a model is on the *target* without its labels
(entropy, importance-weighted validation, deep embedded validation, soft
neighborhood density, reverse validation, mixed-sample probes), or with a few labels
(:class:`LabeledTargetScorer`). They are plain callables
``scorer(estimator, X, y)``, "greater is better", usable as ``scoring=`` in any
scikit-learn search; each returns a finite float or raises a ``ValueError``
that says why.

Where a scorer finds its target rows, in this order: an ``X_target`` keyword
(metadata routing, see :meth:`DAScorer.set_score_request`); the rows that a
:class:`~skdomain.model_selection.DomainAwareGridSearchCV` fold set aside for
scoring (the fitted fold's ``scoring_target_``); the ``X_target`` given to the
scorer's constructor.
"""

from __future__ import annotations

import inspect

import numpy as np
from sklearn.base import clone, is_classifier, is_regressor
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import check_scoring
from sklearn.model_selection import KFold, cross_val_predict
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_array

__all__ = [
    "DAScorer",
    "PredictionEntropyScorer",
    "ImportanceWeightedScorer",
    "DeepEmbeddedValidationScorer",
    "SoftNeighborhoodDensityScorer",
    "ReverseValidationScorer",
    "MixValScorer",
    "LabeledTargetScorer",
    "make_unsupervised_scorers",
]


def _take_rows(X, rows):
    return X.iloc[rows] if hasattr(X, "iloc") else X[rows]

# --------------------------------------------------------------------------
# Scorers
# --------------------------------------------------------------------------
def _finite(value, name: str) -> float:
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(
            f"{name} is {value}: the model's outputs on the target are not finite or the "
            "score is undefined for them."
        )
    return value


def _bare(estimator):
    """The estimator inside a fold's target binding (see ``skdomain.model_selection``)."""
    if hasattr(estimator, "scoring_target_") and "estimator_" in vars(estimator):
        return vars(estimator)["estimator_"]
    return estimator


def _fit_accepts_target(estimator) -> bool:
    try:
        return "X_target" in inspect.signature(estimator.fit).parameters
    except (TypeError, ValueError):
        return False


def _flat(X) -> np.ndarray:
    X = check_array(X, allow_nd=True, dtype=np.float64)
    return X.reshape(X.shape[0], -1)


def _proba(estimator, X, scorer_name) -> np.ndarray:
    if not hasattr(estimator, "predict_proba"):
        raise ValueError(
            f"{scorer_name} needs class probabilities, but {type(estimator).__name__} has "
            "no predict_proba (regressors cannot use it)."
        )
    proba = np.asarray(estimator.predict_proba(X), dtype=np.float64)
    if not np.all(np.isfinite(proba)):
        raise ValueError(f"{scorer_name}: predict_proba returned non-finite values.")
    return proba


class DAScorer:
    """Base class of the domain-adaptation scorers: finds the target rows.

    Parameters
    ----------
    X_target : array-like of shape (n_target, ...), default=None
        Unlabeled target rows to score on, when neither metadata routing nor
        :class:`DomainAwareGridSearchCV` provides them.

    Notes
    -----
    With metadata routing enabled, ``scorer.set_score_request(X_target=True)``
    lets a search pass ``X_target`` to the scorer as score metadata (sliced by
    scikit-learn like any metadata of the length of ``X``).

    Examples
    --------
    >>> from skdomain import MMDClassifier
    >>> from skdomain.datasets import make_rotated_moons
    >>> from skdomain.metrics import DAScorer, PredictionEntropyScorer
    >>> X, y, Xt, _ = make_rotated_moons(60, random_state=0)
    >>> scorer = PredictionEntropyScorer(X_target=Xt)  # every scorer of this family is a DAScorer
    >>> isinstance(scorer, DAScorer)
    True
    >>> model = MMDClassifier(max_epochs=2, random_state=0).fit(X, y, X_target=Xt)
    >>> bool(scorer(model, X, y) <= 0)  # minus the mean target entropy: greater is better
    True
    """

    name = "da_score"
    _routed_target_requested = False

    def __init__(self, X_target=None):
        self.X_target = X_target

    def set_score_request(self, *, X_target=None):
        """Request ``X_target`` as routed score metadata (metadata routing only).

        Parameters
        ----------
        X_target : bool or None, default=None

        Returns
        -------
        self
        """
        self._routed_target_requested = bool(X_target)
        return self

    def get_metadata_routing(self):
        """Routing of this scorer: it may request ``X_target`` for ``score``."""
        from sklearn.utils.metadata_routing import MetadataRequest

        request = MetadataRequest(owner=self)
        if self._routed_target_requested:
            request.score.add_request(param="X_target", alias=True)
        return request

    def _target(self, estimator, X_target):
        for candidate in (X_target, getattr(estimator, "scoring_target_", None), self.X_target):
            if candidate is not None:
                return candidate
        raise ValueError(
            f"{type(self).__name__} has no target rows to score on: pass X_target to its "
            "constructor, use DomainAwareGridSearchCV / da_cross_validate, or route X_target "
            "as score metadata."
        )

    def __call__(self, estimator, X, y=None, X_target=None, **kwargs):
        """Score ``estimator`` on ``X`` (and the target data); greater is better."""
        target = self._target(estimator, X_target)
        return _finite(self._score(estimator, X, y, target), type(self).__name__)

    def _score(self, estimator, X, y, X_target):
        raise NotImplementedError

    def __repr__(self):
        shown = {k: v for k, v in vars(self).items() if k != "X_target" and not k.startswith("_")}
        args = ", ".join(f"{k}={v!r}" for k, v in shown.items())
        return f"{type(self).__name__}({args})"


class PredictionEntropyScorer(DAScorer):
    """Negative mean entropy of the predicted class probabilities on the target.

    Confident target predictions score high. Cheap, but blind to confident
    mistakes: a model that collapses the target onto one class scores best.

    Parameters
    ----------
    X_target : array-like, default=None
        See :class:`DAScorer`.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skdomain.datasets import make_rotated_moons
    >>> X, y, X_target, _ = make_rotated_moons(100, random_state=0)
    >>> clf = LogisticRegression().fit(X, y)
    >>> PredictionEntropyScorer(X_target)(clf, X, y) <= 0
    True
    """

    def _score(self, estimator, X, y, X_target):
        proba = np.clip(_proba(estimator, X_target, type(self).__name__), 1e-12, 1.0)
        return np.mean(np.sum(proba * np.log(proba), axis=1))


class SoftNeighborhoodDensityScorer(DAScorer):
    """Soft neighborhood density of the target predictions (Saito et al. 2021).

    Target probability vectors are L2-normalized; each row's similarities to
    the others are turned into a distribution by a softmax at ``temperature``,
    and the score is the mean entropy of those distributions: high when target
    samples form dense neighborhoods of consistent predictions.

    Parameters
    ----------
    X_target : array-like, default=None
    temperature : float, default=0.05
    max_samples : int, default=1000
        Target rows used at most (a random subset), bounding the n^2 memory.
    random_state : int, default=0

    Examples
    --------
    >>> from sklearn.neighbors import KNeighborsClassifier
    >>> from skdomain.datasets import make_rotated_moons
    >>> X, y, X_target, _ = make_rotated_moons(80, random_state=1)
    >>> scorer = SoftNeighborhoodDensityScorer(X_target, temperature=0.1, max_samples=50)
    >>> scorer(KNeighborsClassifier().fit(X, y), X, y) > 0
    True
    """

    def __init__(self, X_target=None, *, temperature=0.05, max_samples=1000, random_state=0):
        super().__init__(X_target)
        self.temperature = temperature
        self.max_samples = max_samples
        self.random_state = random_state

    def _score(self, estimator, X, y, X_target):
        if not self.temperature > 0:
            raise ValueError(f"temperature must be positive, got {self.temperature}.")
        n = len(X_target)
        if n > self.max_samples:
            rows = check_random_state(self.random_state).choice(n, self.max_samples, False)
            X_target = _take_rows(X_target, np.sort(rows))
        proba = _proba(estimator, X_target, type(self).__name__)
        if proba.shape[0] < 2:
            raise ValueError("SoftNeighborhoodDensityScorer needs at least 2 target rows.")
        unit = proba / np.linalg.norm(proba, axis=1, keepdims=True)
        logits = unit @ unit.T / self.temperature
        np.fill_diagonal(logits, -np.inf)
        logits -= logits.max(axis=1, keepdims=True)
        weights = np.exp(logits)
        weights /= weights.sum(axis=1, keepdims=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            terms = np.where(weights > 0, weights * np.log(weights), 0.0)
        return -np.mean(np.sum(terms, axis=1))


def _density_ratio(Z_source, Z_target, domain_classifier, cv, random_state, clip):
    """Cross-fitted p_target(z) / p_source(z) at the source rows, from a domain classifier."""
    Z = np.concatenate([Z_source, Z_target])
    domain = np.r_[np.zeros(len(Z_source)), np.ones(len(Z_target))]
    n_splits = int(min(cv, len(Z_source), len(Z_target)))
    if n_splits < 2:
        raise ValueError("Importance weights need at least 2 source and 2 target rows.")
    # Plain shuffled K-fold: on two equally sized, identically distributed domains
    # StratifiedKFold's cross-fitted probabilities were biased (0.8 vs 0.5 at the
    # source vs target rows in our tests), KFold's were not.
    splitter = KFold(n_splits, shuffle=True, random_state=random_state)
    classifier = LogisticRegression() if domain_classifier is None else clone(domain_classifier)
    proba = cross_val_predict(classifier, Z, domain, cv=splitter, method="predict_proba")
    p_target = np.clip(proba[: len(Z_source), 1], 1e-6, 1 - 1e-6)
    ratio = p_target / (1 - p_target) * (len(Z_source) / len(Z_target))
    return np.clip(ratio, 0.0, clip)


def _per_sample_loss(estimator, X, y, scorer_name):
    if is_regressor(estimator):
        pred = np.asarray(estimator.predict(X), dtype=np.float64).reshape(len(X), -1)
        return np.mean((pred - np.asarray(y, np.float64).reshape(len(X), -1)) ** 2, axis=1)
    proba = _proba(estimator, X, scorer_name)
    classes = np.asarray(estimator.classes_)
    y = np.asarray(y)
    unseen = np.setdiff1d(np.unique(y), classes) if y.dtype.kind == classes.dtype.kind else [
        label for label in np.unique(y.astype(object)) if not np.any(classes == label)
    ]
    if len(unseen):
        raise ValueError(
            f"y has labels {np.asarray(unseen).tolist()[:5]} that the estimator was not fitted on "
            f"(classes_={classes.tolist()}); score it on data of its classes."
        )
    index = np.searchsorted(classes, y)
    return -np.log(np.clip(proba[np.arange(len(index)), index], 1e-12, 1.0))


class _WeightedSourceScorer(DAScorer):
    def __init__(
        self, X_target=None, *, domain_classifier=None, cv=5, clip=20.0, random_state=0
    ):
        super().__init__(X_target)
        self.domain_classifier = domain_classifier
        self.cv = cv
        self.clip = clip
        self.random_state = random_state

    def _check_labels(self, y):
        if y is None:
            raise ValueError(f"{type(self).__name__} needs the held-out source labels y.")


class ImportanceWeightedScorer(_WeightedSourceScorer):
    """Importance-weighted validation (Sugiyama et al. 2007) on held-out source data.

    A domain classifier (cross-fitted, on the raw inputs) estimates the density
    ratio ``w(x) = p_target(x) / p_source(x)`` at the held-out source rows; the
    score is the ``w``-weighted accuracy (classifiers) or minus the weighted
    mean squared error (regressors): held-out source errors counted as often as
    such inputs occur in the target.

    Parameters
    ----------
    X_target : array-like, default=None
    domain_classifier : classifier with predict_proba, default=None
        ``None`` is a ``LogisticRegression``.
    cv : int, default=5
        Folds of the cross-fitting of the domain classifier.
    clip : float, default=20.0
        Upper bound on the weights (variance control).
    random_state : int, default=0

    Examples
    --------
    A classifier's weighted accuracy lies in [0, 1]; a regressor's score is at
    most 0:

    >>> from sklearn.linear_model import LogisticRegression, Ridge
    >>> from skdomain.datasets import make_rotated_moons
    >>> X, y, X_target, _ = make_rotated_moons(100, random_state=0)
    >>> scorer = ImportanceWeightedScorer(X_target, cv=3)
    >>> 0 <= scorer(LogisticRegression().fit(X, y), X, y) <= 1
    True
    >>> scorer(Ridge().fit(X, y), X, y) <= 0
    True
    """

    def _score(self, estimator, X, y, X_target):
        self._check_labels(y)
        weights = _density_ratio(
            _flat(X), _flat(X_target), self.domain_classifier, self.cv,
            self.random_state, self.clip,
        )
        if weights.sum() <= 0:
            raise ValueError("All importance weights are zero: the domains do not overlap.")
        if is_regressor(estimator):
            loss = _per_sample_loss(estimator, X, y, type(self).__name__)
            return -np.average(loss, weights=weights)
        correct = np.asarray(estimator.predict(X)) == np.asarray(y)
        return np.average(correct, weights=weights)


class DeepEmbeddedValidationScorer(_WeightedSourceScorer):
    """Deep embedded validation (You et al. 2019): minus the DEV risk.

    The density ratio is estimated by a domain classifier on the model's
    *latent features* (``estimator.transform``), where adaptation happens;
    the weighted held-out source loss (cross-entropy, or squared error for
    regressors) is then corrected by a control variate,
    ``risk = mean(w * l) + eta * mean(w) - eta`` with
    ``eta = -cov(w * l, w) / var(w)``, which lowers the variance of the estimate.

    Parameters
    ----------
    X_target : array-like, default=None
    domain_classifier : classifier with predict_proba, default=None
        ``None`` is a ``LogisticRegression`` on standardized features.
    cv : int, default=5
    clip : float, default=20.0
    random_state : int, default=0

    Examples
    --------
    >>> from skdomain import MMDClassifier
    >>> from skdomain.datasets import make_rotated_moons
    >>> X, y, X_target, _ = make_rotated_moons(100, random_state=0)
    >>> clf = MMDClassifier(max_epochs=2, random_state=0).fit(X, y, X_target=X_target)
    >>> DeepEmbeddedValidationScorer(X_target)(clf, X, y) <= 0
    True
    """

    def _score(self, estimator, X, y, X_target):
        self._check_labels(y)
        if not hasattr(estimator, "transform"):
            raise ValueError(
                "DeepEmbeddedValidationScorer needs latent features: "
                f"{type(_bare(estimator)).__name__} has no transform."
            )
        Z_source = _flat(estimator.transform(X))
        Z_target = _flat(estimator.transform(X_target))
        # Standardize on both domains; constant (e.g. dead ReLU) features stay constant.
        pooled = np.concatenate([Z_source, Z_target])
        scale = pooled.std(axis=0)
        scale = np.where(scale > 1e-6, scale, 1.0)
        center = pooled.mean(axis=0)
        weights = _density_ratio(
            (Z_source - center) / scale, (Z_target - center) / scale,
            self.domain_classifier, self.cv, self.random_state, self.clip,
        )
        loss = _per_sample_loss(estimator, X, y, type(self).__name__)
        weighted = weights * loss
        variance = np.var(weights, ddof=1) if len(weights) > 1 else 0.0
        eta = 0.0
        if variance > 1e-12:
            eta = -np.cov(weighted, weights, ddof=1)[0, 1] / variance
        return -(np.mean(weighted) + eta * np.mean(weights) - eta)


class ReverseValidationScorer(DAScorer):
    """Reverse (circular) validation (Zhong et al. 2010; Ganin et al. 2016).

    The fitted model labels the target; a fresh copy of it
    (:func:`sklearn.base.clone`, the same hyper-parameters, no deep copy of a
    fitted network) is trained on the pseudo-labeled target, with the
    held-out source as *its* target domain when its ``fit`` accepts
    ``X_target``, and scored on the held-out source labels (its ``score``:
    accuracy or R^2). A model whose target labels are consistent with the
    source labels scores high. Costs one extra fit per call.

    If the model predicts a single class on the whole target, the reverse model
    is that constant, and the score its accuracy on the source labels.

    Parameters
    ----------
    X_target : array-like, default=None
    reverse_estimator : estimator, default=None
        Trained in the reverse direction; ``None`` clones the scored estimator.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skdomain.datasets import make_rotated_moons
    >>> X, y, X_target, _ = make_rotated_moons(100, random_state=0)
    >>> reverse = ReverseValidationScorer(X_target, reverse_estimator=LogisticRegression(C=0.1))
    >>> 0 <= reverse(LogisticRegression().fit(X, y), X, y) <= 1
    True
    """

    def __init__(self, X_target=None, *, reverse_estimator=None):
        super().__init__(X_target)
        self.reverse_estimator = reverse_estimator

    def _score(self, estimator, X, y, X_target):
        if y is None:
            raise ValueError("ReverseValidationScorer needs the held-out source labels y.")
        pseudo = np.asarray(estimator.predict(X_target))
        template = _bare(estimator) if self.reverse_estimator is None else self.reverse_estimator
        if is_classifier(template) and np.unique(pseudo).size < 2:
            return np.mean(np.asarray(y) == pseudo[0])
        reverse = clone(template)
        if _fit_accepts_target(reverse):
            reverse.fit(X_target, pseudo, X_target=X)
        else:
            reverse.fit(X_target, pseudo)
        return reverse.score(X, y)


def _mix_rows(X, partner, ratio):
    """``ratio * X + (1 - ratio) * X[partner]``, keeping a DataFrame's columns."""
    values = np.asarray(X, dtype=np.float64)
    mixed = ratio * values + (1.0 - ratio) * values[partner]
    if hasattr(X, "iloc"):
        return type(X)(mixed, columns=X.columns)
    return mixed


class MixValScorer(DAScorer):
    """Mixed target samples as probes of the learned target structure (MixVal).

    Hu et al., "Mixed Samples as Probes for Unsupervised Model Selection in
    Domain Adaptation", NeurIPS 2023. The model labels the target rows
    (pseudo-labels); every row ``x_i`` is mixed with a random partner ``x_j``
    into the probe ``r * x_i + (1 - r) * x_j`` (``mix_ratio`` ``r`` just above
    1/2), whose pseudo-label is that of the dominant row ``x_i``. The score is
    the model's accuracy on the probes against those mixed pseudo-labels,
    computed separately on

    - *intra-cluster* probes (partners with the same pseudo-label): does the
      model predict consistently inside its target clusters (neighborhood
      density, as SND measures)?
    - *inter-cluster* probes (different pseudo-labels): does the model's
      decision boundary lie between its clusters, so that a probe closer to
      ``x_i`` is given ``x_i``'s label (a confident boundary, as entropy
      measures, but one that must be consistent with the clusters)?

    and averaged (``probes="both"``). A model that predicts one class for the
    whole target has no inter-cluster probes; it scores 0 on them, so a
    collapsed model is not rewarded for its trivially consistent clusters.
    Needs only ``predict`` and inputs that can be mixed linearly (numbers,
    images): the probes are made in the input space, before any pipeline step.

    Parameters
    ----------
    X_target : array-like, default=None
        See :class:`DAScorer`.
    mix_ratio : float, default=0.55
        Weight ``r`` of the dominant row, in (0.5, 1). Near 0.5 the inter-cluster
        probes sit close to the boundary the model draws between its clusters.
    probes : {"both", "intra", "inter"}, default="both"
        Which probes to score.
    n_repeats : int, default=3
        Random pairings averaged (each gives one probe per target row).
    random_state : int, default=0
        Seed of the pairings (fixed, so that all candidates see the same pairs).

    See Also
    --------
    SoftNeighborhoodDensityScorer, PredictionEntropyScorer
    skdomain.model_selection.select_by_ensemble : the other target-only criterion.

    Examples
    --------
    A classifier that matches the structure of the target scores higher than
    one that cuts through its clusters:

    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> rng = np.random.default_rng(0)
    >>> X_target = np.r_[rng.normal(-2, 0.5, (50, 2)), rng.normal(2, 0.5, (50, 2))]
    >>> labels = np.r_[np.zeros(50), np.ones(50)]
    >>> good = LogisticRegression().fit(X_target, labels)
    >>> bad = LogisticRegression().fit(X_target, X_target[:, 1] > X_target[:, 0])
    >>> scorer = MixValScorer(X_target)
    >>> bool(scorer(good, None) > scorer(bad, None))
    True
    >>> MixValScorer(X_target, probes="intra")(good, None)  # consistent inside each cluster
    1.0
    """

    _PROBES = ("both", "intra", "inter")

    def __init__(
        self, X_target=None, *, mix_ratio=0.55, probes="both", n_repeats=3, random_state=0
    ):
        super().__init__(X_target)
        self.mix_ratio = mix_ratio
        self.probes = probes
        self.n_repeats = n_repeats
        self.random_state = random_state

    def _check_params(self):
        if not 0.5 < self.mix_ratio < 1.0:
            raise ValueError(f"mix_ratio must lie in (0.5, 1), got {self.mix_ratio!r}.")
        if self.probes not in self._PROBES:
            raise ValueError(
                f"probes must be one of {self._PROBES}, got {self.probes!r}."
            )
        if not (isinstance(self.n_repeats, (int, np.integer)) and self.n_repeats >= 1):
            raise ValueError(f"n_repeats must be a positive integer, got {self.n_repeats!r}.")

    def _score(self, estimator, X, y, X_target):
        self._check_params()
        n = len(X_target)
        if n < 2:
            raise ValueError("MixValScorer needs at least 2 target rows.")
        labels = np.asarray(estimator.predict(X_target))
        rng = check_random_state(self.random_state)
        hits = {"intra": [], "inter": []}
        for _ in range(self.n_repeats):
            partner = rng.permutation(n)
            mixed = np.asarray(estimator.predict(_mix_rows(X_target, partner, self.mix_ratio)))
            agree = mixed == labels
            same = labels == labels[partner]
            hits["intra"].append(agree[same])
            hits["inter"].append(agree[~same])
        intra = np.concatenate(hits["intra"])
        inter = np.concatenate(hits["inter"])
        # No probe of a kind: intra (every pair crosses clusters) is vacuous and
        # counts as consistent; inter (one predicted class) counts as 0.
        intra_score = intra.mean() if intra.size else 1.0
        inter_score = inter.mean() if inter.size else 0.0
        if self.probes == "intra":
            return intra_score
        if self.probes == "inter":
            return inter_score
        return 0.5 * (intra_score + inter_score)


class LabeledTargetScorer(DAScorer):
    """Score on a few labeled target samples (semi-supervised model selection).

    Parameters
    ----------
    X_target_labeled : array-like of shape (n_labeled, ...)
    y_target_labeled : array-like of shape (n_labeled,)
    scoring : str or callable, default=None
        A scikit-learn scoring name or scorer; ``None`` is the estimator's
        ``score`` (accuracy or R^2).

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skdomain.datasets import make_rotated_moons
    >>> X, y, X_target, y_target = make_rotated_moons(100, random_state=0)
    >>> clf = LogisticRegression().fit(X, y)
    >>> scorer = LabeledTargetScorer(X_target[:10], y_target[:10])
    >>> 0 <= scorer(clf, X, y) <= 1
    True
    """

    def __init__(self, X_target_labeled, y_target_labeled, *, scoring=None):
        super().__init__(None)
        self.X_target_labeled = X_target_labeled
        self.y_target_labeled = y_target_labeled
        self.scoring = scoring

    def __call__(self, estimator, X, y=None, X_target=None, **kwargs):
        """Score ``estimator`` on the labeled target samples; greater is better."""
        if len(self.X_target_labeled) != len(self.y_target_labeled):
            raise ValueError("X_target_labeled and y_target_labeled differ in length.")
        if len(self.y_target_labeled) < 1:
            raise ValueError("LabeledTargetScorer needs at least one labeled target sample.")
        scorer = check_scoring(estimator, scoring=self.scoring)
        value = scorer(estimator, self.X_target_labeled, self.y_target_labeled)
        return _finite(value, type(self).__name__)

    def __repr__(self):
        return f"LabeledTargetScorer(n_labeled={len(self.y_target_labeled)})"


def make_unsupervised_scorers(X_target=None, *, classifier=True, reverse=True, random_state=0):
    """The unsupervised DA scorers by name, for multi-metric ``scoring=``.

    Parameters
    ----------
    X_target : array-like, default=None
        Target rows for use outside :class:`DomainAwareGridSearchCV`.
    classifier : bool, default=True
        Include the classifier-only scorers (entropy, SND, MixVal).
    reverse : bool, default=True
        Include reverse validation (one extra fit per fold and candidate).
    random_state : int, default=0

    Returns
    -------
    dict of str -> DAScorer
        Keys among ``"entropy"``, ``"snd"``, ``"mixval"``, ``"iwv"``, ``"dev"``,
        ``"reverse"``.

    Examples
    --------
    >>> sorted(make_unsupervised_scorers())
    ['dev', 'entropy', 'iwv', 'mixval', 'reverse', 'snd']
    >>> sorted(make_unsupervised_scorers(classifier=False, reverse=False))
    ['dev', 'iwv']
    """
    scorers: dict[str, DAScorer] = {}
    if classifier:
        scorers["entropy"] = PredictionEntropyScorer(X_target)
        scorers["snd"] = SoftNeighborhoodDensityScorer(X_target, random_state=random_state)
        scorers["mixval"] = MixValScorer(X_target, random_state=random_state)
    scorers["iwv"] = ImportanceWeightedScorer(X_target, random_state=random_state)
    scorers["dev"] = DeepEmbeddedValidationScorer(X_target, random_state=random_state)
    if reverse:
        scorers["reverse"] = ReverseValidationScorer(X_target)
    return scorers
