"""The extension API: the user-defined method of docs/architecture.md runs as written."""

import importlib
import inspect
import json
import pathlib
import re

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV

import skdomain
from skdomain.base import BaseDeepClassifier, BaseDeepRegressor, Parameter, non_negative
from skdomain.datasets import make_rotated_moons
from skdomain.nn import ClassificationObjective, Term, TermInputs
from skdomain.persistence import load_estimator, save_estimator

DOC = pathlib.Path(__file__).resolve().parents[1] / "docs" / "architecture.md"


def _doc_code() -> str:
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.DOTALL)
    assert len(blocks) == 1, "docs/architecture.md should hold one python block"
    return blocks[0]


@pytest.fixture(scope="module")
def example():
    """The namespace left by running the documented code (it fits, searches, saves)."""
    namespace = {"__name__": "architecture_example"}
    exec(compile(_doc_code(), str(DOC), "exec"), namespace)
    return namespace


@pytest.fixture(scope="module")
def moons():
    return make_rotated_moons(200, rotation=30, random_state=0)


def test_documented_method_fits_and_records_its_term(example, moons):
    X, y, X_target, _ = moons
    clf = example["clf"]
    assert clf.score(X, y) > 0.8
    assert np.isfinite(clf.history_[-1]["mean_matching_loss"])
    assert example["MeanMatchingClassifier"]().mean_weight == 1.0


def test_documented_method_clones_and_exposes_parameters(example):
    cls = example["MeanMatchingClassifier"]
    est = cls(mean_weight=3.0, max_epochs=2)
    copy = clone(est)
    assert copy is not est and copy.get_params() == est.get_params()
    assert {"mean_weight", "fisher_weight", "class_weight", "lr"} <= set(est.get_params())
    assert "mean_weight : float, default=1.0" in cls.__doc__
    assert "hidden_units : tuple of int, default=(64, 64)" in cls.__doc__
    with pytest.raises(TypeError, match="unexpected keyword"):
        cls(mean_wieght=1.0)
    with pytest.raises(TypeError):
        cls(1.0)  # keyword-only


def test_documented_method_grid_searches_its_weight(example, moons):
    X, y, X_target, _ = moons
    search = GridSearchCV(
        example["MeanMatchingClassifier"](max_epochs=3, random_state=0),
        {"mean_weight": [0.0, 2.0]},
        cv=2,
    ).fit(X, y, X_target=X_target[:150])
    assert search.best_params_["mean_weight"] in (0.0, 2.0)
    assert len(search.cv_results_["params"]) == 2


def test_documented_method_saves_and_loads(example, moons, tmp_path):
    _, _, X_target, _ = moons
    clf = example["clf"]
    directory = save_estimator(clf, tmp_path / "mean")
    saved = json.loads((directory / "estimator.json").read_text())
    assert saved["class"] == "architecture_example.MeanMatchingClassifier"
    loaded = load_estimator(directory)
    assert type(loaded) is type(clf)
    np.testing.assert_array_equal(loaded.predict_proba(X_target), clf.predict_proba(X_target))


def test_unknown_user_class_is_refused_without_import(example, tmp_path):
    directory = save_estimator(example["clf"], tmp_path / "mean")
    metadata = json.loads((directory / "estimator.json").read_text())
    metadata["class"] = "architecture_example_elsewhere.MeanMatchingClassifier"
    (directory / "estimator.json").write_text(json.dumps(metadata))
    with pytest.raises(ValueError, match="import the module"):
        load_estimator(directory)


def test_negative_user_weight_is_rejected(example, moons):
    X, y, X_target, _ = moons
    with pytest.raises(ValueError, match="mean_weight"):
        example["MeanMatchingClassifier"](mean_weight=-1.0).fit(X, y, X_target=X_target)


class _Shift(Term):
    name = "shift_loss"
    needs_target = False

    def forward(self, batch):
        assert isinstance(batch, TermInputs)
        return batch.source_outputs.mean() ** 2


