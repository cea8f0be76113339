"""Simple linear regression on a sample of creators: saves received in 28 days against pins
published in the same 28 days. Ordinary least squares with an intercept.

Answers: slope, intercept, standard error of the slope (residual variance on n - 2 degrees of
freedom) and R^2, from the integers written to the CSV. Redrawn until the usual slips (x on y,
the standard error with n - 1 degrees of freedom) fall clearly outside the tolerances.
"""
import numpy as np
import pandas as pd
from scipy import stats


def generate(rng):
    for _ in range(500):
        n = int(rng.integers(35, 61))
        # pins published: most creators post a few, some post a lot
        pins = np.clip(np.round(rng.gamma(2.0, rng.uniform(6, 10), size=n)), 1, 120).astype(int)
        per_pin = rng.uniform(1.5, 4.0)  # extra saves per extra pin
        base = rng.uniform(8, 40)
        noise_sd = rng.uniform(12, 30)
        saves = np.maximum(0, np.round(base + per_pin * pins + rng.normal(0, noise_sd, size=n))).astype(int)
        fit = stats.linregress(pins, saves)
        r2 = fit.rvalue ** 2
        if not 0.35 <= r2 <= 0.9:
            continue
        # regressing pins on saves gives slope r^2 / b on the inverted scale: far off when r^2 < 0.9
        resid = saves - (fit.intercept + fit.slope * pins)
        se_n1 = np.sqrt(np.sum(resid ** 2) / (n - 1) / np.sum((pins - pins.mean()) ** 2))
        if abs(se_n1 - fit.stderr) < 0.006 * fit.stderr:
            continue
        break
    else:
        raise RuntimeError("no usable sample drawn")

    ids = rng.choice(np.arange(1000, 9999), size=n, replace=False)
    df = pd.DataFrame({"creator_id": ids, "pins_published": pins, "saves_received": saves})
    sxx = float(np.sum((pins - pins.mean()) ** 2))
    sse = float(np.sum(resid ** 2))
    params = {
        "n": n,
        "x_mean": f"{pins.mean():.4f}", "y_mean": f"{saves.mean():.4f}",
        "sxx": f"{sxx:.2f}", "sxy": f"{float(np.sum((pins - pins.mean()) * (saves - saves.mean()))):.2f}",
        "sse": f"{sse:.2f}", "sigma2": f"{sse / (n - 2):.3f}", "n_minus_2": n - 2,
        "slope": f"{fit.slope:.4f}", "intercept": f"{fit.intercept:.4f}",
        "se_slope": f"{fit.stderr:.4f}", "r_squared": f"{r2:.4f}", "r": f"{fit.rvalue:.4f}",
        "t_slope": f"{fit.slope / fit.stderr:.2f}",
        "slope_x_on_y": f"{r2 / fit.slope:.4f}",
        "se_n1": f"{se_n1:.4f}",
    }
    return {
        "params": params,
        "answers": {"slope": fit.slope, "intercept": fit.intercept, "se_slope": fit.stderr, "r_squared": r2},
        "datasets": {"creators.csv": df},
    }
