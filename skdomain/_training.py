"""The skorch training loop for paired source/target batches.

skorch runs the epochs, callbacks, history, early stopping and devices; we plug
in at its documented extension points:

- ``get_iterator``: in-memory data is sliced from tensors that already sit on
  the training device (no per-sample ``DataLoader`` collation: small tabular
  models train several times faster); out-of-core data (:class:`StreamDataset`:
  an ``h5py.Dataset``, a ``numpy.memmap`` or a torch ``Dataset``) is read one
  batch at a time through a :class:`~torch.utils.data.DataLoader` (workers,
  pinned memory on CUDA), validated batch by batch, never read whole. Both
  paths draw the same batch indices from the same generator, so they train
  the same model;
- ``train_step_single``: each source batch is paired with a target batch of the
  same size, drawn from a reshuffled cycle over the target data, and the
  objective (the skorch *criterion*) returns the loss terms;
- ``validation_step``: the task loss on held-out source data.

When a skorch scoring callback (``EpochScoring``, ``BatchScoring``) is
attached, the steps also return the network's outputs on the batch (computed
in evaluation mode), and ``predict`` / ``predict_proba`` of the net give class
indices / probabilities for classifiers, so that scorers such as
``"accuracy"`` work.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from skorch import NeuralNet
from skorch.callbacks import Callback, PrintLog
from skorch.callbacks.scoring import ScoringBase
from torch.utils.data import DataLoader, Dataset

from . import _precision
from .exceptions import DivergedError

__all__ = [
    "ArrayDataset",
    "StreamDataset",
    "TargetSampler",
    "DomainAdaptationNet",
    "TermAverages",
    "is_streaming",
]


class ArrayDataset(Dataset):
    """Inputs (and optionally targets) held as tensors on one device."""

    def __init__(self, X: torch.Tensor, y: torch.Tensor | None = None):
        self.X = X
        self.y = y

    def __len__(self) -> int:
        return self.X.shape[0]

    def __getitem__(self, index):
        return self.X[index], (None if self.y is None else self.y[index])

    def rows(self, index: torch.Tensor) -> torch.Tensor:
        return self.X[index.to(self.X.device)]


def _is_h5py_dataset(X) -> bool:
    return type(X).__module__.startswith("h5py") and type(X).__name__ == "Dataset"


def is_streaming(X) -> bool:
    """Whether ``X`` is out-of-core data that is read batch by batch.

    ``h5py.Dataset``, ``numpy.memmap`` and torch ``Dataset`` objects (other than
    our in-memory :class:`ArrayDataset`) are streamed.
    """
    if isinstance(X, StreamDataset):
        return True
    if isinstance(X, np.memmap) or _is_h5py_dataset(X):
        return True
    return isinstance(X, Dataset) and not isinstance(X, ArrayDataset)


class StreamDataset(Dataset):
    """Rows of out-of-core data, read and validated one batch at a time.

    Parameters
    ----------
    source : h5py.Dataset, numpy.memmap or torch Dataset
        The samples. A torch ``Dataset`` item is the sample (array or tensor),
        or a tuple ``(sample,)`` or ``(sample, label)`` (the label is ignored:
        labels are passed to ``fit`` as ``y``).
    y : torch.Tensor, optional
        Labels of the rows (kept in memory: they are small).
    rows : ndarray of int, optional
        The subset of rows of ``source`` this dataset exposes (a train or
        validation split); all rows by default.
    name : str
        How the data is called in error messages (``"X"``, ``"X_target"``).

    Indexing with an array of indices returns the batch ``(X, y)`` as float32
    tensors; a sample with a non-finite value or the wrong shape raises a
    ``ValueError`` naming its index in ``source``.
    """

    def __init__(self, source, y=None, *, rows=None, name: str = "X"):
        if isinstance(source, StreamDataset):
            source = source.source
        self.source = source
        self.y = y
        self.rows_ = None if rows is None else np.asarray(rows, dtype=np.int64)
        self.name = name
        self._array_like = isinstance(source, np.ndarray) or _is_h5py_dataset(source)
        try:
            n = len(source)
        except TypeError as error:
            raise ValueError(
                f"{name} is a torch Dataset without __len__; streaming needs its length."
            ) from error
        self.n_source = int(n)
        if self._array_like:
            self.sample_shape = tuple(int(d) for d in source.shape[1:])
        else:
            if self.n_source == 0:
                raise ValueError(f"{name} is an empty Dataset.")
            self.sample_shape = tuple(self._item(0).shape)

    def __getstate__(self):
        state = dict(self.__dict__)
        if _is_h5py_dataset(self.source):  # h5py objects do not pickle: reopen by name
            handle = self.source.file
            state["source"] = ("h5py", type(handle), handle.filename, self.source.name)
        return state

    def __setstate__(self, state):
        source = state["source"]
        if isinstance(source, tuple) and len(source) == 4 and source[0] == "h5py":
            _, file_class, filename, name = source
            state["source"] = file_class(filename, "r")[name]
        self.__dict__.update(state)

    def subset(self, rows, y=None) -> StreamDataset:
        rows = np.asarray(rows, dtype=np.int64)
        base = rows if self.rows_ is None else self.rows_[rows]
        return StreamDataset(self.source, y, rows=base, name=self.name)

    def __len__(self) -> int:
        return self.n_source if self.rows_ is None else len(self.rows_)

    def _item(self, i: int) -> torch.Tensor:
        item = self.source[i]
        if isinstance(item, (tuple, list)):
            if len(item) not in (1, 2):
                raise ValueError(
                    f"{self.name}[{i}]: the Dataset returned a tuple of {len(item)} "
                    "elements; expected a sample, (sample,) or (sample, label)."
                )
            item = item[0]
        if not isinstance(item, (torch.Tensor, np.ndarray)):
            raise ValueError(
                f"{self.name}[{i}]: the Dataset returned {type(item).__name__}; expected "
                "an array or tensor sample, (sample,) or (sample, label)."
            )
        return torch.as_tensor(np.asarray(item) if isinstance(item, np.ndarray) else item)

    def read(self, index) -> torch.Tensor:
        """The float32 samples at positions ``index`` (validated)."""
        index = np.asarray(index, dtype=np.int64).reshape(-1)
        rows = index if self.rows_ is None else self.rows_[index]
        if self._array_like:
            X = torch.from_numpy(self._read_array(rows))
        else:
            items = [self._item(int(i)) for i in rows]
            for i, item in zip(rows, items, strict=True):
                if tuple(item.shape) != self.sample_shape:
                    raise ValueError(
                        f"{self.name}[{int(i)}] has shape {tuple(item.shape)}, but the "
                        f"first sample has {self.sample_shape}."
                    )
            X = torch.stack(items).to(torch.float32)
        flat = X.reshape(X.shape[0], -1)
        # A sum is non-finite if any term is (or, rarely, if it overflows): a cheap
        # first pass, the exact per-element check only when it fails.
        if not bool(torch.isfinite(flat.sum(dim=1)).all()):
            finite = torch.isfinite(flat).all(dim=1)
        else:
            finite = None
        if finite is not None and not bool(finite.all()):
            bad = int(rows[int(torch.nonzero(~finite)[0])])
            raise ValueError(
                f"{self.name}[{bad}] contains NaN or infinity. Fill masked pixels first "
                "(skdomain.datasets.load_images does, with a mask channel if asked)."
            )
        return X

    def _read_array(self, rows: np.ndarray) -> np.ndarray:
        if rows.size and np.all(np.diff(rows) == 1):  # a contiguous block: one slice
            block = self.source[int(rows[0]) : int(rows[-1]) + 1]
        elif _is_h5py_dataset(self.source):
            # h5py's fancy indexing is slow (~10 ms a row): read a short span whole,
            # else row by row (one hyperslab each) into one array.
            low, high = int(rows.min()), int(rows.max()) + 1
            if high - low <= 4 * rows.size:
                block = self.source[low:high][rows - low]
            else:
                block = np.empty((rows.size, *self.source.shape[1:]), dtype=self.source.dtype)
                for k, i in enumerate(rows):
                    block[k] = self.source[int(i)]
        else:
            block = self.source[rows]
        block = np.ascontiguousarray(block, dtype=np.float32)
        return block if block.flags.writeable else block.copy()  # memmaps are read-only

    def rows(self, index: torch.Tensor) -> torch.Tensor:
        return self.read(index.cpu().numpy())

    def __getitem__(self, index):
        index = np.asarray(index, dtype=np.int64)
        y = None if self.y is None else self.y[torch.from_numpy(index)]
        return self.read(index), y


class _BatchIndices:
    """Batch indices over ``n`` rows, optionally shuffled (a batch sampler).

    When training, a last batch of a single sample is dropped (batch norm cannot
    train on it) unless it is the only batch.
    """

    def __init__(self, n: int, batch_size: int, shuffle: bool, generator=None):
        self.n = n
        self.batch_size = max(1, min(int(batch_size), n))
        self.shuffle = shuffle
        self.generator = generator

    def __len__(self) -> int:
        full, rest = divmod(self.n, self.batch_size)
        if self.shuffle and rest == 1 and full > 0:
            return full
        return full + (rest > 0)

    def __iter__(self):
        order = torch.randperm(self.n, generator=self.generator) if self.shuffle else None
        for b in range(len(self)):
            start = b * self.batch_size
            stop = min(start + self.batch_size, self.n)
            yield slice(start, stop) if order is None else order[start:stop]


class _Batches:
    """Iterates over an :class:`ArrayDataset` in (optionally shuffled) batches."""

    def __init__(self, dataset: ArrayDataset, batch_size: int, shuffle: bool, generator=None):
        self.dataset = dataset
        self.indices = _BatchIndices(len(dataset), batch_size, shuffle, generator)

    def __len__(self) -> int:
        return len(self.indices)

    def __iter__(self):
        device = self.dataset.X.device
        for index in self.indices:
            if not isinstance(index, slice):
                index = index.to(device)
            X = self.dataset.X[index]
            yield X, (None if self.dataset.y is None else self.dataset.y[index])


class _StreamIndices(torch.utils.data.Sampler):
    """The same batches as :class:`_BatchIndices`, as arrays for a DataLoader."""

    def __init__(self, indices: _BatchIndices):
        self.indices = indices

    def __len__(self) -> int:
        return len(self.indices)

    def __iter__(self):
        for index in self.indices:
            if isinstance(index, slice):
                yield np.arange(index.start, index.stop)
            else:
                yield index.numpy()


class TargetSampler:
    """Endless supply of target batches: a reshuffled cycle over the target rows.

    Each call to :meth:`draw` returns the next ``size`` rows of the current
    permutation, starting a fresh permutation when one is used up, so every
    target row is seen once per pass whatever the relative domain sizes.
    """

    def __init__(self, X_target, generator: torch.Generator):
        # A tensor on the training device, or a StreamDataset read batch by batch.
        self.X_target = X_target if isinstance(X_target, StreamDataset) else ArrayDataset(X_target)
        self.n = len(self.X_target)
        self.generator = generator
        self._order = torch.empty(0, dtype=torch.long)

    def draw(self, size: int) -> torch.Tensor:
        chunks = []
        needed = size
        while needed > 0:
            if self._order.numel() == 0:
                self._order = torch.randperm(self.n, generator=self.generator)
            take = self._order[:needed]
            self._order = self._order[needed:]
            chunks.append(take)
            needed -= take.numel()
        index = torch.cat(chunks) if len(chunks) > 1 else chunks[0]
        return self.X_target.rows(index)


class TermAverages(Callback):
    """Averages every per-batch loss term over the epoch (weighted by batch size)."""

    skipped = ("train_loss", "train_batch_size", "valid_loss", "valid_batch_size")

    def on_epoch_end(self, net, **kwargs):
        batches = [b for b in net.history[-1]["batches"] if "train_batch_size" in b]
        if not batches:
            return
        names = [k for k in batches[0] if k not in self.skipped]
        total = sum(b["train_batch_size"] for b in batches)
        for name in names:
            value = sum(b[name] * b["train_batch_size"] for b in batches if name in b) / total
            net.history.record(name, value)


class DomainAdaptationNet(NeuralNet):
    """skorch ``NeuralNet`` whose criterion is a skdomain objective.

    Set ``target_sampler`` (or leave it ``None`` for source-only training),
    ``batch_generator`` and ``total_steps`` before training; the estimators do.
    """

    target_sampler: TargetSampler | None = None
    batch_generator: torch.Generator | None = None
    total_steps: int = 1
    steps_done: int = 0
    precision: str = "32"
    grad_scaler: torch.amp.GradScaler | None = None
    #: Worker processes of the DataLoader that reads out-of-core data.
    num_workers: int = 0
    #: Whether the head's outputs are class scores (``predict`` gives indices).
    classifier: bool = False

    def get_iterator(self, dataset, training=False):
        batch_size = self.batch_size if training else max(self.batch_size, 1024)
        generator = self.batch_generator if training else None
        if isinstance(dataset, ArrayDataset):
            return _Batches(dataset, batch_size, shuffle=training, generator=generator)
        if not isinstance(dataset, StreamDataset):
            dataset = StreamDataset(dataset)
        indices = _BatchIndices(len(dataset), batch_size, shuffle=training, generator=generator)
        return DataLoader(
            dataset,
            batch_size=None,
            sampler=_StreamIndices(indices),
            num_workers=self.num_workers,
            pin_memory=str(self.device).startswith("cuda"),
            persistent_workers=False,
        )

    #: The callback hooks of the training loop whose listeners are looked up
    #: once per run (see :meth:`notify`).
    _cached_hooks = (
        "on_epoch_begin", "on_epoch_end", "on_batch_begin", "on_batch_end", "on_grad_computed",
    )

    def _listeners(self) -> dict:
        """The methods each hook of :attr:`_cached_hooks` really calls, in skorch's order.

        skorch calls the net's own hook, then every callback's, on every batch;
        most callbacks' are the no-ops inherited from ``Callback``, and a
        ``PrintLog`` that prints to stdout at ``verbose=0`` formats a table it
        then throws away. Those are left out: what runs is what would have had
        an effect.
        """
        listeners = {}
        for hook in self._cached_hooks:
            calls = [getattr(self, hook)]  # the net's own hooks open history rows
            for _, callback in self.callbacks_:
                method = getattr(callback, hook)
                if getattr(method, "__func__", None) is getattr(Callback, hook, None):
                    continue
                quiet_log = (
                    hook == "on_epoch_end" and type(callback) is PrintLog
                    and callback.sink is print and not self.verbose
                )
                if not quiet_log:
                    calls.append(method)
            listeners[hook] = calls
        return listeners

    def notify(self, method_name, **cb_kwargs):
        listeners = self.__dict__.get("_hook_listeners")
        if listeners is None or method_name not in listeners:
            return super().notify(method_name, **cb_kwargs)
        for listener in listeners[method_name]:
            listener(self, **cb_kwargs)
        return None

    def __getstate__(self):
        state = super().__getstate__()
        for cached in ("_hook_listeners", "_mode_modules"):  # per-run caches
            state.pop(cached, None)
        return state

    def _set_training(self, training=True):
        # skorch sets the mode of every module on every step; a recursive
        # ``Module.train`` costs about as much as the forward pass of a small
        # MLP. When every module of the run is already in that mode the call
        # would change nothing, so it is skipped.
        modules = self.__dict__.get("_mode_modules")
        if modules is not None and all(m.training == training for m in modules):
            return
        super()._set_training(training)

    def _wants_predictions(self) -> bool:
        return any(isinstance(cb, ScoringBase) for _, cb in getattr(self, "callbacks_", []))

    def _outputs(self, x: torch.Tensor):
        """Head outputs in evaluation mode, for skorch's scoring callbacks."""
        wanted = self.__dict__.get("_predictions_wanted")
        if wanted is None:  # outside train(): look at the callbacks now
            wanted = self._wants_predictions()
        if not wanted:
            return None
        training = self.module_.training
        self.module_.eval()
        with torch.no_grad():
            out = self.module_(x)
        self.module_.train(training)
        return out

    def train_step_single(self, batch, **fit_params):
        self._set_training(True)
        x_source, y_source = batch
        x_source = x_source.to(self.device, non_blocking=True)
        if y_source is not None:
            y_source = y_source.to(self.device, non_blocking=True)
        x_target = None
        if self.target_sampler is not None:
            x_target = self.target_sampler.draw(x_source.shape[0]).to(self.device)
        progress = min(self.steps_done / max(self.total_steps, 1), 1.0)
        with _precision.autocast(self.device, self.precision):
            terms = self.criterion_(self.module_, x_source, y_source, x_target, progress)
        names = list(terms)
        values = torch.stack([terms[name].detach().float() for name in names]).tolist()
        recorded = dict(zip(names, values, strict=True))
        self._check_divergence(recorded)
        _precision.backward(self, terms["loss"])
        self.steps_done += 1
        # What history.record_batch does for each term, in one lookup of the batch row.
        recorded.pop("loss")
        self.history[-1]["batches"][-1].update(recorded)
        return {"loss": terms["loss"].detach(), "y_pred": self._outputs(x_source)}

    def train_step(self, batch, **fit_params):
        if self.grad_scaler is None:
            return super().train_step(batch, **fit_params)
        return _precision.scaled_train_step(self, batch, **fit_params)

    #: A term whose value exceeds this factor times its first value (or 1, if
    #: larger) has blown up: finite, but the model is ruined (probabilities of
    #: exactly 0 or 1).
    blow_up_factor: float = 1e6

    def _check_divergence(self, recorded: dict) -> None:
        """Raise :class:`DivergedError` naming the terms that became non-finite or blew up.

        The first value of each term in this training run is the reference;
        it is kept across ``partial_fit`` calls.
        """
        first = self.__dict__.setdefault("_first_term_values", {})
        diverged = []
        for name, value in recorded.items():
            if not math.isfinite(value):
                diverged.append(name)
                continue
            reference = first.setdefault(name, abs(value))
            if abs(value) > self.blow_up_factor * max(reference, 1.0):
                diverged.append(name)
        if diverged:
            culprits = [n for n in diverged if n != "loss"] or ["loss"]
            name = culprits[0]
            message = (
                f"Training diverged at epoch {len(self.history)}: {', '.join(culprits)} became "
                f"{recorded[name]:.3g} (first value {first.get(name, float('nan')):.3g}). "
                "Lower the learning rate or the weight of that term."
            )
            if getattr(self, "defer_divergence_", False):
                # Data-parallel: the other processes are about to wait for this one
                # in the gradient all-reduce; every process raises there, together.
                self.pending_divergence_ = message
                return
            raise DivergedError(message)

    def validation_step(self, batch, **fit_params):
        self._set_training(False)
        x, y = batch
        x, y = x.to(self.device), y.to(self.device)
        with torch.no_grad():
            loss = self.criterion_.validation_loss(self.module_, x, y)
        return {"loss": loss, "y_pred": self._outputs(x)}

    def predict_proba(self, X):
        """Class probabilities (classifiers) or outputs of the head, as numpy."""
        out = torch.as_tensor(np.concatenate([p.cpu().numpy() for p in self.forward_iter(X)]))
        return (torch.softmax(out, dim=1) if self.classifier else out).numpy()

    def predict(self, X):
        """Encoded class indices (classifiers) or outputs of the head (regressors)."""
        proba = self.predict_proba(X)
        return proba.argmax(axis=1) if self.classifier else proba

    def train(
        self,
        dataset: ArrayDataset,
        valid: ArrayDataset | None,
        epochs: int,
        *,
        schedule_epochs: int | None = None,
    ):
        """Run ``epochs`` epochs on ``dataset`` (validating on ``valid`` if given).

        ``schedule_epochs``: continue the training progress (schedules, warm-ups)
        of the previous calls over a run of that many epochs (``partial_fit``)
        instead of starting a fresh run of ``epochs``.
        """
        if not self.initialized_:
            self.initialize()
        n_batches = len(self.get_iterator(dataset, training=True))
        if schedule_epochs is None:
            self.steps_done = 0
            self.__dict__.pop("_first_term_values", None)
            self.total_steps = max(1, epochs * n_batches)
        else:
            self.total_steps = max(1, schedule_epochs * n_batches)
        self.train_split = None if valid is None else (lambda ds, y=None: (ds, valid))
        # Once per run, not once per training step: do the callbacks score predictions?
        self._predictions_wanted = self._wants_predictions()
        self.notify("on_train_begin", X=dataset, y=None)
        # Once per run too: which callback hooks do something, and which modules
        # have a training mode to set (see notify and _set_training).
        self._hook_listeners = self._listeners()
        self._mode_modules = [
            module
            for name in self._modules + self._criteria
            if isinstance(root := getattr(self, name + "_"), torch.nn.Module)
            for module in root.modules()
        ]
        try:
            self.fit_loop(dataset, None, epochs=epochs)
        except KeyboardInterrupt:
            # skorch's way of stopping early (EarlyStopping raises it), and of
            # letting a user interrupt training and keep the model so far.
            pass
        finally:
            for cached in ("_hook_listeners", "_mode_modules"):
                self.__dict__.pop(cached, None)
            self.notify("on_train_end", X=dataset, y=None)
            self.__dict__.pop("_predictions_wanted", None)
        return self

    def infer_batches(self, X, function) -> torch.Tensor:
        """Apply ``function(module, batch)`` to ``X`` in evaluation mode, batch by batch.

        ``X`` is a tensor, or out-of-core data streamed through a DataLoader.
        """
        self._set_training(False)
        dataset = X if isinstance(X, StreamDataset) else ArrayDataset(X)
        outputs = []
        with torch.no_grad():
            for xb, _ in self.get_iterator(dataset, training=False):
                outputs.append(function(self.module_, xb.to(self.device)).cpu())
        return torch.cat(outputs)
