"""Two experiments report their results in different forms (an estimate with its standard error;
an estimate with a 95% confidence interval) and the team's significance level varies. Which are
significant at alpha, two-sided? Options (fixed order): 0 only A, 1 only B, 2 both, 3 neither.

Every |z|, as computed from the rounded numbers shown, is at least 0.12 from the critical value,
so no variant hinges on rounding, and for
alpha != 0.05 the scenarios include ones where "the 95% CI excludes 0" gives the wrong verdict."""
from scipy import stats

Z95 = float(stats.norm.ppf(0.975))


def _z_away_from(rng, crit, significant):
    if significant:
        return float(rng.uniform(crit + 0.15, crit + 1.2))
    return float(rng.uniform(max(0.3, crit - 1.2), crit - 0.15))


def generate(rng):
    alpha = float(rng.choice([0.01, 0.05, 0.10]))
    crit = float(stats.norm.ppf(1 - alpha / 2))
    answer = int(rng.integers(0, 4))
    a_sig, b_sig = {0: (True, False), 1: (False, True), 2: (True, True), 3: (False, False)}[answer]
    for _ in range(200):
        # A: the difference in save rate (percentage points) and its standard error
        se_a = round(float(rng.uniform(0.08, 0.30)), 2)
        z_a = _z_away_from(rng, crit, a_sig)
        est_a = round(z_a * se_a * float(rng.choice([1, 1, -1])), 2)
        # B: the difference in saves per user and its 95% confidence interval
        se_b = float(rng.uniform(0.02, 0.08))
        z_b = _z_away_from(rng, crit, b_sig)
        if alpha != 0.05 and rng.random() < 0.6:
            # the tempting shortcut (is 0 outside the 95% CI?) disagrees with the right verdict
            z_b = float(rng.uniform(Z95 + 0.15, crit - 0.15)) if alpha == 0.01 else \
                float(rng.uniform(crit + 0.15, Z95 - 0.15))
            if (z_b > crit) != b_sig:
                continue
        est_b = round(z_b * se_b, 3)
        lo_b, hi_b = round(est_b - Z95 * se_b, 3), round(est_b + Z95 * se_b, 3)
        # what a candidate computes from the numbers as shown
        za_shown = abs(est_a) / se_a
        se_b_shown = (hi_b - lo_b) / (2 * Z95)
        zb_shown = abs(est_b) / se_b_shown
        if (za_shown > crit) == a_sig and (zb_shown > crit) == b_sig \
                and abs(za_shown - crit) >= 0.12 and abs(zb_shown - crit) >= 0.12 \
                and min(abs(lo_b), abs(hi_b)) >= 0.004:
            break
    else:
        raise RuntimeError("no usable parameters drawn")

    verdict = {True: "significant", False: "not significant"}
    return {
        "params": {
            "alpha": f"{alpha:g}", "crit": f"{crit:.3f}", "conf_pct": f"{100 * (1 - alpha):g}",
            "est_a": f"{est_a:+.2f}", "se_a": f"{se_a:.2f}", "z_a": f"{za_shown:.2f}",
            "est_b": f"{est_b:+.3f}", "lo_b": f"{lo_b:.3f}", "hi_b": f"{hi_b:.3f}",
            "se_b": f"{se_b_shown:.4f}", "width_b": f"{hi_b - lo_b:.3f}", "z_b": f"{zb_shown:.2f}",
            "verdict_a": verdict[za_shown > crit], "verdict_b": verdict[zb_shown > crit],
            "b_ci_excludes_zero": "excludes" if lo_b > 0 or hi_b < 0 else "includes",
        },
        "correct": [answer],
    }
