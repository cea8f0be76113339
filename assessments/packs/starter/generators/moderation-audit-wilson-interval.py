"""A random audit of recently published pins: the share that violates policy and its 95% Wilson
score interval (no continuity correction). With a few dozen violations in ~1,000 pins the Wald
interval is visibly off (the variant is redrawn until both Wald bounds miss by 3 tolerances).

Answers: the sample share, the Wilson lower and upper bounds, as proportions.
"""
import numpy as np
import pandas as pd
from scipy import stats

Z = stats.norm.ppf(0.975)
TOL = 0.0002  # abs_tol of the bounds in pack.yaml
CATEGORIES = ["home", "fashion", "food", "beauty", "diy", "travel", "art", "fitness"]


def wilson(x, n):
    p = x / n
    centre = (p + Z ** 2 / (2 * n)) / (1 + Z ** 2 / n)
    half = Z * np.sqrt(p * (1 - p) / n + Z ** 2 / (4 * n ** 2)) / (1 + Z ** 2 / n)
    return centre - half, centre + half, centre, half


def generate(rng):
    for _ in range(500):
        n = int(rng.integers(24, 65)) * 25  # 600 .. 1,600 pins
        rate = rng.uniform(0.006, 0.03)
        violating = (rng.random(n) < rate).astype(int)
        x = int(violating.sum())
        if x < 4:
            continue
        lo, hi, centre, half = wilson(x, n)
        p = x / n
        wald = (p - Z * np.sqrt(p * (1 - p) / n), p + Z * np.sqrt(p * (1 - p) / n))
        cp = (stats.beta.ppf(0.025, x, n - x + 1), stats.beta.ppf(0.975, x + 1, n - x))
        if abs(wald[0] - lo) < 3 * TOL or abs(wald[1] - hi) < 3 * TOL:
            continue
        break
    else:
        raise RuntimeError("no usable sample drawn")

    df = pd.DataFrame({
        "pin_id": np.sort(rng.choice(np.arange(3_000_000, 9_000_000), size=n, replace=False)),
        "category": rng.choice(CATEGORIES, size=n, p=[0.2, 0.18, 0.16, 0.12, 0.1, 0.1, 0.08, 0.06]),
        "reviewer": rng.choice(["r01", "r02", "r03", "r04", "r05"], size=n),
        "violating": violating,
    })
    params = {
        "n": f"{n:,}", "x": x, "p_hat": f"{p:.5f}",
        "centre": f"{centre:.5f}", "half": f"{half:.5f}",
        "ci_low": f"{lo:.4f}", "ci_high": f"{hi:.4f}",
        "wald_low": f"{wald[0]:.4f}", "wald_high": f"{wald[1]:.4f}",
        "cp_low": f"{cp[0]:.4f}", "cp_high": f"{cp[1]:.4f}",
        "share_pct": f"{100 * p:.2f}", "ci_low_pct": f"{100 * lo:.2f}", "ci_high_pct": f"{100 * hi:.2f}",
    }
    return {
        "params": params,
        "answers": {"share": p, "ci_low": float(lo), "ci_high": float(hi)},
        "datasets": {"pin_audit.csv": df},
    }
