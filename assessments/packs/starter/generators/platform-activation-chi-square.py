"""Chi-square test of independence on raw user rows: sign-up platform (3 levels) against the
first-week outcome (3 levels). The candidate must cross-tabulate first.

Answers: Pearson chi-square statistic, its p-value (4 degrees of freedom, no continuity correction
applies beyond 2 x 2) and Cramer's V. Redrawn until the p-value is in a range where the usual
slips (wrong degrees of freedom, testing the table of percentages) are clearly off.
"""
import numpy as np
import pandas as pd
from scipy import stats

PLATFORMS = ["android", "ios", "web"]
OUTCOMES = ["created_board", "saved_only", "inactive"]


def generate(rng):
    for _ in range(500):
        n = int(rng.integers(12, 25)) * 100  # 1,200 .. 2,400 new users
        platform_share = rng.dirichlet([9, 7, 4])
        # each platform's outcome mix: a common mix, tilted a little per platform
        common = np.array([0.22, 0.38, 0.40])
        tilt = rng.normal(0, rng.uniform(0.04, 0.13), size=(3, 3))
        mix = common * np.exp(tilt)
        mix = mix / mix.sum(axis=1, keepdims=True)
        platform = rng.choice(3, size=n, p=platform_share)
        u = rng.random(n)
        outcome = (u[:, None] > np.cumsum(mix[platform], axis=1)).sum(axis=1)
        outcome = np.minimum(outcome, 2)
        table = np.zeros((3, 3), dtype=int)
        np.add.at(table, (platform, outcome), 1)
        if table.min() < 10:
            continue
        chi2, p, dof, expected = stats.chi2_contingency(table, correction=False)
        if not 0.004 <= p <= 0.4:
            continue
        # wrong degrees of freedom (n_cells - 1 = 8) must give a clearly different p
        if abs(stats.chi2.sf(chi2, 8) - p) < 0.01:
            continue
        break
    else:
        raise RuntimeError("no usable sample drawn")

    cramers_v = float(np.sqrt(chi2 / (n * (min(table.shape) - 1))))
    signup = pd.Timestamp("2024-03-04") + pd.to_timedelta(rng.integers(0, 14, size=n), unit="D")
    df = pd.DataFrame({
        "user_id": np.arange(50001, 50001 + n),
        "signup_date": signup.strftime("%Y-%m-%d"),
        "platform": np.array(PLATFORMS)[platform],
        "first_week": np.array(OUTCOMES)[outcome],
    })
    df = df.sort_values(["signup_date", "user_id"]).reset_index(drop=True)
    df["user_id"] = np.arange(50001, 50001 + n)

    params = {"n": f"{n:,}", "chi2": f"{chi2:.3f}", "p_value": f"{p:.4f}", "dof": int(dof),
              "cramers_v": f"{cramers_v:.4f}", "p_wrong_df": f"{stats.chi2.sf(chi2, 8):.4f}"}
    # the table as the explanation shows it
    for i, plat in enumerate(PLATFORMS):
        for j, out in enumerate(OUTCOMES):
            params[f"o_{plat}_{out}"] = int(table[i, j])
            params[f"e_{plat}_{out}"] = f"{expected[i, j]:.1f}"
        params[f"row_{plat}"] = int(table[i].sum())
    for j, out in enumerate(OUTCOMES):
        params[f"col_{out}"] = int(table[:, j].sum())
    return {
        "params": params,
        "answers": {"chi2": float(chi2), "p_value": float(p), "cramers_v": cramers_v},
        "datasets": {"new_users.csv": df},
    }
