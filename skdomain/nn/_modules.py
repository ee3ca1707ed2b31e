"""Torch building blocks: encoders, heads, gradient reversal, discriminators.

Plain ``torch.nn`` code with no scikit-learn in sight. An *encoder* maps inputs
to the latent features that adaptation losses align; a :class:`DomainAdaptationNetwork`
puts an encoder, a prediction head and optional extra heads together.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

__all__ = [
    "CosineHead",
    "MLPEncoder",
    "DeepMergeEncoder",
    "GradientReversal",
    "dann_schedule",
    "DomainDiscriminator",
    "MLPDecoder",
    "DomainAdaptationNetwork",
    "latent_dimension",
]


class MLPEncoder(nn.Module):
    """Fully connected encoder: Linear -> activation (-> dropout) per hidden layer.

    Parameters
    ----------
    n_inputs : int
        Number of input features (inputs of any trailing shape are flattened).
    hidden_units : sequence of int
        Width of each hidden layer; the last one is the latent dimension.
    dropout : float
        Dropout probability after each activation (0 disables it).
    activation : type of nn.Module
        Activation class, ``nn.ReLU`` by default.

    Examples
    --------
    >>> import torch
    >>> MLPEncoder(4, (16, 8))(torch.zeros(3, 4)).shape
    torch.Size([3, 8])
    """

    def __init__(
        self,
        n_inputs: int,
        hidden_units: Sequence[int] = (64, 64),
        dropout: float = 0.0,
        activation: type[nn.Module] = nn.ReLU,
    ):
        super().__init__()
        if len(hidden_units) == 0:
            raise ValueError("hidden_units needs at least one layer.")
        layers: list[nn.Module] = [nn.Flatten()]
        width = n_inputs
        for units in hidden_units:
            layers += [nn.Linear(width, units), activation()]
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
            width = units
        self.layers = nn.Sequential(*layers)
        self.out_features = width

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Latent features of ``x``, shape ``(n, latent_dim)``."""
        return self.layers(x)


