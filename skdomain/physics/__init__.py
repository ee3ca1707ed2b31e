"""Physics baselines: power-law scaling relations such as the Y_X - mass relation."""

from ._scaling_relations import (
    ScalingRelationRegressor,
    YxScalingRegressor,
)

__all__ = [
    "ScalingRelationRegressor",
    "YxScalingRegressor",
]
