"""Is the target domain out of domain? Two-sample tests of source against target.

Three complementary views, one call (:func:`shift_report`) returning them as a
tidy pandas table:

- :func:`mmd_test`: kernel maximum mean discrepancy with a permutation p-value,
  sensitive to any difference of the joint distributions;
- :func:`classifier_test`: can a classifier tell source from target? Out-of-fold
  ROC AUC with a bootstrap confidence interval (0.5 = indistinguishable);
- :func:`feature_tests`: one Kolmogorov-Smirnov (or Anderson-Darling) test per
  feature with a multiple-testing correction, which shows how much of the shift
  is visible in one-dimensional histograms.

A shift that the first two find and the third hardly does is the "subtle"
shift of the cluster-mass study.
"""

from __future__ import annotations

import numbers
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from scipy import stats
from sklearn.base import clone
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_array

from ..nn import DEFAULT_BANDWIDTH_MULTIPLIERS, gaussian_kernel, mmd2

__all__ = [
    "MMDTestResult",
    "ClassifierTestResult",
    "mmd_test",
    "classifier_test",
    "feature_tests",
    "shift_report",
    "latent_mmd",
]


@dataclass(frozen=True)
class MMDTestResult:
    """Result of :func:`mmd_test`: biased MMD^2 statistic, permutation p-value.

    Examples
    --------
    >>> import numpy as np
    >>> from skdomain.shift import mmd_test
    >>> rng = np.random.default_rng(0)
    >>> result = mmd_test(rng.normal(size=(50, 2)), rng.normal(1.0, size=(50, 2)),
    ...                   n_permutations=50, random_state=0)
    >>> result.n_permutations, result.p_value < 0.05
    (50, True)
    """

    statistic: float
    p_value: float
    n_permutations: int


@dataclass(frozen=True)
class ClassifierTestResult:
    """Result of :func:`classifier_test`: out-of-fold AUC, its CI and a p-value.

    Examples
    --------
    >>> import numpy as np
    >>> from skdomain.shift import classifier_test
    >>> rng = np.random.default_rng(0)
    >>> result = classifier_test(rng.normal(size=(60, 2)), rng.normal(2.0, size=(60, 2)),
    ...                          n_bootstrap=50, random_state=0)
    >>> result.auc > 0.8, result.ci_low <= result.auc <= result.ci_high
    (True, True)
    """

    auc: float
    ci_low: float
    ci_high: float
    p_value: float


def _check_pair(X_source, X_target, *, min_samples: int = 2):
    names = None
    if hasattr(X_source, "columns"):
        names = [str(c) for c in X_source.columns]
        if hasattr(X_target, "columns") and list(map(str, X_target.columns)) != names:
            raise ValueError("X_source and X_target have different columns.")
    Xs = check_array(X_source, dtype=np.float64, ensure_min_samples=min_samples,
                     input_name="X_source")
    Xt = check_array(X_target, dtype=np.float64, ensure_min_samples=min_samples,
                     input_name="X_target")
    if Xs.shape[1] != Xt.shape[1]:
        raise ValueError(
            f"X_source has {Xs.shape[1]} features but X_target has {Xt.shape[1]}."
        )
    if names is None:
        names = [f"x{i}" for i in range(Xs.shape[1])]
    return Xs, Xt, names


def _standardize(Xs, Xt):
    pooled = np.concatenate([Xs, Xt])
    mean, scale = pooled.mean(0), pooled.std(0)
    scale = np.where(scale > 0, scale, 1.0)
    return (Xs - mean) / scale, (Xt - mean) / scale


