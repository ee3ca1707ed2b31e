"""
Is my target shifted? Diagnosing domain shift before adapting
=============================================================

Three questions, three tests: per feature (Kolmogorov-Smirnov with a
false-discovery-rate correction), jointly (an MMD permutation test), and "can a
classifier tell the domains apart?" (a classifier two-sample test, AUC with a
bootstrap interval). Here the simulated training flavour of the galaxy-cluster
profiles is compared with the test flavour.
"""

import os

import matplotlib.pyplot as plt
from sklearn.linear_model import LogisticRegression

from skdomain.datasets import log_observables, make_cluster_profiles
from skdomain.plotting import plot_shift_report
from skdomain.shift import shift_report

quick = os.environ.get("SKDOMAIN_EXAMPLES_QUICK") == "1"
n = 200 if quick else 500

X_train, _ = make_cluster_profiles(n, flavour="magneticum", random_state=0)
X_test, _ = make_cluster_profiles(n, flavour="tng", random_state=1)
table = shift_report(
    log_observables(X_train), log_observables(X_test),
    n_permutations=50 if quick else 200, cv=3,
    classifier=LogisticRegression(max_iter=1000),  # fast; the default is gradient boosting
    random_state=0,
)
print(table.attrs.get("summary", table.head()))

plot_shift_report(table, title="Magneticum-like vs TNG-like profiles")
plt.show()
