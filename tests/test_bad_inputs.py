"""The battery of bad and unusual inputs (issue 15), run against every estimator it applies to.

Each case is tried as a new user would; its outcome is one of

- ``clear``: a ValueError / TypeError (or the library's DivergedError) whose
  message names the parameter, file or value at fault;
- ``correct``: no error, and the result is right;
- ``cryptic``: any other error (from torch, numpy, a KeyError, ...) or an
  error that does not say what is wrong;
- ``silent``: no error, but a wrong result.

The tests require ``clear`` or ``correct`` everywhere. Run this file as a script
(``python tests/test_bad_inputs.py``) to print the counts; with ``PYTHONPATH``
pointing at another checkout, it counts that checkout's behavior.
"""

from __future__ import annotations

import atexit
import contextlib
import io
import json
import re
import shutil
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.preprocessing import FunctionTransformer, StandardScaler
from torch import nn

from skdomain import (
    DANNClassifier,
    DeepCORALClassifier,
    DRRNRegressor,
    MMDClassifier,
    MMDRegressor,
    ScalingRelationRegressor,
    SourceOnlyClassifier,
    SourceOnlyRegressor,
    UniversalDAClassifier,
    YxScalingRegressor,
    make_da_pipeline,
)
from skdomain.base import BaseDeepClassifier
from skdomain.datasets import make_rotated_moons
from skdomain.exceptions import DivergedError
from skdomain.metrics import DeepEmbeddedValidationScorer, ReverseValidationScorer
from skdomain.persistence import load_estimator, save_estimator
from skdomain.robustness import gaussian_noise, jpeg_compression, pixel_dropout

SMALL = dict(max_epochs=2, hidden_units=(8,), batch_size=16, random_state=0)
CLASSIFIERS = [
    SourceOnlyClassifier, MMDClassifier, DANNClassifier, DeepCORALClassifier,
    UniversalDAClassifier,
]
REGRESSORS = [SourceOnlyRegressor, MMDRegressor, DRRNRegressor]
DEEP = CLASSIFIERS + REGRESSORS
MMD = [MMDClassifier, MMDRegressor]
SCALING = [ScalingRelationRegressor, YxScalingRegressor]


class MeanGapClassifier(BaseDeepClassifier):
    """A user's method defined outside the package (no extra term)."""


def _data(cls, n=40):
    X, y, X_target, y_target = make_rotated_moons(n, random_state=0)
    if cls in REGRESSORS:
        return X, X[:, 0] + X[:, 1], X_target, X_target[:, 0] + X_target[:, 1]
    return X, y, X_target, y_target


def _fit(cls, **params):
    X, y, X_target, _ = _data(cls)
    return cls(**{**SMALL, **params}).fit(X, y, X_target=X_target)


def _outputs(est, X):
    if hasattr(est, "predict_proba"):
        return est.predict_proba(X)
    return est.predict(X)


@dataclass
class Case:
    name: str
    targets: list
    run: Any  # run(target) -> result; may raise
    error: str | None = None  # regex the message of a clear error must match
    correct: Any = None  # correct(result) -> bool
    errors: tuple = (ValueError, TypeError)


