"""Poisson rate scaling and expectation: user reports on a moderation queue arrive at lambda per
hour; the on-call moderator is paged when a fixed m-minute window has k or more reports.
Answer: the expected number of pages per 24-hour day when nothing unusual happens."""
from scipy import stats


def generate(rng):
    for _ in range(200):
        rate = int(rng.integers(5, 31))  # reports per hour
        window = int(rng.choice([5, 10, 12, 15, 20, 30]))  # minutes; each divides a day
        mu = rate * window / 60
        k = int(round(mu + rng.uniform(2.0, 3.2) * mu ** 0.5))
        k = max(k, 3)
        tail = float(stats.poisson.sf(k - 1, mu))
        if 1e-3 <= tail <= 0.05 and mu != rate:
            break
    else:
        raise RuntimeError("no usable parameters drawn")
    windows = 24 * 60 // window
    answer = windows * tail
    return {
        "params": {
            "rate": rate, "window": window, "k": k, "k_minus_1": k - 1,
            "mu": f"{mu:.4g}", "windows": windows, "cdf_below": f"{1 - tail:.5f}",
            "tail": f"{tail:.4g}", "pages": f"{answer:.3g}", "strict_pages": f"{windows * float(stats.poisson.sf(k, mu)):.3g}",
            "per_week": f"{7 * answer:.1f}",
        },
        "answer": answer,
    }
