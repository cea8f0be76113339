"""Welch's t statistic from summary statistics of a two-arm test on revenue per buyer (a skewed
metric with a smaller, more variable treatment arm). Answer: t for treatment - control. The
pooled-variance t is redrawn until it differs from Welch's by at least 0.15."""
import math


def generate(rng):
    for _ in range(200):
        n_c = int(rng.integers(18, 45)) * 50  # 900 .. 2,200 buyers
        n_t = int(rng.integers(6, 16)) * 50  # 300 .. 750 buyers
        mean_c = round(float(rng.uniform(28, 45)), 2)
        sd_c = round(float(mean_c * rng.uniform(0.9, 1.3)), 2)
        sd_t = round(float(sd_c * rng.uniform(1.3, 1.8)), 2)
        se = math.sqrt(sd_c ** 2 / n_c + sd_t ** 2 / n_t)
        mean_t = round(mean_c + float(rng.uniform(0.8, 3.0)) * se * float(rng.choice([1, 1, 1, -1])), 2)
        diff = mean_t - mean_c
        t = diff / se
        sp2 = ((n_c - 1) * sd_c ** 2 + (n_t - 1) * sd_t ** 2) / (n_c + n_t - 2)
        t_pooled = diff / math.sqrt(sp2 * (1 / n_c + 1 / n_t))
        if abs(t_pooled - t) >= 0.15:
            break
    else:
        raise RuntimeError("no usable parameters drawn")
    return {
        "params": {
            "n_c": f"{n_c:,}", "n_t": f"{n_t:,}", "mean_c": f"{mean_c:.2f}", "mean_t": f"{mean_t:.2f}",
            "sd_c": f"{sd_c:.2f}", "sd_t": f"{sd_t:.2f}", "diff": f"{diff:.2f}",
            "var_c": f"{sd_c ** 2 / n_c:.5f}", "var_t": f"{sd_t ** 2 / n_t:.5f}", "se": f"{se:.5f}",
            "t": f"{t:.3f}", "t_pooled": f"{t_pooled:.3f}",
        },
        "answer": t,
    }
