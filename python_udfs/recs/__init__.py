"""Product recommendations: collaborative (EASE), content-based, repeat purchase, rules, trending."""
