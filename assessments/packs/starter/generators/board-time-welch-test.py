"""A 70/30 test of a new board layout; the metric is minutes spent on boards per user in the
test week (zeros included). The treatment arm is smaller and more spread out, so the pooled-
variance t-test and Welch's test disagree: the prompt asks for Welch.

Answers: mean(treatment) - mean(control); two-sided Welch p-value; 95% Welch interval for the
difference (Welch-Satterthwaite degrees of freedom). Computed from the values as written to the
CSV (one decimal). Redrawn until pooled vs Welch and one- vs two-sided differ clearly.
"""
import numpy as np
import pandas as pd
from scipy import stats

# Margins for the discrimination checks, wider than the parts' tolerances in pack.yaml
# (p-value: abs_tol 0.0006; interval bounds: abs_tol 0.01).
P_TOL = 0.002
CI_TOL = 0.02


def _minutes(rng, n, p_zero, mean, shape):
    active = rng.random(n) >= p_zero
    values = rng.gamma(shape, mean / shape, size=n)
    return np.where(active, np.round(values, 1), 0.0)


def generate(rng):
    for _ in range(500):
        n_control = int(rng.integers(320, 520))
        n_treatment = int(rng.integers(110, 200))
        base = rng.uniform(9.0, 16.0)  # mean minutes of an active control user
        effect = rng.uniform(0.05, 0.30)  # relative lift among active users
        control = _minutes(rng, n_control, 0.18, base, 2.2)
        # the new layout pulls some users in deeply: a longer right tail
        treatment = _minutes(rng, n_treatment, 0.18, base * (1 + effect), 0.9)
        c, t = control, treatment
        diff = t.mean() - c.mean()
        welch = stats.ttest_ind(t, c, equal_var=False)
        pooled = stats.ttest_ind(t, c, equal_var=True)
        v_c, v_t = c.var(ddof=1) / len(c), t.var(ddof=1) / len(t)
        se = np.sqrt(v_c + v_t)
        df_w = (v_c + v_t) ** 2 / (v_c ** 2 / (len(c) - 1) + v_t ** 2 / (len(t) - 1))
        q = stats.t.ppf(0.975, df_w)
        lo, hi = diff - q * se, diff + q * se
        # the pooled interval, a typical mistake
        sp2 = ((len(c) - 1) * c.var(ddof=1) + (len(t) - 1) * t.var(ddof=1)) / (len(c) + len(t) - 2)
        se_pooled = np.sqrt(sp2 * (1 / len(c) + 1 / len(t)))
        p = float(welch.pvalue)
        if not 0.01 <= p <= 0.5:
            continue
        if abs(float(pooled.pvalue) - p) < 3 * P_TOL or p / 2 > p - 3 * P_TOL:
            continue
        if abs(q * se - stats.t.ppf(0.975, len(c) + len(t) - 2) * se_pooled) < 3 * CI_TOL:
            continue
        if min(abs(lo), abs(hi)) < CI_TOL:  # a bound that rounds to -0.00 reads badly
            continue
        break
    else:
        raise RuntimeError("no discriminating sample drawn")

    user_ids = rng.choice(np.arange(200000, 900000), size=len(c) + len(t), replace=False)
    df = pd.DataFrame({
        "user_id": user_ids,
        "variant": ["control"] * len(c) + ["treatment"] * len(t),
        "board_minutes": np.concatenate([c, t]),
    }).sort_values("user_id").reset_index(drop=True)

    params = {
        "n_total": f"{len(df):,}",
        "n_control": len(c), "n_treatment": len(t),
        "mean_control": f"{c.mean():.3f}", "mean_treatment": f"{t.mean():.3f}",
        "sd_control": f"{c.std(ddof=1):.3f}", "sd_treatment": f"{t.std(ddof=1):.3f}",
        "diff": f"{diff:.3f}",
        "se": f"{se:.4f}", "df_welch": f"{df_w:.1f}", "t_crit": f"{q:.4f}",
        "t_welch": f"{float(welch.statistic):.3f}",
        "p_value": f"{p:.4f}",
        "ci_low": f"{lo:.2f}", "ci_high": f"{hi:.2f}",
        "se_pooled": f"{se_pooled:.4f}",
        "t_pooled": f"{float(pooled.statistic):.3f}",
        "p_pooled": f"{float(pooled.pvalue):.4f}",
    }
    return {
        "params": params,
        "answers": {"mean_diff": diff, "p_value": p, "ci_low": lo, "ci_high": hi},
        "datasets": {"board_layout_test.csv": df},
    }
