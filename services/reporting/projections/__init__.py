"""Read models fed by events (exactly once, via tracking records)."""