def mmd_test(
    X_source,
    X_target,
    *,
    n_permutations: int = 500,
    standardize: bool = True,
    bandwidth_multipliers=DEFAULT_BANDWIDTH_MULTIPLIERS,
    random_state=None,
) -> MMDTestResult:
    """Kernel two-sample test: MMD^2 with a permutation p-value.

    The statistic is the biased MMD^2 (:func:`skdomain.nn.mmd2`'s kernel: a
    mean of Gaussians, median-heuristic bandwidths on the pooled sample). The
    kernel matrix is computed once; all permutations of the domain labels are
    evaluated together as matrix products. The p-value is
    ``(1 + #{permuted >= observed}) / (1 + n_permutations)``.

    Parameters
    ----------
    X_source : array-like of shape (n, n_features)
    X_target : array-like of shape (m, n_features)
    n_permutations : int, default=500
    standardize : bool, default=True
        Z-score every feature with the pooled mean and standard deviation first.
    bandwidth_multipliers : sequence of float, default=(0.25, 0.5, 1, 2, 4)
    random_state : int, RandomState instance or None, default=None

    Returns
    -------
    MMDTestResult
        The observed statistic, its p-value and the number of permutations.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> a, b = rng.normal(size=(100, 3)), rng.normal(0.5, 1, size=(100, 3))
    >>> mmd_test(a, b, n_permutations=200, random_state=0).p_value < 0.01
    True
    """
    if not isinstance(n_permutations, numbers.Integral) or n_permutations < 1:
        raise ValueError(f"n_permutations must be a positive integer, got {n_permutations!r}.")
    Xs, Xt, _ = _check_pair(X_source, X_target)
    if standardize:
        Xs, Xt = _standardize(Xs, Xt)
    n, m = len(Xs), len(Xt)
    pooled = torch.as_tensor(np.concatenate([Xs, Xt]))
    with torch.no_grad():
        K = gaussian_kernel(pooled, bandwidth_multipliers=bandwidth_multipliers).numpy()
    rng = check_random_state(random_state)
    labels = np.zeros((n_permutations + 1, n + m))
    labels[0, :n] = 1.0
    for row in labels[1:]:
        row[rng.permutation(n + m)[:n]] = 1.0
    # For indicator a of the source rows and b = 1 - a:
    # MMD^2 = a'Ka / n^2 + b'Kb / m^2 - 2 a'Kb / (n m).
    Ka = labels @ K
    aKa = np.einsum("pi,pi->p", Ka, labels)
    total = K.sum()
    aK1 = Ka.sum(1)
    bKb = total - 2 * aK1 + aKa
    aKb = aK1 - aKa
    statistics = aKa / n**2 + bKb / m**2 - 2 * aKb / (n * m)
    observed = statistics[0]
    p_value = (1 + np.sum(statistics[1:] >= observed - 1e-12)) / (1 + n_permutations)
    return MMDTestResult(float(observed), float(p_value), int(n_permutations))


def classifier_test(
    X_source,
    X_target,
    *,
    classifier=None,
    cv: int = 5,
    n_bootstrap: int = 1000,
    confidence: float = 0.95,
    random_state=None,
) -> ClassifierTestResult:
    """Classifier two-sample test: out-of-fold ROC AUC of source vs target.

    A classifier learns to tell the domains apart in ``cv`` folds; its
    out-of-fold scores give the AUC (0.5 when the domains are
    indistinguishable), a percentile bootstrap confidence interval, and the
    one-sided Mann-Whitney p-value of AUC > 0.5.

    Parameters
    ----------
    X_source, X_target : array-like of shape (n, n_features), (m, n_features)
    classifier : sklearn classifier or None, default=None
        Needs ``predict_proba``; ``None`` uses a ``HistGradientBoostingClassifier``.
    cv : int, default=5
        Stratified folds.
    n_bootstrap : int, default=1000
    confidence : float, default=0.95
    random_state : int, RandomState instance or None, default=None

    Returns
    -------
    ClassifierTestResult

    Examples
    --------
    >>> X = np.random.default_rng(0).normal(size=(300, 2))
    >>> res = classifier_test(X[:150], X[150:] + 1.0, random_state=0)
    >>> res.auc > 0.7 and res.ci_low < res.auc < res.ci_high
    True
    """
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence!r}.")
    Xs, Xt, _ = _check_pair(X_source, X_target, min_samples=cv)
    rng = check_random_state(random_state)
    seed = int(rng.randint(np.iinfo(np.int32).max))
    if classifier is None:
        classifier = HistGradientBoostingClassifier(max_iter=100, random_state=seed)
    X = np.concatenate([Xs, Xt])
    domain = np.r_[np.zeros(len(Xs), int), np.ones(len(Xt), int)]
    folds = StratifiedKFold(cv, shuffle=True, random_state=seed)
    scores = cross_val_predict(clone(classifier), X, domain, cv=folds, method="predict_proba")
    scores = scores[:, 1]
    auc = roc_auc_score(domain, scores)
    index_s, index_t = np.flatnonzero(domain == 0), np.flatnonzero(domain == 1)
    draws = [
        np.r_[rng.choice(index_s, len(index_s)), rng.choice(index_t, len(index_t))]
        for _ in range(int(n_bootstrap))
    ]
    draws = np.array(draws, dtype=np.intp).reshape(-1, len(scores))
    aucs = _bootstrap_aucs(scores, draws, len(index_s))
    tail = 100 * (1 - confidence) / 2
    low, high = np.percentile(aucs, [tail, 100 - tail]) if aucs.size else (np.nan, np.nan)
    p_value = stats.mannwhitneyu(scores[domain == 1], scores[domain == 0],
                                 alternative="greater").pvalue
    return ClassifierTestResult(float(auc), float(low), float(high), float(p_value))


