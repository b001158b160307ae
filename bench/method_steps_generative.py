"""The generative and reconstruction methods' steps (see method_steps.py)."""
STEPS = {}
