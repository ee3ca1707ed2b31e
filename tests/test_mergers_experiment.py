"""The merger experiment end to end at a tiny size, its figures and transfer learning."""

import dataclasses

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from skdomain import MMDClassifier
from skdomain.datasets import make_galaxy_mergers
from skdomain.experiments.mergers import (
    METHODS,
    QUICK_OVERRIDES,
    MergersConfig,
    _transfer,
    run,
)
from skdomain.plotting import plot_metric_bars, plot_roc_curves

TINY = dict(image_size=16, n_source=48, n_target=48, n_source_real=32, n_target_real=32,
            n_test=24, max_epochs=1, n_tsne=16)


@pytest.mark.slow
def test_report_figures_and_tables_are_written(report):
    text = report.read_text()
    for section in (
        "## Summary",
        "## Simulation to simulation",
        "## Simulation to real",
        "## Latent space",
        "## Grad-CAM",
    ):
        assert section in text
    for name in (
        "examples",
        "roc_sim2sim",
        "roc_sim2real",
        "metrics_sim2sim",
        "metrics_sim2real",
        "tsne",
        "grad_cam_sim2sim",
        "grad_cam_sim2real",
    ):
        assert (report.parent / f"{name}.png").stat().st_size > 0
        assert f"({name}.png)" in text


@pytest.mark.slow
def test_metrics_cover_every_method_domain_and_seed(report):
    metrics = pd.read_csv(report.parent / "metrics_per_seed.csv")
    per_experiment = metrics.groupby("experiment").method.unique()
    assert list(per_experiment["sim2sim"]) == list(METHODS)
    assert list(per_experiment["sim2real"]) == [*METHODS, "no DA+TL", "MMD+TL"]
    assert len(metrics) == 2 * (5 + 7) * 2  # seeds x methods x domains
    for column in ("accuracy", "precision", "recall", "f1", "brier", "roc_auc"):
        assert metrics[column].between(0, 1).all()
    summary = pd.read_csv(report.parent / "summary_target.csv")
    no_da = summary[summary.method == "no DA"]
    assert (no_da["accuracy gain"] == "0.000 ± 0.000").all()
    assert summary["target accuracy"].str.contains("±").all()


def test_transfer_learning_continues_from_the_first_model():
    X, y = make_galaxy_mergers(40, image_size=16, random_state=0)
    X_t, _ = make_galaxy_mergers(40, domain="sdss", image_size=16, random_state=1)
    first = MMDClassifier(module="deepmerge", max_epochs=2, random_state=0).fit(X, y, X_target=X_t)
    weights = first.module_.head.weight.detach().clone()
    continued = _transfer(first).fit(X_t, y, X_target=X)
    assert len(continued.history_) == 4  # 2 epochs + 2 more
    assert len(first.history_) == 2  # the original is untouched
    assert np.array_equal(first.module_.head.weight.detach().numpy(), weights.numpy())
    assert not np.allclose(continued.module_.head.weight.detach().numpy(), weights.numpy())


def test_quick_mode_is_smaller_than_full_mode():
    full = MergersConfig()
    assert full.device == "cpu"
    for key, value in QUICK_OVERRIDES.items():
        if key != "n_seeds":
            assert value <= getattr(full, key)
    assert QUICK_OVERRIDES["n_seeds"] >= 2
    assert dataclasses.replace(full, **QUICK_OVERRIDES).image_size == 32


@pytest.mark.parametrize("kwargs", [dict(n_seeds=0), dict(n_test=2), dict(colour="red")])
def test_bad_settings_are_rejected(tmp_path, kwargs):
    with pytest.raises(ValueError):
        run(tmp_path, verbose=False, **kwargs)


def test_roc_and_bar_figures():
    y = np.array([0, 1, 0, 1])
    ax = plot_roc_curves(
        y, {"a": [0.1, 0.9, 0.2, 0.8], "b": [0.9, 0.1, 0.2, 0.8]}, auc_text={"b": "0.50 ± 0.10"}
    )
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert texts == ["a (AUC 1.000)", "b (AUC 0.50 ± 0.10)"]
    plt.close(ax.figure)
    table = pd.DataFrame(
        {
            "method": ["m1", "m1", "m2", "m2"] * 2,
            "domain": ["source", "target"] * 4,
            "metric": ["accuracy"] * 4 + ["f1"] * 4,
            "mean": [0.9, 0.6, 0.8, 0.7, 0.9, 0.5, 0.8, 0.7],
            "std": [0.01] * 8,
        }
    )
    ax = plot_metric_bars(table)
    bars = ax.patches
    assert len(bars) == 8  # 2 methods x 2 domains x 2 metrics
    # drawn per method: its source bars (dashed outline, no fill), then its target bars (solid)
    for bar in bars[0:2] + bars[4:6]:
        assert bar.get_linestyle() == "dashed" and bar.get_facecolor()[3] == 0
    for bar in bars[2:4] + bars[6:8]:
        assert bar.get_linestyle() == "solid" and bar.get_facecolor()[3] == 1
    heights = sorted(round(b.get_height(), 2) for b in bars)
    assert heights == sorted(table["mean"].round(2).tolist())
    plt.close(ax.figure)
    with pytest.raises(ValueError, match="lacks"):
        plot_metric_bars(table.drop(columns="mean"))
