"""The robustness experiment end to end, at a tiny size."""

import pandas as pd
import pytest

from skdomain.experiments.robustness import QUICK_OVERRIDES, RobustnessConfig, run

TINY = dict(
    n_source=90, n_target=90, n_test=45, image_size=16, max_epochs=2,
    n_attack=2, attack_maxiter=2, attack_population=8,
    strengths={"noise": (0.0, 0.5), "hot_pixels": (0.0, 0.01)},
)


def test_report_and_artefacts_are_written(report, assert_figures_linked):
    assert report.name == "report.md"
    text = report.read_text()
    for section in ("## Accuracy", "## One-pixel attack", "## Latent space", "## Summary"):
        assert section in text
    figures = ["robustness_curves", "one_pixel_examples", "latent_distances", "latent_shift"]
    assert_figures_linked(report, [f"{name}.png" for name in figures])


def test_tables_hold_both_models_domains_and_seeds(report):
    accuracy = pd.read_csv(report.parent / "accuracy.csv")
    assert len(accuracy) == 2 * 2 * 2  # seeds x models x domains
    assert set(accuracy.model) == {"no DA", "MMD DA"}
    assert accuracy.accuracy.between(0, 1).all()
    curves = pd.read_csv(report.parent / "robustness_curves.csv")
    assert set(curves.perturbation) == {"noise", "hot_pixels"}
    clean = curves[curves.strength == 0].groupby(["seed", "model", "domain"]).score.first()
    merged = accuracy.set_index(["seed", "model", "domain"]).accuracy
    pd.testing.assert_series_equal(clean.sort_index(), merged.sort_index(), check_names=False)
    latent = pd.read_csv(report.parent / "latent_distances.csv")
    assert (latent.filter(like="/ spread") > 0).all().all()
    ratios = pd.read_csv(report.parent / "latent_distance_ratios.csv")
    assert len(ratios) == 2 and ratios.iloc[:, 1].str.contains("±").all()


def test_attacks_only_hit_images_both_networks_get_right(report):
    attacks = pd.read_csv(report.parent / "one_pixel_attacks.csv")
    if attacks.empty:
        pytest.skip("no image was classified correctly by both tiny networks")
    assert not attacks.already_successful.any()
    assert (attacks.label_before == attacks.true_label).all()
    per_model = attacks.groupby(["seed", "domain", "model"]).size().unstack("model")
    assert (per_model["no DA"] == per_model["MMD DA"]).all()


def test_quick_mode_is_smaller_than_full_mode():
    full = RobustnessConfig()
    for key, value in QUICK_OVERRIDES.items():
        assert value <= getattr(full, key)


@pytest.mark.parametrize("kwargs", [dict(n_seeds=0), dict(strengths={"smudge": (0.0, 1.0)})])
def test_bad_settings_are_rejected(tmp_path, kwargs):
    with pytest.raises(ValueError):
        run(tmp_path, verbose=False, **kwargs)
