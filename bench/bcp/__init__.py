"""`make bench-bcp`: the BCP planner on 12,000- and 120,000-service simulated estates."""
