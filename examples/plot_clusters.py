"""
Galaxy-cluster masses: a neural network, DRRN and the Yx scaling relation
==========================================================================

Train on one simulation flavour of X-ray profiles, test on another. The
``Yx`` scaling relation is the physics baseline; the DRRN regressor uses the
test profiles (without their masses) as its unlabeled target.
"""

import os

import matplotlib.pyplot as plt
import pandas as pd

from skdomain import DRRNRegressor, SourceOnlyRegressor, YxScalingRegressor
from skdomain.datasets import log_observables, make_cluster_profiles
from skdomain.plotting import plot_predicted_vs_true

quick = os.environ.get("SKDOMAIN_EXAMPLES_QUICK") == "1"
n, epochs = (400, 10) if quick else (1500, 40)

X, y = make_cluster_profiles(n, flavour="magneticum", random_state=0)
X_test, y_test = make_cluster_profiles(n // 2, flavour="tng", random_state=1)

models = {
    "Yx scaling": YxScalingRegressor(),
    "NN": SourceOnlyRegressor(max_epochs=epochs, random_state=0),
    "DRRN": DRRNRegressor(max_epochs=epochs, random_state=0),
}
rows = []
for name, model in models.items():
    if name == "Yx scaling":
        model.fit(X, y)
    else:
        model.fit(log_observables(X), y, X_target=log_observables(X_test))
    features = X_test if name == "Yx scaling" else log_observables(X_test)
    prediction = model.predict(features)
    rows.append(pd.DataFrame({"method": name, "domain": "test (TNG-like)",
                              "y_true": y_test, "y_pred": prediction}))
    print(f"{name:10s} bias {(prediction - y_test).mean():+.3f} dex, "
          f"scatter {(prediction - y_test).std():.3f} dex")

plot_predicted_vs_true(pd.concat(rows))
plt.show()
