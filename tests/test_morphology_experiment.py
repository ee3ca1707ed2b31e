"""The morphology (universal DA) experiment end to end, at a tiny size."""

import numpy as np
import pandas as pd
import pytest

from skdomain.experiments.morphology import (
    METHODS,
    QUICK_OVERRIDES,
    MorphologyConfig,
    _make_data,
    run,
    unknown_scores,
)

TINY = dict(n_source=90, n_target=90, n_test=80, image_size=16, max_epochs=1)


@pytest.mark.slow
def test_report_tables_and_figures_are_written(report, assert_figures_linked):
    assert "## Summary" in report.read_text()
    assert_figures_linked(
        report,
        [
            "entropy_histograms.png",
            "confusion_source_only.png",
            "confusion_universal_DA.png",
            "latent_source_only.png",
            "latent_universal_DA.png",
        ],
    )
    scores = pd.read_csv(report.parent / "scores.csv")
    assert len(scores) == 2 * len(METHODS)
    assert set(scores.method) == set(METHODS)
    for column in ("known_accuracy", "unknown_accuracy", "h_score", "auroc_entropy",
                   "auroc_prototype", "auroc_knn", "auroc_density_ratio"):
        assert scores[column].between(0, 1).all()
    closed = scores[scores.method.isin(["source-only", "MMD", "DANN"])]
    assert (closed.unknown_accuracy == 0).all() and (closed.h_score == 0).all()
    summary = pd.read_csv(report.parent / "scores_summary.csv")
    assert summary["known_accuracy"].str.contains("±").all()


def test_domains_differ_and_lenses_only_in_target():
    data = _make_data(MorphologyConfig(**{**TINY, "n_source": 200, "n_target": 200}), seed=0)
    (X_source, y_source), (X_target, y_target) = data["source"], data["target"]
    assert X_source.shape[1:] == X_target.shape[1:] == (1, 16, 16)
    assert 9 not in set(y_source) and 9 in set(y_target)
    assert set(y_source) == set(range(9))
    # Deeper target: less pixel-to-pixel noise in the image corners.
    corner = np.s_[:, 0, :3, :3]
    assert X_target[corner].std() < X_source[corner].std()


def test_native_pixels_change_the_field_of_view():
    matched = _make_data(MorphologyConfig(**TINY), seed=0)["source"][0]
    native = _make_data(MorphologyConfig(**TINY, matched_field=False), seed=0)["source"][0]
    assert matched.shape == native.shape
    assert not np.allclose(matched, native)


def test_quick_mode_is_smaller_than_full_mode():
    full = MorphologyConfig()
    for key, value in QUICK_OVERRIDES.items():
        assert value <= getattr(full, key)


@pytest.mark.parametrize("kwargs", [dict(n_seeds=0), dict(methods=("kmeans",)), dict(methods=())])
def test_bad_settings_are_rejected(tmp_path, kwargs):
    with pytest.raises(ValueError):
        run(tmp_path, verbose=False, **kwargs)


@pytest.mark.parametrize("closed_set_path", [False, True], ids=["estimator", "closed-set"])
def test_experiment_scores_agree_with_the_estimator_scores(closed_set_path):
    """Universal DA gives its own scores; the closed-set path computes the same from latents."""
    from skdomain import UniversalDAClassifier
    from skdomain.experiments.morphology import _closed_set_unknown_scores

    score = _closed_set_unknown_scores if closed_set_path else unknown_scores
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(60, 3)), np.repeat([0, 1, 2], 20)
    X_target, X_new = rng.normal(size=(50, 3)) + 0.5, rng.normal(size=(30, 3))
    model = UniversalDAClassifier(max_epochs=2, random_state=0).fit(X, y, X_target=X_target)
    scores = score(model, X, y, X_new, X_target)
    assert sorted(scores) == sorted(("entropy", "max_softmax", "prototype", "knn",
                                     "density_ratio"))
    for kind, values in scores.items():
        np.testing.assert_allclose(values, model.unknown_score(X_new, kind=kind),
                                   rtol=1e-4, atol=1e-5, err_msg=kind)
    assert "density_ratio" not in score(model, X, y, X_new)
