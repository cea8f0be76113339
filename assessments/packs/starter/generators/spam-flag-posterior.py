"""Bayes' rule with a low base rate: P(spam | flagged) for a pin-spam classifier, then after a
second, independent check also flags it. Answer: the posterior after BOTH flags."""


def generate(rng):
    prevalence = float(rng.choice([0.004, 0.005, 0.008, 0.01, 0.015, 0.02, 0.025, 0.03]))
    sensitivity = round(float(rng.uniform(0.85, 0.98)), 2)
    fpr = round(float(rng.uniform(0.02, 0.08)), 3)
    review_sens = round(float(rng.uniform(0.80, 0.95)), 2)
    review_fpr = round(float(rng.uniform(0.05, 0.20)), 2)

    p_flag = prevalence * sensitivity + (1 - prevalence) * fpr
    post1 = prevalence * sensitivity / p_flag
    num2 = post1 * review_sens
    post2 = num2 / (num2 + (1 - post1) * review_fpr)
    prior_odds = prevalence / (1 - prevalence)
    lr1, lr2 = sensitivity / fpr, review_sens / review_fpr
    return {
        "params": {
            "prevalence_pct": f"{100 * prevalence:g}",
            "prevalence": f"{prevalence:g}",
            "not_prevalence": f"{1 - prevalence:g}",
            "sensitivity_pct": f"{100 * sensitivity:.0f}",
            "sensitivity": f"{sensitivity:g}",
            "fpr_pct": f"{100 * fpr:g}",
            "fpr": f"{fpr:g}",
            "review_sens_pct": f"{100 * review_sens:.0f}",
            "review_sens": f"{review_sens:g}",
            "review_fpr_pct": f"{100 * review_fpr:.0f}",
            "review_fpr": f"{review_fpr:g}",
            "p_flag": f"{p_flag:.5f}",
            "post1": f"{post1:.4f}",
            "post2": f"{post2:.3f}",
            "prior_odds": f"{prior_odds:.5f}",
            "lr1": f"{lr1:.2f}", "lr2": f"{lr2:.2f}",
            "post_odds": f"{prior_odds * lr1 * lr2:.4f}",
        },
        "answer": post2,
    }
