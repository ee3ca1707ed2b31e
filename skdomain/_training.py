"""The skorch training loop for paired source/target batches.

skorch runs the epochs, callbacks, history, early stopping and devices; we plug
in at its documented extension points:

- ``get_iterator``: batches are sliced from tensors that already sit on the
  training device (no per-sample ``DataLoader`` collation: small tabular models
  train several times faster);
- ``train_step_single``: each source batch is paired with a target batch of the
  same size, drawn from a reshuffled cycle over the target data, and the
  objective (the skorch *criterion*) returns the loss terms;
- ``validation_step``: the task loss on held-out source data.
"""

from __future__ import annotations

import math

import torch
from skorch import NeuralNet
from skorch.callbacks import Callback
from torch.utils.data import Dataset

from .exceptions import DivergedError

__all__ = ["ArrayDataset", "TargetSampler", "DomainAdaptationNet", "TermAverages"]


class ArrayDataset(Dataset):
    """Inputs (and optionally targets) held as tensors on one device."""

    def __init__(self, X: torch.Tensor, y: torch.Tensor | None = None):
        self.X = X
        self.y = y

    def __len__(self) -> int:
        return self.X.shape[0]

    def __getitem__(self, index):
        return self.X[index], (None if self.y is None else self.y[index])


class _Batches:
    """Iterates over an :class:`ArrayDataset` in (optionally shuffled) batches.

    When training, a last batch of a single sample is dropped (batch norm cannot
    train on it) unless it is the only batch.
    """

    def __init__(self, dataset: ArrayDataset, batch_size: int, shuffle: bool, generator=None):
        self.dataset = dataset
        self.batch_size = max(1, min(int(batch_size), len(dataset)))
        self.shuffle = shuffle
        self.generator = generator

    def _n_batches(self) -> int:
        n = len(self.dataset)
        full, rest = divmod(n, self.batch_size)
        if self.shuffle and rest == 1 and full > 0:
            return full
        return full + (rest > 0)

    def __len__(self) -> int:
        return self._n_batches()

    def __iter__(self):
        n = len(self.dataset)
        device = self.dataset.X.device
        if self.shuffle:
            order = torch.randperm(n, generator=self.generator).to(device)
        else:
            order = None
        for b in range(self._n_batches()):
            start = b * self.batch_size
            stop = min(start + self.batch_size, n)
            if order is None:
                X = self.dataset.X[start:stop]
                y = None if self.dataset.y is None else self.dataset.y[start:stop]
            else:
                index = order[start:stop]
                X = self.dataset.X[index]
                y = None if self.dataset.y is None else self.dataset.y[index]
            yield X, y


class TargetSampler:
    """Endless supply of target batches: a reshuffled cycle over the target rows.

    Each call to :meth:`draw` returns the next ``size`` rows of the current
    permutation, starting a fresh permutation when one is used up, so every
    target row is seen once per pass whatever the relative domain sizes.
    """

    def __init__(self, X_target: torch.Tensor, generator: torch.Generator):
        self.X_target = X_target
        self.generator = generator
        self._order = torch.empty(0, dtype=torch.long)

    def draw(self, size: int) -> torch.Tensor:
        chunks = []
        needed = size
        while needed > 0:
            if self._order.numel() == 0:
                self._order = torch.randperm(self.X_target.shape[0], generator=self.generator)
            take = self._order[:needed]
            self._order = self._order[needed:]
            chunks.append(take)
            needed -= take.numel()
        index = torch.cat(chunks) if len(chunks) > 1 else chunks[0]
        return self.X_target[index.to(self.X_target.device)]


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

    def get_iterator(self, dataset, training=False):
        batch_size = self.batch_size if training else max(self.batch_size, 1024)
        return _Batches(dataset, batch_size, shuffle=training, generator=self.batch_generator)

    def train_step_single(self, batch, **fit_params):
        self._set_training(True)
        x_source, y_source = batch
        x_target = None
        if self.target_sampler is not None:
            x_target = self.target_sampler.draw(x_source.shape[0])
        progress = min(self.steps_done / max(self.total_steps, 1), 1.0)
        terms = self.criterion_(self.module_, x_source, y_source, x_target, progress)
        names = list(terms)
        values = torch.stack([terms[name].detach().float() for name in names]).tolist()
        recorded = dict(zip(names, values, strict=True))
        self._check_divergence(recorded)
        terms["loss"].backward()
        self.steps_done += 1
        for name, value in recorded.items():
            if name != "loss":
                self.history.record_batch(name, value)
        return {"loss": terms["loss"].detach(), "y_pred": None}

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
            culprit = ", ".join(n for n in diverged if n != "loss") or "loss"
            name = next(n for n in diverged if n != "loss") if culprit != "loss" else "loss"
            raise DivergedError(
                f"Training diverged at epoch {len(self.history)}: {culprit} became "
                f"{recorded[name]:.3g} (first value {first.get(name, float('nan')):.3g}). "
                "Lower the learning rate or the weight of that term."
            )

    def validation_step(self, batch, **fit_params):
        self._set_training(False)
        x, y = batch
        with torch.no_grad():
            loss = self.criterion_.validation_loss(self.module_, x, y)
        return {"loss": loss, "y_pred": None}

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
        self.notify("on_train_begin", X=dataset, y=None)
        try:
            self.fit_loop(dataset, None, epochs=epochs)
        except KeyboardInterrupt:
            # skorch's way of stopping early (EarlyStopping raises it), and of
            # letting a user interrupt training and keep the model so far.
            pass
        finally:
            self.notify("on_train_end", X=dataset, y=None)
        return self

    def infer_batches(self, X: torch.Tensor, function) -> torch.Tensor:
        """Apply ``function(module, batch)`` to ``X`` in evaluation mode, batch by batch."""
        self._set_training(False)
        outputs = []
        with torch.no_grad():
            for xb, _ in self.get_iterator(ArrayDataset(X), training=False):
                outputs.append(function(self.module_, xb.to(self.device)))
        return torch.cat(outputs)
