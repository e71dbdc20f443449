"""Generated run names: ``adjective-noun-number``, varied from one run to the next."""

from __future__ import annotations

import re

from shipyard.domain.names import generate_run_name

PATTERN = re.compile(r"^([a-z]+)-([a-z]+)-(\d{1,3})$")


def test_generated_run_name_is_adjective_noun_number() -> None:
    for _ in range(200):
        assert PATTERN.match(generate_run_name())


def test_generated_run_name_number_is_between_0_and_999_without_padding() -> None:
    numbers = [PATTERN.match(generate_run_name()).group(3) for _ in range(500)]  # type: ignore[union-attr]

    assert all(0 <= int(n) <= 999 for n in numbers)
    assert all(n == str(int(n)) for n in numbers)


def test_generated_run_names_vary() -> None:
    names = {generate_run_name() for _ in range(50)}

    assert len(names) > 40


def test_generated_run_names_use_many_words_in_each_place() -> None:
    matches = [PATTERN.match(generate_run_name()) for _ in range(500)]
    adjectives = {m.group(1) for m in matches if m}
    nouns = {m.group(2) for m in matches if m}

    assert (len(adjectives) > 20, len(nouns) > 20) == (True, True)