def _bootstrap_aucs(scores, draws, n_source: int, chunk: int = 200) -> np.ndarray:
    """ROC AUC of every bootstrap draw (rows of ``draws``: source rows, then target rows).

    The Mann-Whitney form of the AUC, ``(rank sum of the target - m (m + 1) / 2) / (n m)``
    with average ranks for ties, equals ``roc_auc_score`` and needs no loop over draws.
    """
    n_target = draws.shape[1] - n_source
    aucs = np.empty(len(draws))
    for start in range(0, len(draws), chunk):
        ranks = stats.rankdata(scores[draws[start : start + chunk]], axis=1)
        rank_sum = ranks[:, n_source:].sum(axis=1)
        aucs[start : start + chunk] = (rank_sum - n_target * (n_target + 1) / 2) / (
            n_source * n_target
        )
    return aucs


def feature_tests(
    X_source,
    X_target,
    *,
    test: str = "ks",
    correction: str = "fdr_bh",
    alpha: float = 0.05,
) -> pd.DataFrame:
    """One two-sample test per feature, with a multiple-testing correction.

    Parameters
    ----------
    X_source, X_target : array-like or DataFrames with the same columns
    test : {"ks", "anderson"}, default="ks"
        Kolmogorov-Smirnov or k-sample Anderson-Darling (p-values capped by scipy
        to [0.001, 0.25]).
    correction : {"fdr_bh", "bonferroni", "none"}, default="fdr_bh"
    alpha : float, default=0.05

    Returns
    -------
    DataFrame
        One row per feature: ``feature``, ``statistic``, ``p_value``,
        ``p_adjusted``, ``rejected``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> a, b = rng.normal(size=(200, 2)), rng.normal(size=(200, 2))
    >>> b[:, 1] += 1.0
    >>> feature_tests(a, b)["rejected"].tolist()
    [False, True]
    """
    if test not in ("ks", "anderson"):
        raise ValueError(f"test must be 'ks' or 'anderson', got {test!r}.")
    if correction not in ("fdr_bh", "bonferroni", "none"):
        raise ValueError(
            f"correction must be 'fdr_bh', 'bonferroni' or 'none', got {correction!r}."
        )
    Xs, Xt, names = _check_pair(X_source, X_target)
    rows = []
    for j, name in enumerate(names):
        if test == "ks":
            res = stats.ks_2samp(Xs[:, j], Xt[:, j])
            rows.append((name, res.statistic, res.pvalue))
        else:
            rows.append((name, *_anderson(Xs[:, j], Xt[:, j])))
    table = pd.DataFrame(rows, columns=["feature", "statistic", "p_value"])
    p = table["p_value"].to_numpy()
    if correction == "bonferroni":
        adjusted = np.minimum(p * len(p), 1.0)
    elif correction == "fdr_bh":
        adjusted = stats.false_discovery_control(p, method="bh")
    else:
        adjusted = p
    table["p_adjusted"] = adjusted
    table["rejected"] = adjusted < alpha
    return table


def _anderson(a, b):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scipy warns when it caps the p-value
        res = stats.anderson_ksamp([a, b])
    return res.statistic, res.pvalue


