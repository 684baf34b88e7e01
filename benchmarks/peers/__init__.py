"""Peers the benchmarks compare the project against (BG/NBD, item-kNN); no model or production code imports them."""