class DeepMergeEncoder(nn.Module):
    """The DeepMerge CNN (Ciprijanovic et al. 2020) up to its 32-unit latent layer.

    Three convolution blocks (8, 16 and 32 channels; kernels 5, 3, 3; "same"
    padding; batch norm, ReLU, 2x2 max pooling) then dense layers 64 -> 32.
    The flattened size is worked out from ``image_shape``, so any image size
    of at least 8 x 8 pixels works.

    Parameters
    ----------
    image_shape : tuple of int
        ``(channels, height, width)`` of one image.
    dropout : float
        Dropout before each dense layer.

    Examples
    --------
    >>> import torch
    >>> enc = DeepMergeEncoder((3, 75, 75))
    >>> enc(torch.zeros(2, 3, 75, 75)).shape
    torch.Size([2, 32])
    """

    def __init__(self, image_shape: Sequence[int], dropout: float = 0.0):
        super().__init__()
        if len(image_shape) != 3:
            raise ValueError(
                f"DeepMergeEncoder needs images of shape (channels, height, width), "
                f"got {tuple(image_shape)}."
            )
        channels, height, width = (int(v) for v in image_shape)
        if min(height, width) < 8:
            raise ValueError("DeepMergeEncoder needs images of at least 8 x 8 pixels.")
        blocks: list[nn.Module] = []
        in_channels = channels
        for out_channels, kernel in ((8, 5), (16, 3), (32, 3)):
            blocks += [
                nn.Conv2d(in_channels, out_channels, kernel, padding=kernel // 2),
                nn.BatchNorm2d(out_channels),
                nn.ReLU(),
                nn.MaxPool2d(2),
            ]
            in_channels = out_channels
        self.features = nn.Sequential(*blocks)
        flat = 32 * (height // 8) * (width // 8)
        self.dense = nn.Sequential(
            nn.Flatten(),
            nn.Dropout(dropout),
            nn.Linear(flat, 64),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(64, 32),
            nn.ReLU(),
        )
        self.out_features = 32

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Latent features of the images ``x`` of shape ``(n, channels, height, width)``."""
        return self.dense(self.features(x))


class _ReverseGradient(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, coefficient):
        ctx.coefficient = coefficient
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad_output):
        return -ctx.coefficient * grad_output, None


def dann_schedule(progress: float, gamma: float = 10.0) -> float:
    """DANN coefficient ``2 / (1 + exp(-gamma p)) - 1`` for training progress ``p``.

    Rises from 0 at the start of training to almost 1 at the end, so that the
    adversary's noisy early gradients do not swamp the encoder.

    Parameters
    ----------
    progress : float
        Fraction of training done, in [0, 1].
    gamma : float, default=10.0
        Steepness of the schedule.

    Returns
    -------
    float
        The gradient-reversal coefficient, in [0, 1).

    Examples
    --------
    >>> dann_schedule(0.0), round(dann_schedule(1.0), 4)
    (0.0, 0.9999)
    """
    progress = min(max(float(progress), 0.0), 1.0)
    return 2.0 / (1.0 + math.exp(-gamma * progress)) - 1.0


class GradientReversal(nn.Module):
    """Identity in the forward pass; multiplies the gradient by ``-coefficient``.

    Parameters
    ----------
    coefficient : float
        Strength of the reversal. Set ``module.coefficient`` during training to
        follow a schedule such as :func:`dann_schedule`.

    Examples
    --------
    >>> import torch
    >>> x = torch.ones(3, requires_grad=True)
    >>> GradientReversal(0.5)(x).sum().backward()
    >>> x.grad
    tensor([-0.5000, -0.5000, -0.5000])
    """

    def __init__(self, coefficient: float = 1.0):
        super().__init__()
        self.coefficient = float(coefficient)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Identity forward; the backward pass multiplies the gradient by ``-coefficient``."""
        return _ReverseGradient.apply(x, self.coefficient)

    def extra_repr(self) -> str:
        """The reversal coefficient, shown in the module's repr."""
        return f"coefficient={self.coefficient}"


class DomainDiscriminator(nn.Module):
    """Domain classifier behind a gradient reversal layer: latent -> one logit.

    Parameters
    ----------
    n_features : int
        Latent dimension.
    hidden_units : sequence of int
        Hidden layer widths of the discriminator.
    coefficient : float
        Initial gradient reversal coefficient.
    negative_slope : float, default=0.0
        Slope of the hidden activations below zero: 0 is a ReLU, a positive
        value a leaky ReLU, whose units cannot die (a dead discriminator
        gives a constant output and no gradient to the encoder).

    Examples
    --------
    >>> import torch
    >>> DomainDiscriminator(8)(torch.zeros(5, 8)).shape
    torch.Size([5, 1])
    """

    def __init__(
        self,
        n_features: int,
        hidden_units: Sequence[int] = (64, 64),
        coefficient: float = 1.0,
        negative_slope: float = 0.0,
    ):
        super().__init__()
        self.reversal = GradientReversal(coefficient)
        layers: list[nn.Module] = []
        width = n_features
        for units in hidden_units:
            activation = nn.LeakyReLU(negative_slope) if negative_slope > 0 else nn.ReLU()
            layers += [nn.Linear(width, units), activation]
            width = units
        layers.append(nn.Linear(width, 1))
        self.classifier = nn.Sequential(*layers)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        """Domain logits of ``features``, through the gradient reversal."""
        return self.classifier(self.reversal(features))

    def active_fractions(self, features: torch.Tensor) -> tuple[list[float], torch.Tensor]:
        """Health check of the hidden units: are they dead on ``features``?

        Returns, per hidden activation, the fraction of its units that are
        positive on at least one row of ``features`` (a dead ReLU unit never
        is), and the domain logits, computed without gradient.
        """
        fractions = []
        z = features
        with torch.no_grad():
            for layer in self.classifier:
                z = layer(z)
                if not isinstance(layer, nn.Linear):
                    fractions.append(float((z > 0).any(0).float().mean()))
        return fractions, z


class MLPDecoder(nn.Module):
    """Fully connected decoder from latent features back to the input shape.

    Parameters
    ----------
    n_latent : int
    output_shape : tuple of int
        Shape of one input sample; the output is reshaped to it.
    hidden_units : sequence of int
        Hidden widths, from latent towards the output.

    Examples
    --------
    >>> import torch
    >>> MLPDecoder(4, (10,), (16,))(torch.zeros(2, 4)).shape
    torch.Size([2, 10])
    """

    def __init__(
        self,
        n_latent: int,
        output_shape: Sequence[int],
        hidden_units: Sequence[int] = (64,),
        activation: type[nn.Module] = nn.ReLU,
    ):
        super().__init__()
        self.output_shape = tuple(int(v) for v in output_shape)
        layers: list[nn.Module] = []
        width = n_latent
        for units in hidden_units:
            layers += [nn.Linear(width, units), activation()]
            width = units
        layers.append(nn.Linear(width, math.prod(self.output_shape)))
        self.layers = nn.Sequential(*layers)

    def forward(self, latent: torch.Tensor) -> torch.Tensor:
        """Reconstruction of the inputs from ``latent``, shaped like the inputs."""
        return self.layers(latent).reshape(latent.shape[0], *self.output_shape)


class DomainAdaptationNetwork(nn.Module):
    """An encoder, a prediction head and optional named extra heads.

    ``forward`` returns the head's output (logits or regression values), so the
    network behaves like an ordinary model at prediction time; ``encode``
    returns the latent features that adaptation losses align. Extra heads (a
    domain discriminator, a decoder, ...) live in ``extra_heads`` and are used
    only by training objectives.

    Parameters
    ----------
    encoder : nn.Module
        Inputs -> latent features of shape (n, d).
    head : nn.Module
        Latent features -> outputs.
    extra_heads : dict of str -> nn.Module, optional

    Examples
    --------
    >>> import torch
    >>> enc = MLPEncoder(2, (8,))
    >>> net = DomainAdaptationNetwork(enc, torch.nn.Linear(8, 3))
    >>> net(torch.zeros(4, 2)).shape, net.encode(torch.zeros(4, 2)).shape
    (torch.Size([4, 3]), torch.Size([4, 8]))
    """

    def __init__(
        self,
        encoder: nn.Module,
        head: nn.Module,
        extra_heads: dict[str, nn.Module] | None = None,
    ):
        super().__init__()
        self.encoder = encoder
        self.head = head
        self.extra_heads = nn.ModuleDict(extra_heads or {})

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """Latent features of ``x`` (the encoder's output, flattened per sample)."""
        return self.encoder(x).flatten(1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Head outputs (logits or predictions) of ``x``."""
        return self.head(self.encode(x))


def latent_dimension(
    encoder: nn.Module, sample_shape: Sequence[int], *, dry_run: bool = False
) -> int:
    """Latent size of ``encoder``: its ``out_features`` or a dry run on zeros.

    ``dry_run=True`` always runs it (checking that it accepts such samples).

    Parameters
    ----------
    encoder : torch.nn.Module
        Module mapping inputs to latent features.
    sample_shape : sequence of int
        Shape of one input sample (without the batch axis).

    Returns
    -------
    int
        Number of latent features per sample.

    Examples
    --------
    >>> latent_dimension(MLPEncoder(3, (5,)), (3,))
    5
    """
    declared = getattr(encoder, "out_features", None)
    if isinstance(declared, int) and not dry_run:
        return declared
    was_training = encoder.training
    encoder.eval()
    try:
        parameter = next(encoder.parameters(), None)
        device = parameter.device if parameter is not None else torch.device("cpu")
        with torch.no_grad():
            out = encoder(torch.zeros((2, *sample_shape), device=device))
    finally:
        encoder.train(was_training)
    return int(out.flatten(1).shape[1])


class CosineHead(nn.Module):
    """Classifier on the unit sphere: ``cos(feature, class weight) / temperature``.

    Bounded logits: a sample far from the data cannot become arbitrarily
    confident merely by having large features, which a linear head allows.

    Examples
    --------
    >>> import torch
    >>> head = CosineHead(4, 3, temperature=0.1)
    >>> bool(head(100 * torch.randn(5, 4)).abs().max() <= 10 + 1e-5)
    True
    """

    def __init__(self, n_features: int, n_classes: int, temperature: float = 0.05):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(n_classes, n_features) / math.sqrt(n_features))
        self.temperature = float(temperature)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        """Cosine similarities to the class prototypes, divided by the temperature."""
        cosine = F.linear(F.normalize(features, dim=1), F.normalize(self.weight, dim=1))
        return cosine / self.temperature
