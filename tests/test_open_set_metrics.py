"""Open-set metrics: known / unknown accuracy, H-score, AUROC, confusion matrix."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skdomain import metrics
from skdomain.plotting import plot_open_set_confusion, plot_open_set_latent

KNOWN = [0, 1, 2]


def test_per_class_and_summary_metrics_by_hand():
    y_true = [0, 0, 1, 1, 2, 9, 9, 9, 9]
    y_pred = [0, 1, 1, -1, 2, -1, -1, 0, 2]
    per_class = metrics.per_class_accuracy(y_true, y_pred, known_classes=KNOWN)
    assert per_class == {0: 0.5, 1: 0.5, 2: 1.0, "unknown": 0.5}
    assert metrics.known_accuracy(y_true, y_pred, known_classes=KNOWN) == pytest.approx(2 / 3)
    assert metrics.unknown_accuracy(y_true, y_pred, known_classes=KNOWN) == 0.5
    assert metrics.open_set_accuracy(y_true, y_pred, known_classes=KNOWN) == pytest.approx(2.5 / 4)
    assert metrics.h_score(y_true, y_pred, known_classes=KNOWN) == pytest.approx(
        2 * (2 / 3) * 0.5 / (2 / 3 + 0.5)
    )


def test_closed_set_predictions_get_zero_h_score():
    y_true = [0, 1, 2, 9]
    y_pred = [0, 1, 2, 2]
    scores = metrics.open_set_scores(y_true, y_pred, known_classes=KNOWN)
    assert scores["known_accuracy"] == 1.0
    assert scores["unknown_accuracy"] == 0.0 and scores["h_score"] == 0.0


def test_string_labels_and_string_unknown():
    y_true = np.array(["spiral", "smooth", "lens", "lens"], dtype=object)
    y_pred = np.array(["spiral", "spiral", "unknown", "smooth"], dtype=object)
    scores = metrics.open_set_scores(y_true, y_pred, known_classes=["spiral", "smooth"])
    assert scores["known_accuracy"] == 0.5 and scores["unknown_accuracy"] == 0.5


def test_mixed_label_types_do_not_break_membership():
    y_true = np.array(["a", "b", "c"], dtype=object)
    y_pred = np.array(["a", -1, "b"], dtype=object)
    assert metrics.per_class_accuracy(y_true, y_pred, known_classes=["a", "b"]) == {
        "a": 1.0, "b": 0.0, "unknown": 0.0
    }


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.integers(-1, 3)), min_size=1, max_size=40))
def test_metrics_lie_in_unit_interval_and_h_score_is_harmonic_mean(pairs):
    y_true = np.array([a if a < 3 else 9 for a, _ in pairs])
    y_pred = np.array([b for _, b in pairs])
    scores = metrics.open_set_scores(y_true, y_pred, known_classes=KNOWN)
    for value in scores.values():
        assert np.isnan(value) or 0.0 <= value <= 1.0
    if (y_true == 9).any() and (y_true != 9).any():
        k, u = scores["known_accuracy"], scores["unknown_accuracy"]
        assert scores["h_score"] == pytest.approx(0 if k + u == 0 else 2 * k * u / (k + u))
        assert scores["h_score"] <= max(k, u) + 1e-12


def test_unknown_auroc_orders_scores():
    y_true = [0, 1, 2, 9, 9]
    assert metrics.unknown_auroc(y_true, [0.1, 0.2, 0.3, 0.8, 0.9], known_classes=KNOWN) == 1.0
    assert metrics.unknown_auroc(y_true, [0.8, 0.9, 0.7, 0.1, 0.2], known_classes=KNOWN) == 0.0


def test_bad_input_is_rejected():
    with pytest.raises(ValueError, match="both known and unknown"):
        metrics.unknown_auroc([0, 1], [0.1, 0.2], known_classes=KNOWN)
    with pytest.raises(ValueError, match="NaN"):
        metrics.unknown_auroc([0, 9], [0.1, np.nan], known_classes=KNOWN)
    with pytest.raises(ValueError, match="no sample of an unknown"):
        metrics.unknown_accuracy([0, 1], [0, 1], known_classes=KNOWN)
    with pytest.raises(ValueError, match="no sample of a known"):
        metrics.known_accuracy([9, 9], [0, -1], known_classes=KNOWN)
    with pytest.raises(ValueError):
        metrics.known_accuracy([0, 1, 2], [0, 1], known_classes=KNOWN)
    with pytest.raises(ValueError, match="empty"):
        metrics.known_accuracy([], [], known_classes=KNOWN)


def test_open_set_scores_without_unknown_samples_gives_nan():
    scores = metrics.open_set_scores([0, 1], [0, 1], [0.2, 0.3], known_classes=KNOWN)
    assert scores["known_accuracy"] == 1.0
    assert np.isnan(scores["unknown_accuracy"]) and np.isnan(scores["unknown_auroc"])


def test_confusion_matrix_adds_unknown_row_and_column():
    matrix, labels = metrics.open_set_confusion_matrix(
        [0, 1, 9, 9, 7], [0, -1, -1, 1, "x"], known_classes=[0, 1]
    )
    assert labels == [0, 1, "unknown"]
    assert matrix.tolist() == [[1, 0, 0], [0, 0, 1], [0, 1, 2]]
    assert matrix.sum() == 5


def test_plots_draw_the_unknown_class():
    fig = plot_open_set_confusion([0, 1, 9], [0, -1, -1], known_classes=[0, 1],
                                  class_names=["a", "b"])
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels == ["a", "b", "unknown"]
    rng = np.random.default_rng(0)
    fig = plot_open_set_latent(
        rng.normal(size=(30, 5)), [0, 1, 2] * 10, rng.normal(size=(30, 5)), [0, 1, 9] * 10,
        known_classes=KNOWN, method="tsne",
    )
    assert "unknown" in [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    with pytest.raises(ValueError, match="method"):
        plot_open_set_latent(np.zeros((3, 2)), [0] * 3, np.zeros((3, 2)), [0] * 3,
                             known_classes=[0], method="umap")
