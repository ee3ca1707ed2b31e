"""
Morphologies with unknown lenses: universal domain adaptation
=============================================================

The source survey has no strong lenses; the target survey has them. A
universal-DA classifier learns the known classes across surveys and answers
"unknown" where its prediction entropy is high.
"""

import os

import matplotlib.pyplot as plt

from skdomain import UniversalDAClassifier
from skdomain.datasets import make_galaxy_morphologies
from skdomain.metrics import open_set_scores
from skdomain.plotting import plot_open_set_confusion

quick = os.environ.get("SKDOMAIN_EXAMPLES_QUICK") == "1"
n, epochs = (200, 2) if quick else (600, 8)

X_s, y_s = make_galaxy_morphologies(n, survey="sdss", image_size=24, labels="name",
                                    random_state=0)
X_t, y_t = make_galaxy_morphologies(n, survey="decals", image_size=24, labels="name",
                                    random_state=1)  # includes lenses, unknown to the source
clf = UniversalDAClassifier(module="deepmerge", max_epochs=epochs, unknown_label="unknown",
                            random_state=0)
clf.fit(X_s, y_s, X_target=X_t)
y_pred = clf.predict(X_t)
print(open_set_scores(y_t, y_pred, clf.unknown_score(X_t), known_classes=clf.classes_))

plot_open_set_confusion(y_t, y_pred, known_classes=clf.classes_)
plt.show()
