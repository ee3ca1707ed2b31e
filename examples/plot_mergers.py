"""
Galaxy mergers: MMD on the DeepMerge CNN, pristine to noisy images
==================================================================

Simulated merger images without noise (source) and with survey noise (target).
The DeepMerge CNN is trained with and without an MMD term; ROC curves on the
target test images show what adaptation buys, Grad-CAM shows where the adapted
network looks.
"""

import os

import matplotlib.pyplot as plt

from skdomain import MMDClassifier, SourceOnlyClassifier
from skdomain.datasets import MergerNormalizer, make_galaxy_mergers
from skdomain.inspection import grad_cam
from skdomain.plotting import plot_grad_cam, plot_roc_curves

quick = os.environ.get("SKDOMAIN_EXAMPLES_QUICK") == "1"
n, epochs = (160, 2) if quick else (600, 6)


def domain(name, seed):
    X, y = make_galaxy_mergers(n + 100, domain=name, image_size=32, random_state=seed)
    normalizer = MergerNormalizer().fit(X[:n])  # fitted on training images only
    return normalizer.transform(X[:n]), y[:n], normalizer.transform(X[n:]), y[n:]


X_s, y_s, _, _ = domain("pristine", 0)
X_t, _, X_t_test, y_t_test = domain("noisy", 1)  # target labels: evaluation only

common = dict(module="deepmerge", max_epochs=epochs, batch_size=32, lr=1e-3, random_state=0)
models = {
    "no DA": SourceOnlyClassifier(**common).fit(X_s, y_s),
    "MMD": MMDClassifier(mmd_weight=1.0, **common).fit(X_s, y_s, X_target=X_t),
}
probabilities = {name: m.predict_proba(X_t_test)[:, 1] for name, m in models.items()}
plot_roc_curves(y_t_test, probabilities)

# %%
# Grad-CAM: evidence for the "merger" class on target test images.
maps = grad_cam(models["MMD"], X_t_test[:6], target_class=1)
plot_grad_cam(X_t_test[:6], {"MMD: merger": maps})
plt.show()
