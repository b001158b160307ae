"""Every method's training step in PyTorch eager, the same as bench/RepLab.Bench/MethodSteps.cs
times through each plugin: {name: (default batch, make(batch) -> step() -> loss)}."""
from method_steps_generative import STEPS as GENERATIVE
from method_steps_selfsup import STEPS as SELF_SUPERVISED

STEPS = {**GENERATIVE, **SELF_SUPERVISED}
