"""BG/NBD (Fader, Hardie and Lee 2005): the classic buy-till-you-die peer for benchmarks.

fit() maximises the model's log-likelihood over (frequency, recency, T) per
customer: repeat purchases, time from first to last purchase, and time from
first purchase to the end of the calibration period, in any one time unit.
expected_purchases() is E[X(t) | x, t_x, T], the conditional expectation of
purchases in the next t units.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize
from scipy.special import gammaln, hyp2f1


@dataclass(frozen=True)
class BGNBD:
    r: float
    alpha: float
    a: float
    b: float

    def expected_purchases(self, t: float, x: np.ndarray, t_x: np.ndarray, big_t: np.ndarray) -> np.ndarray:
        r, alpha, a, b = self.r, self.alpha, self.a, self.b
        x, t_x, big_t = (np.asarray(v, dtype=float) for v in (x, t_x, big_t))
        first = (a + b + x - 1) / (a - 1)
        hyp = hyp2f1(r + x, b + x, a + b + x - 1, t / (alpha + big_t + t))
        second = 1 - ((alpha + big_t) / (alpha + big_t + t)) ** (r + x) * hyp
        denominator = 1 + (x > 0) * a / np.maximum(b + x - 1, 1e-12) * ((alpha + big_t) / (alpha + t_x)) ** (r + x)
        return first * second / denominator


def log_likelihood(params: np.ndarray, x: np.ndarray, t_x: np.ndarray, big_t: np.ndarray) -> float:
    r, alpha, a, b = params
    a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    a2 = gammaln(a + b) + gammaln(b + x) - gammaln(b) - gammaln(a + b + x)
    a3 = -(r + x) * np.log(alpha + big_t)
    with np.errstate(divide="ignore", invalid="ignore"):
        a4 = np.where(x > 0, np.log(a) - np.log(np.maximum(b + x - 1, 1e-12)) - (r + x) * np.log(alpha + t_x), -np.inf)
    return float(np.sum(a1 + a2 + np.logaddexp(a3, a4)))


def fit(x: np.ndarray, t_x: np.ndarray, big_t: np.ndarray) -> BGNBD:
    """Maximum likelihood over log-parameters (so they stay positive)."""
    x, t_x, big_t = (np.asarray(v, dtype=float) for v in (x, t_x, big_t))

    def loss(log_params: np.ndarray) -> float:
        return -log_likelihood(np.exp(log_params), x, t_x, big_t) / len(x)

    result = minimize(loss, x0=np.log([1.0, 1.0, 1.0, 1.0]), method="Nelder-Mead",
                      options={"maxiter": 5000, "xatol": 1e-6, "fatol": 1e-10})  # fmt: skip
    return BGNBD(*np.exp(result.x))
