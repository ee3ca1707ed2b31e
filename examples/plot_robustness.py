"""
Robustness: accuracy under image perturbations and a one-pixel attack
=====================================================================

How fast does a merger classifier degrade as noise or PSF blur grow, and can a
single changed pixel flip its answer?
"""

import os

import matplotlib.pyplot as plt
import pandas as pd

from skdomain import SourceOnlyClassifier
from skdomain.datasets import MergerNormalizer, make_galaxy_mergers
from skdomain.plotting import plot_attack_examples, plot_robustness_curves
from skdomain.robustness import GaussianNoise, PSFBlur, one_pixel_attack_batch, robustness_curve

quick = os.environ.get("SKDOMAIN_EXAMPLES_QUICK") == "1"
n, epochs = (160, 2) if quick else (500, 6)

X, y = make_galaxy_mergers(n + 100, domain="pristine", image_size=32, random_state=0)
X = MergerNormalizer().fit(X[:n]).transform(X)
X_train, y_train, X_test, y_test = X[:n], y[:n], X[n:], y[n:]
clf = SourceOnlyClassifier(module="deepmerge", max_epochs=epochs, random_state=0)
clf.fit(X_train, y_train)

curves = pd.concat([
    robustness_curve(clf, X_test, y_test, GaussianNoise(), [0.0, 0.2, 0.5, 1.0],
                     random_state=0).assign(model="no DA"),
    robustness_curve(clf, X_test, y_test, PSFBlur(), [0.0, 1.0, 2.0, 3.0],
                     random_state=0).assign(model="no DA"),
])
plot_robustness_curves(curves)

# %%
# A one-pixel attack (differential evolution) on three test images.
results = one_pixel_attack_batch(clf, X_test[:3], y_test[:3], maxiter=5 if quick else 15,
                                 population_size=20, random_state=0)
plot_attack_examples(results, X_test[:3])
plt.show()
