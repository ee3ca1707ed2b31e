"""Automatic mixed precision for the training loop (the ``precision`` parameter).

``"32"`` trains in float32. ``"bf16"`` runs the forward pass and the loss terms
under ``torch.autocast`` in bfloat16 (no loss scaling needed: bfloat16 has
float32's range). ``"fp16"`` autocasts to float16 and scales the loss with a
``torch.amp.GradScaler`` so that small gradients do not underflow; steps whose
gradients overflow are skipped and the scale lowered. Weights, optimizer state
and predictions stay float32 in all cases.
"""

from __future__ import annotations

from contextlib import nullcontext

import torch

PRECISIONS = ("32", "bf16", "fp16")
_DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16}


def _device_type(device) -> str:
    return torch.device(device).type


def autocast(device, precision: str):
    """The autocast context of ``precision`` on ``device`` (a null context for "32")."""
    if precision == "32" or precision is None:
        return nullcontext()
    return torch.autocast(_device_type(device), dtype=_DTYPES[precision])


def configure(net, precision: str, device) -> None:
    """Set the precision of a skorch net before training (and its loss scaler for fp16)."""
    net.precision = precision
    net.grad_scaler = (
        torch.amp.GradScaler(_device_type(device)) if precision == "fp16" else None
    )


def backward(net, loss: torch.Tensor) -> None:
    """``loss.backward()``, through the loss scaler when there is one."""
    scaler = getattr(net, "grad_scaler", None)
    (loss if scaler is None else scaler.scale(loss)).backward()


def scaled_train_step(net, batch, **fit_params):
    """One optimizer step with a float16 loss scaler (skorch's ``train_step`` otherwise).

    The gradients are unscaled before the ``on_grad_computed`` callbacks (gradient
    clipping, data-parallel averaging) see them.
    """
    scaler = net.grad_scaler
    optimizer = net.optimizer_
    optimizer.zero_grad()
    step = net.train_step_single(batch, **fit_params)
    scaler.unscale_(optimizer)
    net.notify(
        "on_grad_computed",
        named_parameters=list(net.get_all_learnable_params()),
        batch=batch,
        training=True,
    )
    scaler.step(optimizer)
    scaler.update()
    return step
