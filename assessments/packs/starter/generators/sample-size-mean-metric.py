"""Sample size per arm for a difference in means (two-sided z approximation, equal arms):
n = 2 * (z_{1-alpha/2} + z_{power})^2 * sigma^2 / delta^2, rounded up. alpha and power vary too."""
import math

from scipy import stats


def generate(rng):
    sigma = round(float(rng.uniform(2.5, 6.0)), 1)  # sd of saves per user per week
    mean = round(float(sigma * rng.uniform(0.55, 0.8)), 1)
    rel = float(rng.choice([0.02, 0.025, 0.03, 0.04, 0.05]))
    delta = mean * rel
    alpha = float(rng.choice([0.05, 0.05, 0.01, 0.10]))
    power = float(rng.choice([0.8, 0.8, 0.9]))
    z_a = float(stats.norm.ppf(1 - alpha / 2))
    z_b = float(stats.norm.ppf(power))
    n_exact = 2 * (z_a + z_b) ** 2 * sigma ** 2 / delta ** 2
    n = math.ceil(n_exact)
    return {
        "params": {
            "sigma": f"{sigma:g}", "mean": f"{mean:g}", "rel_pct": f"{100 * rel:g}", "delta": f"{delta:.4g}",
            "alpha": f"{alpha:g}", "power_pct": f"{100 * power:.0f}", "z_a": f"{z_a:.4f}", "z_b": f"{z_b:.4f}",
            "z_sum_sq": f"{(z_a + z_b) ** 2:.4f}", "n_exact": f"{n_exact:,.1f}", "n": f"{n:,}",
            "n_total": f"{2 * n:,}", "alpha_half": f"{1 - alpha / 2:g}",
            "n_one_sided": f"{math.ceil(2 * (float(stats.norm.ppf(1 - alpha)) + z_b) ** 2 * sigma ** 2 / delta ** 2):,}",
        },
        "answer": n,
    }
