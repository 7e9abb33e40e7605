"""Training: device choice, seeding, model building and the alternating D/G loop."""
