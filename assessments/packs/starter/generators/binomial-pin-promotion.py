"""Binomial tail: a new pin is shown to n users in a cold-start test and is promoted to wider
distribution if at least k of them save it. Answer: P(X >= k) for X ~ Binomial(n, p)."""
from scipy import stats


def generate(rng):
    for _ in range(200):
        n = int(rng.choice([40, 50, 60, 80, 100, 120, 150, 200]))
        p = round(float(rng.uniform(0.02, 0.08)), 3)
        mean = n * p
        k = int(round(mean + rng.uniform(0.8, 2.0) * (mean * (1 - p)) ** 0.5))
        k = max(k, 3)
        tail = float(stats.binom.sf(k - 1, n, p))  # P(X >= k)
        strict = float(stats.binom.sf(k, n, p))  # P(X > k), the off-by-one slip
        if 0.01 <= tail <= 0.4 and tail - strict > 0.02 * tail:
            break
    else:
        raise RuntimeError("no usable parameters drawn")
    below = float(stats.binom.cdf(k - 1, n, p))
    return {
        "params": {
            "n": n, "p": f"{p:g}", "p_pct": f"{100 * p:g}", "k": k, "k_minus_1": k - 1,
            "mean": f"{mean:.2f}", "cdf_below": f"{below:.5f}", "tail": f"{tail:.4g}",
            "strict": f"{strict:.3g}", "pmf_0": f"{float(stats.binom.pmf(0, n, p)):.5f}",
        },
        "answer": tail,
    }
