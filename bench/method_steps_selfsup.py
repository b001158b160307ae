"""The contrastive, self-distillation and pretext methods' steps (see method_steps.py)."""
STEPS = {}
