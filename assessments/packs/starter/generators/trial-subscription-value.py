"""Expected value with a geometric lifetime: the value of one free-trial start for a premium
creator plan. A trial converts with probability p; a subscriber pays r at the start of every
month (the first month included) and, after each payment, cancels with probability c. Each trial
costs s to serve. Answer: expected net revenue per trial started = p * r / c - s."""


def generate(rng):
    p = round(float(rng.uniform(0.12, 0.40)), 2)
    r = float(rng.choice([4.99, 5.99, 7.99, 9.99, 12.99, 14.99]))
    c = round(float(rng.uniform(0.06, 0.25)), 2)
    s = round(float(rng.uniform(1.0, 4.0)), 2)
    months = 1 / c
    value = p * r / c - s
    return {
        "params": {
            "p_pct": f"{100 * p:.0f}", "p": f"{p:.2f}", "r": f"{r:.2f}", "c_pct": f"{100 * c:.0f}",
            "c": f"{c:.2f}", "s": f"{s:.2f}", "months": f"{months:.3f}",
            "ltv": f"{r / c:.2f}", "gross": f"{p * r / c:.2f}", "value": f"{value:.2f}",
            "renewals_value": f"{p * r * (1 - c) / c - s:.2f}",
        },
        "answer": value,
    }
