"""A/B test of a save-button redesign: user-level 0/1 outcome, two arms.

Answers (as the prompt asks): treatment - control save rate; two-sided p-value of the pooled
two-proportion z-test (= chi-square test of the 2x2 table without continuity correction);
95% Wald interval for the difference with the unpooled standard error.

The data are redrawn until the variant discriminates: the p-value is neither tiny nor huge,
halving it (one-sided) or applying Yates' continuity correction (R's prop.test default) moves it
by clearly more than the tolerance.
"""
import numpy as np
import pandas as pd
from scipy import stats

Z975 = stats.norm.ppf(0.975)
P_TOL = 0.0006  # the p-value part's abs_tol in pack.yaml


def _analyse(df):
    g = df.groupby("variant")["saved"].agg(["sum", "count"])
    x0, n0 = int(g.loc["control", "sum"]), int(g.loc["control", "count"])
    x1, n1 = int(g.loc["treatment", "sum"]), int(g.loc["treatment", "count"])
    p0, p1 = x0 / n0, x1 / n1
    diff = p1 - p0
    pooled = (x0 + x1) / (n0 + n1)
    se_pooled = np.sqrt(pooled * (1 - pooled) * (1 / n0 + 1 / n1))
    z = diff / se_pooled
    p_value = 2 * stats.norm.sf(abs(z))
    se = np.sqrt(p0 * (1 - p0) / n0 + p1 * (1 - p1) / n1)
    table = np.array([[x0, n0 - x0], [x1, n1 - x1]])
    p_yates = stats.chi2_contingency(table, correction=True)[1]
    return dict(x0=x0, n0=n0, x1=x1, n1=n1, p0=p0, p1=p1, diff=diff, pooled=pooled, se_pooled=se_pooled,
                z=z, p_value=p_value, se=se, lo=diff - Z975 * se, hi=diff + Z975 * se, p_yates=p_yates)


def generate(rng):
    for _ in range(500):
        n_total = int(rng.integers(16, 33)) * 250  # 4,000 .. 8,000 users
        base = rng.uniform(0.07, 0.20)
        lift = rng.uniform(0.03, 0.25)  # relative
        variant = np.where(rng.random(n_total) < 0.5, "control", "treatment")
        platform = rng.choice(["android", "ios", "web"], size=n_total, p=[0.45, 0.35, 0.20])
        # web converts a little worse, ios a little better; the effect is the same everywhere
        platform_factor = np.select([platform == "ios", platform == "web"], [1.12, 0.8], 1.0)
        rate = base * platform_factor * np.where(variant == "treatment", 1 + lift, 1.0)
        saved = (rng.random(n_total) < rate).astype(int)
        df = pd.DataFrame({
            "user_id": rng.permutation(np.arange(100001, 100001 + n_total)),
            "variant": variant,
            "platform": platform,
            "saved": saved,
        }).sort_values("user_id").reset_index(drop=True)
        a = _analyse(df)
        if not 0.004 <= a["p_value"] <= 0.5:
            continue
        if abs(a["p_yates"] - a["p_value"]) < 2 * P_TOL:
            continue
        if min(abs(a["lo"]), abs(a["hi"])) < 0.0003:  # a bound that rounds to -0.0000 reads badly
            continue
        break
    else:
        raise RuntimeError("no discriminating sample drawn")

    params = {
        "n_total": f"{n_total:,}",
        "n0": f"{a['n0']:,}", "n1": f"{a['n1']:,}",
        "x0": f"{a['x0']:,}", "x1": f"{a['x1']:,}",
        "p0": f"{a['p0']:.5f}", "p1": f"{a['p1']:.5f}",
        "diff": f"{a['diff']:.4f}",
        "pooled": f"{a['pooled']:.5f}",
        "se_pooled": f"{a['se_pooled']:.5f}",
        "z": f"{a['z']:.3f}",
        "p_value": f"{a['p_value']:.4f}",
        "p_one_sided": f"{a['p_value'] / 2:.4f}",
        "p_yates": f"{a['p_yates']:.4f}",
        "se": f"{a['se']:.5f}",
        "ci_low": f"{a['lo']:.4f}", "ci_high": f"{a['hi']:.4f}",
        "rel_lift": f"{100 * a['diff'] / a['p0']:+.1f}",
    }
    return {
        "params": params,
        "answers": {"diff": a["diff"], "p_value": a["p_value"], "ci_low": a["lo"], "ci_high": a["hi"]},
        "datasets": {"save_button_test.csv": df},
    }
