"""Grad-CAM, latent features and t-SNE embeddings, and their figures."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from torch import nn

from skdomain import SourceOnlyClassifier
from skdomain.datasets import MergerNormalizer, make_galaxy_mergers
from skdomain.inspection import conv_layer_names, grad_cam, latent_embedding, latent_features
from skdomain.nn import DeepMergeEncoder, MLPEncoder
from skdomain.plotting import image_to_rgb, plot_grad_cam, plot_latent_embedding

SIZE = 32


@pytest.fixture(scope="module")
def mergers():
    X, y = make_galaxy_mergers(400, domain="pristine", image_size=SIZE, random_state=0)
    normalizer = MergerNormalizer().fit(X)
    X_test, y_test = make_galaxy_mergers(60, domain="pristine", image_size=SIZE, random_state=1)
    return normalizer.transform(X), y, normalizer.transform(X_test), y_test


@pytest.fixture(scope="module")
def trained(mergers):
    X, y, _, _ = mergers
    return SourceOnlyClassifier(module="deepmerge", max_epochs=6, random_state=0).fit(X, y)


def test_conv_layer_names_of_estimator_and_module(trained):
    names = conv_layer_names(trained)
    assert names == ["encoder.features.0", "encoder.features.4", "encoder.features.8"]
    assert conv_layer_names(MLPEncoder(4, (3,))) == []


def test_grad_cam_has_image_size_and_is_normalized(trained, mergers):
    _, _, X_test, _ = mergers
    maps = grad_cam(trained, X_test[:5], target_class=1)
    assert maps.shape == (5, SIZE, SIZE) and maps.dtype == np.float32
    assert maps.min() >= 0.0
    peaks = maps.reshape(5, -1).max(axis=1)
    assert np.all((np.isclose(peaks, 1.0)) | (peaks == 0.0))
    raw = grad_cam(trained, X_test[:5], target_class=1, normalize=False)
    scale = raw.reshape(5, -1).max(axis=1)
    np.testing.assert_allclose(
        raw / np.where(scale > 0, scale, 1)[:, None, None], maps, rtol=1e-5, atol=1e-6
    )


def test_grad_cam_is_larger_on_the_galaxy_than_on_empty_sky(trained, mergers):
    """Evidence for the merger class sits on the light of merging galaxies, not on the sky."""
    _, _, X_test, y_test = mergers
    X = X_test[y_test == 1]
    maps = grad_cam(trained, X, target_class=1)
    light = X.sum(axis=1)
    peak = light.reshape(len(light), -1).max(axis=1)[:, None, None]
    on_object = maps[light > 0.05 * peak].mean()
    empty_sky = maps[light < 0.005 * peak].mean()
    assert on_object > 3 * empty_sky


def test_grad_cam_layer_choice_and_state(trained, mergers):
    _, _, X_test, _ = mergers
    network = trained.module_
    before = {k: v.clone() for k, v in network.state_dict().items()}
    network.train()
    first = grad_cam(trained, X_test[:4], layer="encoder.features.0", target_class=0)
    assert first.shape == (4, SIZE, SIZE)
    assert network.training  # mode restored
    network.eval()
    for key, value in network.state_dict().items():
        assert torch.equal(value, before[key])  # batch-norm statistics untouched
    last = grad_cam(trained, X_test[:4], target_class=0)
    named_last = grad_cam(trained, X_test[:4], layer="encoder.features.8", target_class=0)
    np.testing.assert_array_equal(last, named_last)
    assert not np.allclose(first, last)


def test_grad_cam_on_a_bare_module_and_bad_requests(trained, mergers):
    _, _, X_test, _ = mergers
    network = trained.module_
    via_module = grad_cam(network, X_test[:3], target_class=1)
    np.testing.assert_allclose(via_module, grad_cam(trained, X_test[:3], target_class=1), atol=1e-6)
    with pytest.raises(ValueError, match="No layer named"):
        grad_cam(trained, X_test[:2], layer="encoder.nope")
    with pytest.raises(ValueError, match="not one of"):
        grad_cam(trained, X_test[:2], target_class=7)
    with pytest.raises(ValueError, match="spatial"):
        grad_cam(trained, X_test[:2], layer="encoder.dense.2")
    with pytest.raises(ValueError, match="fitted on"):
        grad_cam(trained, X_test[:2, :2])
    with pytest.raises(ValueError, match="images of shape"):
        grad_cam(trained, X_test[0])
    mlp = nn.Sequential(nn.Flatten(), nn.Linear(3 * SIZE * SIZE, 2))
    with pytest.raises(ValueError, match="no convolutional layer"):
        grad_cam(mlp, X_test[:2])
    with pytest.raises(ValueError, match="fitted"):
        grad_cam(SourceOnlyClassifier(module="deepmerge"), X_test[:2])


def test_latent_features_of_estimator_and_module(trained, mergers):
    _, _, X_test, _ = mergers
    np.testing.assert_allclose(latent_features(trained, X_test), trained.transform(X_test))
    encoder = DeepMergeEncoder((3, SIZE, SIZE))
    Z = latent_features(encoder, X_test[:7], batch_size=3)
    assert Z.shape == (7, 32)
    with pytest.raises(ValueError, match="transform"):
        latent_features(object(), X_test)


def test_latent_embedding_subsamples_and_labels(trained, mergers):
    X, y, X_test, y_test = mergers
    def embed():
        domains = {"source": X_test, "other": X[:20]}
        return latent_embedding(
            trained, domains, labels={"source": y_test}, max_samples=25, random_state=0
        )

    frame = embed()
    assert list(frame.columns) == ["tsne_1", "tsne_2", "domain", "label", "index"]
    assert (frame.domain == "source").sum() == 25 and (frame.domain == "other").sum() == 20
    source = frame[frame.domain == "source"]
    np.testing.assert_array_equal(source.label.to_numpy(), y_test[source["index"]])
    assert frame[frame.domain == "other"].label.isna().all()
    again = embed()
    np.testing.assert_allclose(frame[["tsne_1", "tsne_2"]], again[["tsne_1", "tsne_2"]])
    with pytest.raises(ValueError):
        latent_embedding(trained, {})


def test_figures(trained, mergers):
    _, y, X_test, y_test = mergers
    maps = grad_cam(trained, X_test[:3], target_class=1)
    fig = plot_grad_cam(X_test[:3], {"merger": maps, "again": maps}, titles=["a", "b", "c"])
    assert len(fig.axes) == 10  # 3 x 3 panels and the colorbar of the maps
    with pytest.raises(ValueError, match="expected"):
        plot_grad_cam(X_test[:3], {"bad": maps[:2]})
    plt.close(fig)
    frame = latent_embedding(
        trained,
        {"s": X_test, "t": X_test[::-1]},
        labels={"s": y_test, "t": y_test[::-1]},
        random_state=0,
    )
    ax = plot_latent_embedding(frame, class_names={0: "non-merger", 1: "merger"})
    # color encodes the class, marker shape the domain (targets as visible as sources)
    paths = [c.get_paths()[0].vertices.tobytes() for c in ax.collections]
    assert len(paths) == 4 and paths[0] != paths[-1]
    assert len({c.get_alpha() for c in ax.collections}) == 1
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "class: merger" in texts and "domain: t" in texts
    plt.close(ax.figure)
    rgb = image_to_rgb(X_test[0])
    assert rgb.shape == (SIZE, SIZE, 3) and 0 <= rgb.min() and rgb.max() <= 1
