"""Self-soothing: box breathing (in 4 — hold 4 — out 4 — hold 4) and the 5-4-3-2-1 grounding
exercise. Pure content and pacing; the handler shows it by editing one message in time."""

from __future__ import annotations

from bot import texts

ROUNDS = 4  # four rounds of four 4-second steps: about a minute
STEPS = ROUNDS * len(texts.BREATHE_PHASES)
COUNT = 4  # the "4" of box breathing, said in each step


def frame(step: int) -> str:
    """What the breathing message shows during `step` (0 … STEPS-1)."""
    phase = texts.BREATHE_PHASES[step % len(texts.BREATHE_PHASES)]
    return texts.breathe_frame(phase, COUNT, step // len(texts.BREATHE_PHASES) + 1, ROUNDS)


def ground(step: int) -> str | None:
    """The grounding step (0 … 4), or None past the last."""
    if not 0 <= step < len(texts.GROUND_STEPS):
        return None
    return texts.ground_step(step)
