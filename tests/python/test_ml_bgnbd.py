"""BG/NBD against the published CDNOW figures and a simulation from known parameters."""

import numpy as np
import pytest
from peers.bgnbd import BGNBD, fit, log_likelihood


def simulate(n: int, r: float, alpha: float, a: float, b: float, big_t: float, seed: int):
    rng = np.random.default_rng(seed)
    lam = rng.gamma(r, 1 / alpha, n)
    p = rng.beta(a, b, n)
    x, t_x = np.zeros(n), np.zeros(n)
    for i in range(n):
        t, alive = 0.0, True
        while alive:
            t += rng.exponential(1 / lam[i])
            if t > big_t:
                break
            x[i] += 1
            t_x[i] = t
            alive = rng.random() > p[i]
    return x, t_x, np.full(n, big_t)


def test_fit_recovers_simulated_parameters_roughly_and_predicts_their_mean():
    true = BGNBD(r=0.25, alpha=4.0, a=0.8, b=2.5)
    x, t_x, big_t = simulate(4000, true.r, true.alpha, true.a, true.b, 39.0, seed=1)
    model = fit(x, t_x, big_t)
    assert log_likelihood(np.array([model.r, model.alpha, model.a, model.b]), x, t_x, big_t) >= log_likelihood(
        np.array([true.r, true.alpha, true.a, true.b]), x, t_x, big_t
    )
    assert model.r == pytest.approx(true.r, rel=0.3)
    # conditional expectations from the fitted and the true parameters agree on average
    fitted = model.expected_purchases(39.0, x, t_x, big_t).mean()
    assert fitted == pytest.approx(true.expected_purchases(39.0, x, t_x, big_t).mean(), rel=0.15)


def test_expectation_is_monotone_in_recency_and_zero_horizon_gives_zero():
    model = BGNBD(r=0.24, alpha=4.41, a=0.79, b=2.43)  # Fader, Hardie and Lee's CDNOW estimates
    x = np.array([2.0, 2.0])
    recent = model.expected_purchases(39.0, x, np.array([30.0, 10.0]), np.array([38.86, 38.86]))
    assert recent[0] > recent[1]
    assert model.expected_purchases(0.0, x, np.array([30.0, 10.0]), np.array([38.86, 38.86])) == pytest.approx(0.0)
