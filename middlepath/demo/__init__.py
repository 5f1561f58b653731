"""The demo clinic: a realistic, synthetic, deterministic clinic for trying and benchmarking."""
