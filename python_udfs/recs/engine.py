"""The recommender: candidates from collaborative filtering, content, rules and the customer's own
purchases, ranked on one scale by a classifier learned from the shop's own recent past.

This module is its public face (Params, Recommender, fit, recommend, evaluate); the work is done by
one module per step:
- python_udfs/recs/model.py: the parameters, the fitted model, the inputs put in one fixed order;
- python_udfs/recs/fitting.py: fit(), EASE, exposure, repeat rates and the ranker's training;
- python_udfs/recs/candidates.py: what scoring derives from a model and today's data, the candidates
  and their features;
- python_udfs/recs/scoring.py: recommend();
- python_udfs/recs/ranking.py: ranking and diversity (the category cap, the trending fill);
- python_udfs/recs/reasons.py: why each product is recommended, in words;
- python_udfs/recs/evaluation.py: evaluate() on a temporal holdout against popularity.

fit() learns what needs the whole history (the EASE weights, how many people
saw each item, which items are bought again and after how long, and the
ranker); recommend() scores customers with a fitted model and today's
interactions, so a score-only job reuses the last fit. evaluate() fits on
everything before a cut-off and measures on the purchases after it.

Candidates per customer:
- discover: the best new products by a hybrid score. Collaborative: EASE
  weights applied to the customer's profile, where a profile is the customer's
  interactions, each weighted by its kind (purchase > cart > click > view),
  decayed with age in days and again with its position among the customer's
  own interactions. EASE is dense (items x items), so it covers the
  ease_max_items products with the most buyers: on a large catalogue those
  carry the signal, and the long tail is reached by content. Content: the
  same profile through a TF-IDF similarity of category, brand, price band and
  name tokens (python_udfs/recs/content.py, sparse neighbourhoods). Hybrid:
  collaborative x (customer confidence x item confidence) + content x the
  rest, where confidence = seen / (seen + k). Rules: seeded boosts (bought a
  main item of category X: its accessories in Y);
- buy again: the products the customer bought before, unless the data says
  such products do not come back (their re-purchase rate among buyers who
  return to the category is below repeat_exclude_rate: films, books);
- trending: the fill when the personal candidates run out, first in the
  customer's preferred category, then overall.

Ranking (python_udfs/recs/ranker.py): a classifier trained at fit time on
candidates generated ranker_label_days before the fit date and labelled with
what was bought after, so "due again" and "new" compete on one probability
scale, learned per shop with no switch per dataset. With too few purchases to
learn from (a new shop), the hybrid score ranks the discoveries and a bought
product comes back only when its repeat rate reaches repeat_min_rate and its
usual gap has passed. Rule boosts are added on top of either score.
Inactive products never appear; at most max_per_category items per category
(products without a category are not capped; relaxed only when the catalogue
cannot fill the list otherwise); every customer gets top_n distinct active
products when the active catalogue has that many.
"""

from __future__ import annotations

from python_udfs.recs.evaluation import evaluate
from python_udfs.recs.fitting import fit
from python_udfs.recs.model import Params, Recommender
from python_udfs.recs.scoring import recommend

__all__ = ["Params", "Recommender", "evaluate", "fit", "recommend"]
