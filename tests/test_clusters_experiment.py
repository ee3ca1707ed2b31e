"""The cluster-mass experiment end to end, at a tiny size."""

import pandas as pd
import pytest

from skdomain.experiments.clusters import QUICK_OVERRIDES, ClustersConfig

TINY = dict(n_train=240, n_test=120, max_epochs=2, n_bootstrap=10, n_permutations=20,
            n_augment=1, hidden_units=(16, 8))


def test_report_and_figures_are_written(report):
    text = report.read_text()
    for section in ("## Mass accuracy", "## Latent space", "## Shift diagnosis", "## Summary"):
        assert section in text
    for figure in ("predicted_vs_true.png", "drrn_latent.png", "shift_tests.png"):
        assert (report.parent / figure).stat().st_size > 0
        assert f"({figure})" in text


def test_tables_hold_every_method_domain_and_seed(report):
    per_seed = pd.read_csv(report.parent / "scores_per_seed.csv")
    methods = {"Yx", "Mgas", "T", "NN", "SANN", "DRRN", "DRRN+MMD"}
    assert set(per_seed.method) == methods
    assert len(per_seed) == len(methods) * 2 * 2
    yx = per_seed[per_seed.method == "Yx"]
    assert (yx["improvement_over_Yx_%"] == 0).all()
    assert (per_seed[["scatter_err", "bias_err"]] > 0).all().all()
    assert per_seed["rms"].between(0, 1).all()
    latent = pd.read_csv(report.parent / "latent_mmd.csv")
    assert set(latent.network) == {"NN", "SANN", "DRRN", "DRRN+MMD"}
    shift = pd.read_csv(report.parent / "shift_tests.csv")
    assert set(shift.test) == {"MMD", "classifier AUC", "KS"}
    assert set(shift.seed) == {0, 1}


def test_quick_mode_is_a_smaller_config():
    quick = ClustersConfig(**QUICK_OVERRIDES)
    full = ClustersConfig()
    assert quick.n_train < full.n_train and quick.max_epochs < full.max_epochs
    assert quick.n_seeds >= 2


def test_plots_check_their_inputs():
    import numpy as np

    from skdomain.plotting import plot_latent_domains, plot_predicted_vs_true

    frame = pd.DataFrame({"method": ["a", "b"] * 4, "domain": ["x"] * 4 + ["y"] * 4,
                          "y_true": np.linspace(13.5, 15, 8), "y_pred": np.linspace(13.6, 15, 8)})
    assert len(plot_predicted_vs_true(frame).axes) == 4  # 2 methods x 2 domains
    with pytest.raises(ValueError, match="columns"):
        plot_predicted_vs_true(frame.drop(columns="y_pred"))
    rng = np.random.default_rng(0)
    latents = {"x": rng.normal(size=(30, 5)), "y": rng.normal(size=(20, 5))}
    fig = plot_latent_domains(latents, color={"x": rng.random(30), "y": rng.random(20)})
    assert len(fig.axes) == 3  # two panels and a color bar
