"""How long logic.js takes to check a 300-question form in node: ``python -m tests.client.bench_logic``.

A measurement, not a test (tests assert behaviour): it prints the time to compile the form's logic
once and the mean time of one full check, the work the page does after each input.
"""

from __future__ import annotations

import msgspec

import forms
from tests.client import generate, nodejs


def main() -> None:
    """Print the compile time and the mean check time on `generate.big_form`."""
    compiled = forms.compile_form(generate.big_form())
    result = nodejs.run(
        {
            "mode": "bench",
            "logic": compiled.logic_json(),
            "definition": msgspec.to_builtins(compiled.form),
            "today": "2024-03-15",
            "answers": generate.big_answers(1),
            "rounds": 500,
        }
    )
    print(
        f"{len(compiled.slots)} questions: compile {result['compile_ms']:.2f} ms, check {result['check_ms']:.3f} ms"
    )


if __name__ == "__main__":
    main()
