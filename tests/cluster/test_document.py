"""Text built to be expensive is refused quickly: the corpus checks the message, this checks the cost."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from provisioner.cluster.document import MAX_VALUES, read_document
from provisioner.cluster.load import load_topology
from provisioner.errors import InputError

BAD = Path(__file__).parent / "bad"
EXPENSIVE = ["billion_laughs", "nested_brackets", "alias_cycle", "alias_nesting", "huge_integer"]


@pytest.mark.parametrize("name", EXPENSIVE)
def test_expensive_text_is_refused_within_a_second_of_processor_time(name: str) -> None:
    started = time.process_time()
    with pytest.raises(InputError) as refused:
        load_topology(BAD / f"{name}.yaml")
    assert time.process_time() - started < 1.0
    assert len(refused.value.problems) == 1


def test_aliases_that_stay_small_are_read_like_written_out_values() -> None:
    # Anchors are a fair way to share settings; only the expansion's size is bounded.
    document = read_document("ssh: &ssh {user: ops, port: 2222}\nhosts:\n  - {ssh: *ssh}\n  - {ssh: *ssh}\n", "f")
    assert document.data["hosts"] == [{"ssh": {"user": "ops", "port": 2222}}] * 2


def test_the_value_bound_counts_every_expanded_value() -> None:
    # A list of 999 scalars is 1,000 values; the outer list, 99 aliases of it and 999 scalars make
    # exactly MAX_VALUES, the most allowed; one scalar more is refused.
    inner = ", ".join(["1"] * 999)
    aliases = ", ".join(["*a"] * 98)
    assert MAX_VALUES == 1 + 99 * 1000 + 999
    largest = f"[&a [{inner}], {aliases}, {inner}]"
    assert len(read_document(largest, "f").data) == 1 + 98 + 999
    with pytest.raises(InputError, match="values once aliases are expanded"):
        read_document(f"[&a [{inner}], {aliases}, {inner}, 1]", "f")
