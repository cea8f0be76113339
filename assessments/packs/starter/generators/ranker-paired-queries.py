"""Paired comparison of two search rankers on the same queries: each query's save rate (saves
per 100 result impressions) under the old and the new ranker, run side by side in the same
week. Each query is one pair.

Answers: mean of (new - old); two-sided paired t-test p-value; 95% t interval for the mean
difference (n - 1 degrees of freedom). From the two-decimal values written to the CSV. Redrawn
until the paired p-value sits where an unpaired (Welch) test or a one-sided p-value is clearly
different.
"""
import numpy as np
import pandas as pd
from scipy import stats

QUERIES = [
    "small kitchen ideas", "fall outfits", "living room decor", "easy dinner recipes", "nail art",
    "wedding centerpieces", "tattoo ideas", "bedroom inspo", "garden design", "hairstyles for long hair",
    "diy crafts", "bathroom remodel", "meal prep", "minimalist wallpaper", "halloween costumes",
    "christmas cookies", "home office setup", "boho bedroom", "vegan recipes", "workout plan",
    "watercolor painting", "bullet journal", "balcony garden", "kids birthday party", "sourdough bread",
    "capsule wardrobe", "crochet patterns", "reading nook", "travel packing list", "skin care routine",
    "cocktail recipes", "tiny house", "mudroom ideas", "picnic ideas", "baby shower themes",
    "fantasy art", "pottery ideas", "farmhouse kitchen", "air fryer recipes", "cat tree diy",
    "study aesthetic", "makeup looks", "backyard patio", "gallery wall", "smoothie bowls",
    "classroom decor", "logo design", "graduation party", "fall wreath", "summer nails",
]


def generate(rng):
    for _ in range(500):
        n = int(rng.integers(18, 31))
        queries = rng.choice(QUERIES, size=n, replace=False)
        # queries differ a lot in how often their results get saved...
        level = rng.lognormal(np.log(4.0), 0.45, size=n)
        shift = rng.uniform(0.0, 0.45)  # the new ranker's average gain, saves per 100 impressions
        old = level + rng.normal(0, 0.35, size=n)
        new = level + shift + rng.normal(0, 0.35, size=n)
        old = np.round(np.clip(old, 0.2, None), 2)
        new = np.round(np.clip(new, 0.2, None), 2)
        d = new - old
        res = stats.ttest_rel(new, old)
        p = float(res.pvalue)
        if not 0.004 <= p <= 0.5:
            continue
        p_welch = float(stats.ttest_ind(new, old, equal_var=False).pvalue)
        if p_welch - p < 0.05:
            continue
        half = stats.t.ppf(0.975, n - 1) * d.std(ddof=1) / np.sqrt(n)
        if min(abs(d.mean() - half), abs(d.mean() + half)) < 0.002:  # a bound that rounds to -0.000
            continue
        break
    else:
        raise RuntimeError("no usable sample drawn")

    mean_d = float(d.mean())
    sd_d = float(d.std(ddof=1))
    se = sd_d / np.sqrt(n)
    q = float(stats.t.ppf(0.975, n - 1))
    lo, hi = mean_d - q * se, mean_d + q * se
    df = pd.DataFrame({"query": queries, "save_rate_old": old, "save_rate_new": new})
    params = {
        "n": n, "n_minus_1": n - 1,
        "mean_old": f"{old.mean():.3f}", "mean_new": f"{new.mean():.3f}",
        "mean_diff": f"{mean_d:.3f}", "sd_diff": f"{sd_d:.4f}", "se": f"{se:.4f}",
        "t": f"{float(res.statistic):.3f}", "t_crit": f"{q:.4f}",
        "p_value": f"{p:.4f}", "p_welch": f"{p_welch:.3f}",
        "ci_low": f"{lo:.3f}", "ci_high": f"{hi:.3f}",
        "sd_old": f"{old.std(ddof=1):.3f}",
    }
    return {
        "params": params,
        "answers": {"mean_diff": mean_d, "p_value": p, "ci_low": lo, "ci_high": hi},
        "datasets": {"ranker_queries.csv": df},
    }