def test_terms_weight_zero_is_not_computed_and_target_terms_need_target():
    from skdomain.nn import DomainAdaptationNetwork, MLPEncoder

    class Exploding(Term):
        name = "exploding_loss"

        def forward(self, batch):
            raise AssertionError("computed although switched off")

    net = DomainAdaptationNetwork(MLPEncoder(2, (8,)), torch.nn.Linear(8, 2))
    xs, ys, xt = torch.randn(6, 2), torch.tensor([0, 1] * 3), torch.randn(6, 2)
    objective = ClassificationObjective(2, 8, terms=[Exploding(0.0), _Shift(2.0)])
    values = objective(net, xs, ys, xt, 0.5)
    assert sorted(values) == ["classification_loss", "loss", "shift_loss"]
    expected = values["classification_loss"] + 2.0 * values["shift_loss"]
    torch.testing.assert_close(values["loss"], expected)
    target_only = ClassificationObjective(2, 8, mmd_weight=1.0)
    assert "mmd_loss" not in target_only(net, xs, ys, None, 0.5)
    with pytest.raises(ValueError, match="distinct"):
        ClassificationObjective(2, 8, terms=[_Shift(), _Shift()])


def test_batch_inputs_slice_source_and_target():
    from skdomain.nn import DomainAdaptationNetwork, MLPEncoder

    net = DomainAdaptationNetwork(MLPEncoder(3, (4,)), torch.nn.Linear(4, 1))
    xs, xt = torch.randn(5, 3), torch.randn(7, 3)
    inputs = torch.cat([xs, xt])
    features = net.encode(inputs)
    batch = TermInputs(net, inputs, 5, torch.randn(5, 1), features, 0.25,
                       outputs=net.head(features[:5]))
    assert batch.has_target and batch.x_target.shape == (7, 3)
    assert batch.source_features.shape == (5, 4) and batch.target_features.shape == (7, 4)
    assert batch.target_outputs.shape == (7, 1) and batch.outputs.shape == (12, 1)
    alone = TermInputs(net, xs, 5, None, net.encode(xs), 0.0)
    assert alone.x_target is None and alone.target_features is None
    assert alone.target_outputs is None and alone.source_outputs.shape == (5, 1)


def test_declared_regressor_with_own_init_is_left_alone():
    class Explicit(BaseDeepRegressor):
        def __init__(self, *, max_epochs=3, extra=1):
            self.max_epochs = max_epochs
            self.extra = extra

    assert sorted(Explicit().get_params()) == ["extra", "max_epochs"]

    class Declared(BaseDeepClassifier):
        parameters = (Parameter("alpha", 0.5, non_negative(), "float", "Alpha."),)
        removed_parameters = ("fisher_form",)

    params = Declared().get_params()
    assert params["alpha"] == 0.5 and "fisher_form" not in params
    assert "alpha" in Declared._parameter_constraints


def test_redeclared_parameter_keeps_constraint_type_and_doc():
    class Faster(BaseDeepClassifier):
        """Faster.

        {sections}
        """

        parameters = (
            next(p for p in BaseDeepClassifier.parameters if p.name == "fisher_weight").replace(
                default=0.5
            ),
        )

    assert Faster().fisher_weight == 0.5 and BaseDeepClassifier().fisher_weight == 0.0
    assert "fisher_weight : float, default=0.5\n        Weight of the Fisher loss" in Faster.__doc__
    with pytest.raises(ValueError, match="fisher_weight"):
        Faster(fisher_weight=-1.0)._validate_params()


def test_generated_see_also_and_example_opening():
    class Documented(BaseDeepClassifier):
        """Documented.

        {sections}

        {moons_example}
        >>> clf.n_features_in_
        2
        """

        see_also = ("DANNClassifier", "skdomain.nn.CORALTerm")

    class Undocumented(Documented):
        """Undocumented.

        {sections}
        """

    doc = inspect.cleandoc(Documented.__doc__)
    attributes = doc.index("Attributes\n----------")
    see_also = doc.index("See Also\n--------\nDANNClassifier, skdomain.nn.CORALTerm")
    examples = doc.index("Examples\n--------\n>>> from skdomain import Documented")
    assert attributes < see_also < examples
    assert ">>> clf = Documented(max_epochs=5, random_state=0).fit(X, y, X_target=X_target)" in doc
    assert "{sections}" not in doc and "{moons_example}" not in doc
    assert "See Also" not in Undocumented.__doc__  # see_also is not inherited


@pytest.mark.parametrize(
    "cls", [c for c in vars(skdomain).values() if isinstance(c, type) and "see_also" in vars(c)]
)
def test_see_also_names_resolve(cls):
    for name in cls.see_also:
        module, _, attribute = ("skdomain." + name if "." not in name else name).rpartition(".")
        assert hasattr(importlib.import_module(module), attribute), f"{cls.__name__}: {name}"
