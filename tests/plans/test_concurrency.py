import threading

import pytest
from django.db import connection

from accounts.history import change_list_for_target
from plans.errors import VersionConflict
from plans.models import Strategy
from plans.services import plan_item_update

EDITORS = 10


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_ten_editors_saving_at_once_give_exactly_one_winner(
    postgres, transactional_db, rep, strategy
):
    # given
    barrier = threading.Barrier(EDITORS)
    results: dict[int, str] = {}

    def edit(number: int) -> None:
        try:
            # Each thread loads the item on its own connection, at version 1.
            item = Strategy.objects.get(pk=strategy.pk)
            barrier.wait(timeout=30)
            plan_item_update(
                user=rep,
                item=item,
                version=1,
                values={"title": f"Title from editor {number}"},
            )
            results[number] = "won"
        except VersionConflict:
            results[number] = "conflict"
        finally:
            connection.close()

    # when
    threads = [threading.Thread(target=edit, args=(n,)) for n in range(EDITORS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    # then
    winners = [number for number, result in results.items() if result == "won"]
    assert len(results) == EDITORS
    assert len(winners) == 1
    assert list(results.values()).count("conflict") == EDITORS - 1
    stored = Strategy.objects.get(pk=strategy.pk)
    assert stored.title == f"Title from editor {winners[0]}"
    assert stored.version == 2
    updates = change_list_for_target(target=stored).filter(action="update")
    assert [(r.field, r.new_value) for r in updates] == [
        ("title", f"Title from editor {winners[0]}")
    ]