def shift_report(
    X_source,
    X_target,
    *,
    alpha: float = 0.05,
    n_permutations: int = 500,
    classifier=None,
    cv: int = 5,
    n_bootstrap: int = 1000,
    feature_test: str = "ks",
    correction: str = "fdr_bh",
    standardize: bool = True,
    random_state=None,
) -> pd.DataFrame:
    """All shift tests in one tidy table.

    Parameters
    ----------
    X_source, X_target : array-like or DataFrames with the same columns
    alpha : float, default=0.05
        Significance level of the ``rejected`` column.
    n_permutations : int, default=500
        Permutations of the MMD test.
    classifier, cv, n_bootstrap
        See :func:`classifier_test`.
    feature_test, correction
        See :func:`feature_tests`.
    standardize : bool, default=True
        Z-score the features (pooled) before the MMD test.
    random_state : int, RandomState instance or None, default=None

    Returns
    -------
    DataFrame
        Columns ``test`` ("MMD", "classifier AUC", "KS" / "AD"), ``feature``
        ("all" for the joint tests), ``statistic`` (MMD^2, AUC, per-feature
        statistic), ``ci_low``, ``ci_high`` (AUC only), ``p_value``,
        ``p_adjusted`` (corrected per-feature p-values; the joint tests' own),
        ``rejected``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> a, b = rng.normal(size=(120, 2)), rng.normal(0.6, 1, size=(120, 2))
    >>> table = shift_report(a, b, n_permutations=100, n_bootstrap=100, random_state=0)
    >>> table["test"].tolist()
    ['MMD', 'classifier AUC', 'KS', 'KS']
    >>> bool(table["rejected"].all())
    True
    """
    rng = check_random_state(random_state)
    mmd = mmd_test(X_source, X_target, n_permutations=n_permutations,
                   standardize=standardize, random_state=rng)
    clf = classifier_test(X_source, X_target, classifier=classifier, cv=cv,
                          n_bootstrap=n_bootstrap, random_state=rng)
    features = feature_tests(X_source, X_target, test=feature_test,
                             correction=correction, alpha=alpha)
    joint = pd.DataFrame(
        [
            dict(test="MMD", feature="all", statistic=mmd.statistic, ci_low=np.nan,
                 ci_high=np.nan, p_value=mmd.p_value, p_adjusted=mmd.p_value),
            dict(test="classifier AUC", feature="all", statistic=clf.auc, ci_low=clf.ci_low,
                 ci_high=clf.ci_high, p_value=clf.p_value, p_adjusted=clf.p_value),
        ]
    )
    joint["rejected"] = joint["p_value"] < alpha
    per_feature = features.assign(
        test="KS" if feature_test == "ks" else "AD", ci_low=np.nan, ci_high=np.nan
    )
    columns = ["test", "feature", "statistic", "ci_low", "ci_high", "p_value", "p_adjusted",
               "rejected"]
    return pd.concat([joint, per_feature[columns]], ignore_index=True)[columns]


def latent_mmd(model, X_a, X_b) -> float:
    """Biased MMD^2 between the latent features of two samples.

    Each latent dimension is standardized with the pooled mean and standard
    deviation first (constant dimensions dropped), so that networks whose
    latents have different scales are compared fairly; the kernel is
    :func:`skdomain.nn.mmd2`'s (median heuristic).

    Parameters
    ----------
    model : fitted estimator or pipeline with ``transform`` returning latents
    X_a, X_b : inputs of the two domains

    Returns
    -------
    float

    Examples
    --------
    >>> from sklearn.decomposition import PCA
    >>> rng = np.random.default_rng(0)
    >>> a, b = rng.normal(size=(100, 4)), rng.normal(size=(100, 4))
    >>> pca = PCA(2).fit(a)
    >>> latent_mmd(pca, a, b) < latent_mmd(pca, a, b + 1.0)
    True
    """
    za, zb = np.asarray(model.transform(X_a), float), np.asarray(model.transform(X_b), float)
    scale = np.concatenate([za, zb]).std(0)
    keep = scale > 1e-8 * max(1.0, float(scale.max(initial=0.0)))
    if not keep.any():
        return 0.0
    za, zb = _standardize(za[:, keep], zb[:, keep])
    with torch.no_grad():
        return float(mmd2(torch.as_tensor(za), torch.as_tensor(zb), estimator="biased"))
