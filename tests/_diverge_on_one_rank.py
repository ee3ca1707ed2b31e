"""Run under torchrun by tests/test_distributed.py: one process diverges, none may hang.

Rank 1's encoder starts returning NaN after a few training steps; rank 0's
stays finite. Each process records what its ``fit`` did, and rank 0 writes
the outcomes to the JSON file given as the first argument.
"""

import json
import sys

import torch
import torch.distributed as dist
from torch import nn

from skdomain import MMDClassifier
from skdomain.datasets import make_rotated_moons
from skdomain.distributed import data_parallel
from skdomain.exceptions import DivergedError


class PoisonedOnRankOne(nn.Module):
    """A small MLP whose output turns to NaN on rank 1 after ``healthy_steps`` training calls."""

    def __init__(self, healthy_steps=5):
        super().__init__()
        self.layers = nn.Sequential(nn.Linear(2, 16), nn.ReLU())
        self.healthy_steps = healthy_steps
        self.calls = 0

    def forward(self, x):
        out = self.layers(x)
        if self.training:
            self.calls += 1
            if dist.get_rank() == 1 and self.calls > self.healthy_steps:
                out = out * float("nan")
        return out


def main(path):
    torch.set_num_threads(1)
    X, y, X_target, _ = make_rotated_moons(200, rotation=30, random_state=0)
    with data_parallel() as context:
        model = MMDClassifier(module=PoisonedOnRankOne(), max_epochs=5, batch_size=32,
                              random_state=0)
        try:
            model.fit(X, y, X_target=X_target)
            outcome = "fitted"
        except DivergedError as error:
            outcome = f"DivergedError: {error}"
        outcomes = [None] * context.world_size
        dist.all_gather_object(outcomes, outcome)
        if context.rank == 0:
            with open(path, "w") as handle:
                json.dump({"world_size": context.world_size, "outcomes": outcomes}, handle)


if __name__ == "__main__":
    main(sys.argv[1])