def outcome(case: Case, target) -> tuple[str, str]:
    """``(kind, detail)`` of running ``case`` on ``target``."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            result = case.run(target)
        except Exception as error:  # noqa: BLE001 - the battery classifies every error
            text = f"{type(error).__name__}: {error}"
            if (
                case.error is not None
                and isinstance(error, case.errors)
                and re.search(case.error, str(error), re.IGNORECASE)
            ):
                return "clear", text
            return "cryptic", text
        try:
            ok = case.correct is not None and bool(case.correct(result))
        except Exception as error:  # noqa: BLE001
            return "cryptic", f"checking the result: {type(error).__name__}: {error}"
    return ("correct", "") if ok else ("silent", repr(result)[:200])


# Deep estimators ---------------------------------------------------------------
def _not_saturated(est):
    cls = type(est)
    X, _, X_target, _ = _data(cls)
    out = _outputs(est, X_target)
    if not np.all(np.isfinite(out)):
        return False
    return not hasattr(est, "predict_proba") or not np.all((out == 0) | (out == 1))


def _round_trip(cls, tmp):
    est = _fit(cls)
    loaded = load_estimator(save_estimator(est, tmp / cls.__name__))
    _, _, X_target, _ = _data(cls)
    same = np.array_equal(_outputs(est, X_target), _outputs(loaded, X_target))
    if isinstance(est, UniversalDAClassifier):
        same = same and np.array_equal(est.predict(X_target), loaded.predict(X_target))
        for kind in ("prototype", "knn", "density_ratio"):
            same = same and np.allclose(
                est.unknown_score(X_target, kind=kind), loaded.unknown_score(X_target, kind=kind)
            )
    return same


def _stale_classes(cls):
    X, y, X_target, _ = _data(cls)
    est = cls(**SMALL).partial_fit(X, y, X_target, classes=[0, 1, 2])
    est.fit(X, y, X_target=X_target)
    return est.classes_.tolist() == [0, 1] and est.predict_proba(X).shape[1] == 2


def _progress_continues(cls):
    """Two of max_epochs=4 partial_fit calls: the schedules stand halfway."""
    X, y, X_target, _ = _data(cls)
    est = cls(**{**SMALL, "max_epochs": 4})
    for _ in range(2):
        est.partial_fit(X, y, X_target, classes=[0, 1] if cls in CLASSIFIERS else None)
    return est.net_.steps_done * 2 == est.net_.total_steps


def _string_labels_saved(cls, tmp):
    X, y, X_target, _ = _data(cls)
    labels = pd.Series(np.array(["spiral", "elliptical"])[y], dtype=object)
    est = cls(**SMALL).fit(X, labels, X_target=X_target)
    loaded = load_estimator(save_estimator(est, tmp / f"str-{cls.__name__}"))
    return np.array_equal(est.predict(X_target), loaded.predict(X_target))


def _deep_cases(tmp: Path) -> list[Case]:
    X, _, X_target, _ = make_rotated_moons(40, random_state=0)
    return [
        Case("lr=1e6 blows up", DEEP, lambda c: _fit(c, lr=1e6, max_epochs=5),
             error="diverged", correct=_not_saturated, errors=(DivergedError,)),
        Case("module input size != X", DEEP, lambda c: _fit(c, module=nn.Linear(5, 8)),
             error=r"module.*(shape|features)"),
        Case("hidden_units=(0,)", DEEP, lambda c: _fit(c, hidden_units=(0,)),
             error="hidden_units"),
        Case("hidden_units=(-4,)", DEEP, lambda c: _fit(c, hidden_units=(-4,)),
             error="hidden_units"),
        Case("hidden_units=(8.5,)", DEEP, lambda c: _fit(c, hidden_units=(8.5,)),
             error="hidden_units"),
        Case("device='mps'", DEEP, lambda c: _fit(c, device="mps"), error="device"),
        Case("device='nonsense'", DEEP, lambda c: _fit(c, device="nonsense"), error="device"),
        Case("callbacks=[42]", DEEP, lambda c: _fit(c, callbacks=[42]), error="callbacks"),
        Case("early_stopping on 12 samples", DEEP,
             lambda c: c(**SMALL, early_stopping=True).fit(*_data(c, 12)[:2]),
             error="validation_fraction|early_stopping",
             correct=lambda est: hasattr(est, "net_")),
        Case("X_target of another width", DEEP,
             lambda c: c(**SMALL).fit(*_data(c)[:2], X_target=np.ones((10, 3))),
             error="X_target"),
        Case("NaN in X_target", DEEP,
             lambda c: c(**SMALL).fit(*_data(c)[:2], X_target=np.full((10, 2), np.nan)),
             error="X_target.*NaN|NaN.*X_target"),
        Case("save/load round trip", DEEP, lambda c: _round_trip(c, tmp), correct=bool),
        Case("partial_fit continues the schedules", DEEP, _progress_continues, correct=bool),
        Case("fit after partial_fit(classes=[0, 1, 2])", CLASSIFIERS, _stale_classes,
             correct=bool),
        Case("class_weight with an unknown class", CLASSIFIERS,
             lambda c: _fit(c, class_weight={0: 1, 7: 5}), error="class_weight"),
        Case("negative class weight", CLASSIFIERS,
             lambda c: _fit(c, class_weight={0: -1.0, 1: 1.0}), error="class_weight"),
        Case("mixed int and str labels", CLASSIFIERS,
             lambda c: c(**SMALL).fit(X, np.array([0, "a"] * 20, dtype=object)),
             error=r"\by\b.*(types|mix)"),
        Case("labels from a pandas string column, saved", CLASSIFIERS,
             lambda c: _string_labels_saved(c, tmp), correct=bool),
        Case("batch_size=1 with MMD", MMD, lambda c: _fit(c, batch_size=1),
             error="batch_size"),
        Case("bandwidth_multipliers=()", MMD, lambda c: _fit(c, bandwidth_multipliers=()),
             error="bandwidth_multipliers"),
        Case("bandwidth_multipliers=(-1,)", MMD,
             lambda c: _fit(c, bandwidth_multipliers=(-1.0,)), error="bandwidth_multipliers"),
        Case("user subclass saved and loaded", [MeanGapClassifier],
             lambda c: _round_trip(c, tmp), correct=bool),
    ]


# UniversalDAClassifier ---------------------------------------------------------
def _binary_separation(cls):
    X, y, X_target, _ = make_rotated_moons(60, random_state=0)
    est = cls(**{**SMALL, "max_epochs": 5}).fit(X, y, X_target=X_target)
    active = [h["separation_loss"] for h in est.history_[2:]]
    return any(abs(v) > 0 for v in active)


def _binary_clustering_is_not_trivial(cls):
    # top_k of K classes compares every index: every pair of samples is "similar".
    est = _fit(cls)
    return est.net_.criterion_.top_k < len(est.classes_)


def _string_labels_score(cls, **params):
    X, y, X_target, y_target = make_rotated_moons(40, random_state=0)
    names = np.array(["spiral", "elliptical"])
    est = cls(**{**SMALL, **params}).fit(X, names[y], X_target=X_target)
    score = est.score(X_target, names[y_target])
    predicted = est.predict(X_target)
    return 0 <= score <= 1 and all(isinstance(p, str) for p in predicted)


def _reverse_validation(cls):
    X, y, X_target, _ = make_rotated_moons(40, random_state=0)
    names = np.array(["spiral", "elliptical"])
    est = cls(**SMALL).fit(X, names[y], X_target=X_target)
    return np.isfinite(ReverseValidationScorer(X_target)(est, X, names[y]))


def _universal_cases() -> list[Case]:
    universal = [UniversalDAClassifier]
    return [
        Case("binary task: separation loss active", universal, _binary_separation,
             correct=bool),
        Case("binary task: top_k below the number of classes", universal,
             _binary_clustering_is_not_trivial, correct=bool),
        Case("string labels, default unknown_label, score()", universal,
             _string_labels_score, correct=bool),
        Case("string labels, unknown_label=None", universal,
             lambda c: _string_labels_score(c, unknown_label=None), correct=bool),
        Case("string labels, reverse-validation scorer", universal, _reverse_validation,
             correct=bool),
        Case("int labels, unknown_label='unknown'", universal,
             lambda c: _fit(c, unknown_label="unknown"), error="unknown_label",
             correct=lambda est: est.score(*make_rotated_moons(40, random_state=0)[2:]) >= 0),
    ]


# Scaling relations -------------------------------------------------------------
def _cluster_data():
    rng = np.random.default_rng(0)
    x = 10 ** rng.uniform(13, 15, size=(60, 1))
    log_m = 14.0 + 0.6 * (np.log10(x[:, 0]) - 14) + rng.normal(0, 0.02, 60)
    return x, log_m


def _scaling_cases() -> list[Case]:
    x, log_m = _cluster_data()
    return [
        Case("linear masses with target='log10'", SCALING,
             lambda c: c(observable=0).fit(x, 10**log_m), error="linear"),
        Case("pivot=nan", SCALING, lambda c: c(observable=0, pivot=np.nan).fit(x, log_m),
             error="pivot"),
        Case("pivot of the wrong length", SCALING,
             lambda c: c(observable=0, pivot=[1e13, 1e14, 1e15]).fit(x, log_m), error="pivot"),
        Case("linear masses with target='linear'", SCALING,
             lambda c: c(observable=0, target="linear").fit(x, 10**log_m),
             correct=lambda est: abs(est.slope_ - 0.6) < 0.05),
    ]


# Pipelines, persistence, scorers -------------------------------------------------
def _pipeline():
    X, y, X_target, _ = make_rotated_moons(40, random_state=0)
    return make_da_pipeline(StandardScaler(), MMDClassifier(**SMALL)).fit(
        X, y, X_target=X_target
    )


def _pipeline_round_trip(tmp):
    pipe = _pipeline()
    loaded = load_estimator(save_estimator(pipe, tmp / "pipeline"))
    X_target = make_rotated_moons(40, random_state=0)[2]
    return np.array_equal(pipe.predict_proba(X_target), loaded.predict_proba(X_target))


def _saved(tmp, name, damage):
    directory = save_estimator(_fit(MMDClassifier), tmp / name)
    damage(directory)
    return load_estimator(directory)


def _drop_fitted(directory):
    meta = json.loads((directory / "estimator.json").read_text())
    del meta["fitted"]
    (directory / "estimator.json").write_text(json.dumps(meta))


def _other_weights(directory):
    other = save_estimator(_fit(MMDClassifier, hidden_units=(4,)), directory.parent / "other")
    (directory / "weights.pt").write_bytes((other / "weights.pt").read_bytes())


def _general_cases(tmp: Path) -> list[Case]:
    X, y, X_target, _ = make_rotated_moons(40, random_state=0)
    tmp.mkdir(parents=True, exist_ok=True)
    (tmp / "a-file").write_text("not a model")
    one = ["-"]
    return [
        Case("pipeline: X_target of another width", one,
             lambda _: make_da_pipeline(StandardScaler(), MMDClassifier(**SMALL)).fit(
                 X, y, X_target=np.ones((10, 3))), error="X_target"),
        Case("pipeline save/load round trip", one, lambda _: _pipeline_round_trip(tmp),
             correct=bool),
        Case("pipeline with a function step is refused", one,
             lambda _: save_estimator(
                 make_da_pipeline(FunctionTransformer(np.log1p), MMDClassifier(**SMALL)).fit(
                     np.abs(X), y, X_target=np.abs(X_target)), tmp / "fn"),
             error="func|pickle"),
        Case("load_estimator on a file", one, lambda _: load_estimator(tmp / "a-file"),
             error="not a saved skdomain model"),
        Case("load_estimator under a file", one,
             lambda _: load_estimator(tmp / "a-file" / "model"),
             error="not a saved skdomain model"),
        Case("load_estimator on a missing folder", one,
             lambda _: load_estimator(tmp / "missing"), error="not a saved skdomain model"),
        Case("damaged estimator.json", one,
             lambda _: _saved(tmp, "bad-json", lambda d: (d / "estimator.json").write_text("{")),
             error=r"damaged.*estimator\.json|estimator\.json.*damaged"),
        Case("estimator.json without 'fitted'", one, lambda _: _saved(tmp, "no-fit", _drop_fitted),
             error=r"estimator\.json.*(damaged|fitted)"),
        Case("damaged weights.pt", one,
             lambda _: _saved(tmp, "bad-w", lambda d: (d / "weights.pt").write_bytes(b"junk")),
             error=r"weights\.pt.*damaged"),
        Case("weights.pt of another model", one, lambda _: _saved(tmp, "swap", _other_weights),
             error=r"weights\.pt.*(match|damaged)"),
        Case("DEV scorer with a label the model never saw", one,
             lambda _: DeepEmbeddedValidationScorer(X_target)(
                 _fit(MMDClassifier), X, np.where(y == 1, 2, 0)), error=r"labels.*\b2\b"),
    ]


# Perturbations, datasets ---------------------------------------------------------
def _images():
    rng = np.random.default_rng(0)
    return rng.uniform(0, 1, size=(3, 2, 16, 16))


def _nan_pixel(function):
    X = _images()
    X[0, 1, 4, 4] = np.nan
    return function(X, 0.5, random_state=0), X


def _nan_stays_local(result):
    out, X = result
    return np.array_equal(np.isnan(out), np.isnan(X))


def _data_cases() -> list[Case]:
    one = ["-"]
    ints = (np.arange(2 * 2 * 8 * 8).reshape(2, 2, 8, 8) % 200).astype(np.uint8)
    return [
        Case("gaussian_noise with a NaN pixel", one, lambda _: _nan_pixel(gaussian_noise),
             error="NaN", correct=_nan_stays_local),
        Case("jpeg_compression with a NaN pixel", one, lambda _: _nan_pixel(jpeg_compression),
             error="NaN", correct=_nan_stays_local),
        Case("pixel_dropout(fill_value=nan) on uint8", one,
             lambda _: pixel_dropout(ints, 0.5, fill_value=np.nan, random_state=0),
             error="fill_value"),
        Case("pixel_dropout(fill_value=300) on uint8", one,
             lambda _: pixel_dropout(ints, 0.5, fill_value=300, random_state=0),
             error="fill_value"),
        Case("make_rotated_moons(rotation=nan)", one,
             lambda _: make_rotated_moons(20, rotation=np.nan), error="rotation"),
    ]


# The command line ----------------------------------------------------------------
def _cli(argv):
    """``(status, stderr)`` of the command; an escaping exception is cryptic."""
    from skdomain.cli import main

    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            status = main(argv)
        except SystemExit as exit_:
            status = exit_.code
    return status, err.getvalue()


def _one_line_error(pattern, tmp):
    def check(result):
        status, err = result
        lines = [line for line in err.strip().splitlines() if not line.startswith("usage")]
        return (
            status not in (0, None)
            and "Traceback" not in err
            and re.search(pattern, err, re.IGNORECASE) is not None
            and len(lines) <= 3
            and not (tmp / "a-file-out" / "report.md").exists()
        )

    return check


def _cli_cases(tmp: Path) -> list[Case]:
    one = ["-"]
    tmp.mkdir(parents=True, exist_ok=True)
    (tmp / "out-file").write_text("x")
    demo = ["experiment", "demo", "--quick", "--seeds", "1"]
    return [
        Case("--output is a file", one, lambda _: _cli([*demo, "--output", str(tmp / "out-file")]),
             correct=_one_line_error("output", tmp)),
        Case("--output under a file", one,
             lambda _: _cli([*demo, "--output", str(tmp / "out-file" / "sub")]),
             correct=_one_line_error("output", tmp)),
        Case("--seeds 0", one, lambda _: _cli(["experiment", "demo", "--seeds", "0",
                                                "--output", str(tmp / "s0")]),
             correct=_one_line_error("seeds", tmp)),
        Case("--device nonsense", one,
             lambda _: _cli([*demo, "--device", "nonsense", "--output", str(tmp / "dev")]),
             correct=_one_line_error("device", tmp)),
    ]


def all_cases(tmp: Path) -> list[tuple[Case, Any]]:
    cases = (
        _deep_cases(tmp / "deep") + _universal_cases() + _scaling_cases()
        + _general_cases(tmp / "general") + _data_cases() + _cli_cases(tmp / "cli")
    )
    return [(case, target) for case in cases for target in case.targets]


def _id(pair):
    case, target = pair
    return f"{case.name}-{getattr(target, '__name__', target)}"


_TMP = Path(tempfile.mkdtemp(prefix="skdomain-battery-"))
atexit.register(shutil.rmtree, _TMP, ignore_errors=True)
_ALL = all_cases(_TMP)


@pytest.mark.parametrize("pair", _ALL, ids=[_id(p) for p in _ALL])
def test_bad_input_gets_a_clear_error_or_a_correct_result(pair):
    case, target = pair
    kind, detail = outcome(case, target)
    assert kind in ("clear", "correct"), f"{kind}: {detail}"


if __name__ == "__main__":
    counts: dict[str, int] = {}
    for pair in _ALL:
        kind, detail = outcome(*pair)
        counts[kind] = counts.get(kind, 0) + 1
        if kind in ("cryptic", "silent"):
            print(f"{kind:8s} {_id(pair)}: {detail[:160]}")
    print(f"cases {len(_ALL)}", " ".join(f"{k} {v}" for k, v in sorted(counts.items())))
