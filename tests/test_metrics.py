"""The binary classification metrics table."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sklearn.metrics import accuracy_score, f1_score, roc_auc_score

from skdomain.metrics import BINARY_METRICS, binary_classification_metrics, metrics_table


@st.composite
def labeled_probabilities(draw):
    n = draw(st.integers(2, 40))
    y = draw(arrays(np.int64, n, elements=st.integers(0, 1)))
    proba = draw(arrays(np.float64, n, elements=st.floats(0, 1)))
    return y, proba


@settings(max_examples=25, deadline=None)
@given(labeled_probabilities())
def test_metrics_are_bounded_and_agree_with_sklearn(data):
    y, proba = data
    m = binary_classification_metrics(y, proba)
    assert list(m) == list(BINARY_METRICS)
    for name in ("accuracy", "precision", "recall", "f1", "brier"):
        assert 0.0 <= m[name] <= 1.0
    predicted = (proba >= 0.5).astype(int)
    assert m["accuracy"] == pytest.approx(accuracy_score(y, predicted))
    assert m["f1"] == pytest.approx(f1_score(y, predicted, zero_division=0))
    assert m["brier"] == pytest.approx(np.mean((proba - y) ** 2))
    if len(np.unique(y)) == 2:
        assert m["roc_auc"] == pytest.approx(roc_auc_score(y, proba))
    else:
        assert np.isnan(m["roc_auc"])


@settings(max_examples=12, deadline=None)
@given(labeled_probabilities())
def test_two_column_probabilities_and_string_labels_give_the_same_table(data):
    y, proba = data
    one_column = binary_classification_metrics(y, proba)
    two_columns = binary_classification_metrics(y, np.c_[1 - proba, proba])
    names = np.where(y == 1, "merger", "disk")  # sorted: "disk" < "merger" = positive
    strings = binary_classification_metrics(names, proba, pos_label="merger")
    np.testing.assert_allclose(list(one_column.values()), list(two_columns.values()))
    np.testing.assert_allclose(list(one_column.values()), list(strings.values()))


def test_perfect_and_inverted_classifiers():
    y = np.array([0, 0, 1, 1, 1])
    perfect = binary_classification_metrics(y, y.astype(float))
    assert perfect == {
        "accuracy": 1.0,
        "precision": 1.0,
        "recall": 1.0,
        "f1": 1.0,
        "brier": 0.0,
        "roc_auc": 1.0,
    }
    inverted = binary_classification_metrics(y, 1.0 - y)
    assert inverted["accuracy"] == 0.0 and inverted["roc_auc"] == 0.0
    assert inverted["brier"] == 1.0


def test_one_class_predictions_have_zero_precision_not_a_warning():
    y = np.array([0, 1, 0, 1])
    with np.errstate(all="raise"):
        m = binary_classification_metrics(y, np.zeros(4))
    assert m["precision"] == 0.0 and m["recall"] == 0.0 and m["accuracy"] == 0.5


def test_threshold_moves_the_decisions():
    y = np.array([0, 1, 1])
    proba = np.array([0.2, 0.4, 0.9])
    assert binary_classification_metrics(y, proba)["accuracy"] == pytest.approx(2 / 3)
    assert binary_classification_metrics(y, proba, threshold=0.3)["accuracy"] == 1.0


@pytest.mark.parametrize(
    "y, proba, message",
    [
        ([0, 1, 2], [0.1, 0.5, 0.9], "binary"),
        ([0, 1, 1], [0.1, 0.5], "inconsistent|samples"),
        ([0, 1], [0.1, 1.5], r"\[0, 1\]"),
        ([0, 1], [0.1, np.nan], r"\[0, 1\]"),
        ([0, 1], np.ones((2, 3)) / 3, "n_samples, 2"),
        ([], [], "empty"),
    ],
)
def test_bad_input_raises(y, proba, message):
    with pytest.raises(ValueError, match=message):
        binary_classification_metrics(y, proba)


def test_unknown_pos_label_raises():
    with pytest.raises(ValueError, match="pos_label"):
        binary_classification_metrics([0, 1, 1], [0.1, 0.6, 0.8], pos_label=2)
    # One class only: every sample is a negative of the given positive label.
    assert binary_classification_metrics([0, 0], [0.1, 0.2], pos_label=2)["accuracy"] == 1.0


def test_metrics_table_one_row_per_model():
    y = [0, 1, 1, 0]
    table = metrics_table(y, {"good": [0.1, 0.9, 0.8, 0.3], "bad": [0.9, 0.1, 0.2, 0.7]})
    assert list(table.index) == ["good", "bad"]
    assert list(table.columns) == list(BINARY_METRICS)
    assert table.loc["good", "accuracy"] == 1.0 and table.loc["bad", "accuracy"] == 0.0
    with pytest.raises(ValueError, match="empty"):
        metrics_table(y, {})
