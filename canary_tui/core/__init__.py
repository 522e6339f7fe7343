"""Pure domain: plans, thresholds, samples, history, gates and statistics. No I/O."""
