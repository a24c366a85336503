"""Reporting-line checks on plain data: loops, and where they are."""

from collections.abc import Mapping


def reporting_chain(
    *, managers: Mapping[int, int | None], person: int, new_manager: int | None
) -> list[int] | None:
    """Return the loop that would form if person reported to new_manager.

    The loop is listed from the person round to the person again, so
    [3, 7, 3] means 3 reports to 7 who reports to 3. None means no loop.
    """
    if new_manager is None:
        return None
    chain = [person]
    current: int | None = new_manager
    seen = {person}
    while current is not None:
        chain.append(current)
        if current == person:
            return chain
        if current in seen:
            # An older loop further up that does not pass through this
            # person; it is not the one being made now.
            return None
        seen.add(current)
        current = managers.get(current)
    return None


def reporting_loops(managers: Mapping[int, int | None]) -> list[list[int]]:
    """Return every loop already in the reporting line, each listed once."""
    loops: list[list[int]] = []
    settled: set[int] = set()
    for start in managers:
        if start in settled:
            continue
        path: list[int] = []
        position: dict[int, int] = {}
        current: int | None = start
        while current is not None and current not in settled:
            if current in position:
                loop = path[position[current] :]
                loops.append([*loop, current])
                break
            position[current] = len(path)
            path.append(current)
            current = managers.get(current)
        settled.update(path)
    return loops
