"""Export a fitted network for serving without skdomain, and stream predictions.

A survey pipeline loads the exported file with plain ``torch`` (TorchScript) or
``onnxruntime`` (ONNX); neither needs skdomain, skorch nor scikit-learn. The
exported model includes what ``predict_proba`` adds to the network: the softmax
for classifiers, the un-standardization of the targets for regressors, so its
outputs equal ``predict_proba`` (or ``predict``) to float32 rounding.

:func:`predict_hdf5` streams an HDF5 dataset of stamps through an estimator or
an exported model in fixed-size chunks, so a file larger than memory is served
with one chunk in memory at a time.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import torch
from sklearn.utils.validation import check_is_fitted
from torch import nn

__all__ = ["ServedModel", "served_module", "export_torchscript", "export_onnx",
           "iter_hdf5_batches", "predict_hdf5"]


class ServedModel(nn.Module):
    """A fitted network and its output transformation, as one torch module.

    Parameters
    ----------
    network : torch.nn.Module
        The estimator's ``module_``.
    kind : {"proba", "regression"}
        ``"proba"`` applies a softmax; ``"regression"`` maps standardized
        outputs back to the units of ``y`` with ``mean`` and ``scale``.
    mean, scale : array-like, optional
        The regressor's ``y_mean_`` and ``y_scale_``.
    """

    def __init__(self, network: nn.Module, kind: str = "proba", mean=None, scale=None):
        super().__init__()
        if kind not in ("proba", "regression"):
            raise ValueError(f"kind must be 'proba' or 'regression', got {kind!r}.")
        self.network = network
        self.kind = kind
        self.register_buffer("mean", torch.as_tensor(0.0 if mean is None else mean,
                                                     dtype=torch.float32))
        self.register_buffer("scale", torch.as_tensor(1.0 if scale is None else scale,
                                                      dtype=torch.float32))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.network(x)
        if self.kind == "proba":
            return torch.softmax(out, dim=1)
        return out * self.scale + self.mean


def served_module(estimator) -> ServedModel:
    """The network of a fitted deep estimator with its output transformation, on the CPU.

    Parameters
    ----------
    estimator : fitted deep classifier or regressor

    Returns
    -------
    ServedModel
        A copy in evaluation mode: classifiers give ``predict_proba``, regressors
        ``predict`` (2-D, one column per output).

    Examples
    --------
    A served regressor undoes the standardization of the targets itself:

    >>> import numpy as np
    >>> import torch
    >>> from skdomain import SourceOnlyRegressor
    >>> from skdomain.export import served_module
    >>> X = np.random.default_rng(0).normal(size=(60, 3)).astype(np.float32)
    >>> reg = SourceOnlyRegressor(max_epochs=2, random_state=0).fit(X, 100 + X[:, 0])
    >>> served = served_module(reg)(torch.as_tensor(X[:5])).detach().numpy()
    >>> served.shape, bool(np.allclose(served[:, 0], reg.predict(X[:5]), atol=1e-4))
    ((5, 1), True)
    """
    check_is_fitted(estimator, "net_")
    network = copy.deepcopy(estimator.module_).cpu().eval()
    if hasattr(estimator, "classes_"):
        served = ServedModel(network, "proba")
    else:
        served = ServedModel(network, "regression", estimator.y_mean_, estimator.y_scale_)
    return served.eval()


def _example(estimator, batch: int = 2) -> torch.Tensor:
    return torch.zeros((batch, *estimator.input_shape_), dtype=torch.float32)


def export_torchscript(estimator, path) -> Path:
    """Save the served network as TorchScript: ``torch.jit.load(path)(x)`` serves it.

    Parameters
    ----------
    estimator : fitted deep estimator
    path : str or Path
        The file to write (``.pt`` by convention).

    Returns
    -------
    Path
    """
    path = Path(path)
    model = served_module(estimator)
    with torch.no_grad():
        traced = torch.jit.trace(model, _example(estimator), check_trace=True)
    torch.jit.save(traced, str(path))
    return path


def export_onnx(estimator, path, *, opset_version: int | None = None) -> Path:
    """Save the served network as ONNX, with a dynamic batch dimension.

    Serve it with ``onnxruntime.InferenceSession(path).run(None, {"input": x})``;
    the output is named ``"output"``.

    Parameters
    ----------
    estimator : fitted deep estimator
    path : str or Path
        The file to write (``.onnx``).
    opset_version : int, optional
        ONNX opset (the exporter's default when None).

    Returns
    -------
    Path
    """
    path = Path(path)
    model = served_module(estimator)
    batch = torch.export.Dim("batch", min=1)
    kwargs = {} if opset_version is None else {"opset_version": opset_version}
    torch.onnx.export(
        model, (_example(estimator),), str(path), input_names=["input"],
        output_names=["output"], dynamic_shapes=({0: batch},), dynamo=True,
        external_data=False, **kwargs,
    )
    return path


def _as_predictor(model) -> Callable[[np.ndarray], np.ndarray]:
    """A numpy-to-numpy function from an estimator, a torch module or an ONNX session."""
    if isinstance(model, nn.Module) or isinstance(model, torch.jit.ScriptModule):

        def run(batch):
            with torch.no_grad():
                return model(torch.as_tensor(batch, dtype=torch.float32)).numpy()

        return run
    if hasattr(model, "get_inputs") and hasattr(model, "run"):  # onnxruntime session
        name = model.get_inputs()[0].name
        return lambda batch: model.run(None, {name: batch.astype(np.float32)})[0]
    if hasattr(model, "predict_proba"):
        return model.predict_proba
    if hasattr(model, "predict"):
        return model.predict
    if callable(model):
        return model
    raise ValueError(
        "model must be a fitted estimator, a torch module, an onnxruntime "
        f"InferenceSession or a callable, got {type(model).__name__}."
    )


def iter_hdf5_batches(path, dataset: str, *, batch_size: int = 1024) -> Iterator[np.ndarray]:
    """Read an HDF5 dataset in consecutive chunks of ``batch_size`` rows (float32).

    Parameters
    ----------
    path : str or Path
        The HDF5 file.
    dataset : str
        The dataset inside it, of shape (n_samples, *sample_shape).
    batch_size : int, default=1024

    Yields
    ------
    ndarray of shape (<= batch_size, *sample_shape), float32
    """
    import h5py

    if int(batch_size) < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}.")
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"HDF5 file {str(path)!r} does not exist.")
    with h5py.File(path, "r") as handle:
        if dataset not in handle or not isinstance(handle[dataset], h5py.Dataset):
            raise ValueError(
                f"{str(path)!r} has no dataset {dataset!r}; it has {sorted(handle.keys())}."
            )
        data = handle[dataset]
        for start in range(0, data.shape[0], int(batch_size)):
            yield np.asarray(data[start : start + int(batch_size)], dtype=np.float32)


def predict_hdf5(model, path, dataset: str = "images", *, batch_size: int = 1024,
                 output=None, output_dataset: str = "proba"):
    """Predict every row of an HDF5 dataset, one chunk in memory at a time.

    Parameters
    ----------
    model : fitted estimator, torch module, onnxruntime session or callable
        Estimators give ``predict_proba`` (or ``predict`` for regressors); a module
        may come from ``torch.jit.load``.
    path : str or Path
        The HDF5 file of inputs.
    dataset : str, default="images"
        The dataset of inputs, shape (n_samples, *sample_shape).
    batch_size : int, default=1024
        Rows read and predicted per chunk.
    output : str or Path, optional
        An HDF5 file to write the predictions to (dataset ``output_dataset``),
        chunk by chunk; the function then returns that path. Without it the
        predictions are returned as one array.
    output_dataset : str, default="proba"

    Returns
    -------
    ndarray or Path

    Examples
    --------
    >>> import tempfile, h5py, numpy as np
    >>> from pathlib import Path
    >>> from skdomain.export import predict_hdf5
    >>> folder = Path(tempfile.mkdtemp())
    >>> with h5py.File(folder / "stamps.h5", "w") as f:
    ...     _ = f.create_dataset("images", data=np.ones((5, 2), np.float32))
    >>> predict_hdf5(lambda x: x.sum(axis=1), folder / "stamps.h5", batch_size=2)
    array([2., 2., 2., 2., 2.], dtype=float32)
    """
    predict = _as_predictor(model)
    batches = iter_hdf5_batches(path, dataset, batch_size=batch_size)
    if output is None:
        chunks = [np.asarray(predict(batch)) for batch in batches]
        if not chunks:
            raise ValueError(f"Dataset {dataset!r} of {str(path)!r} is empty.")
        return np.concatenate(chunks)
    import h5py

    output = Path(output)
    with h5py.File(output, "w") as handle:
        written = None
        for batch in batches:
            result = np.asarray(predict(batch))
            if written is None:
                written = handle.create_dataset(
                    output_dataset, shape=(0, *result.shape[1:]),
                    maxshape=(None, *result.shape[1:]), dtype=result.dtype,
                    chunks=(max(1, len(result)), *result.shape[1:]),
                )
            n = written.shape[0]
            written.resize(n + len(result), axis=0)
            written[n:] = result
        if written is None:
            raise ValueError(f"Dataset {dataset!r} of {str(path)!r} is empty.")
    return output
