"""records:batch: many writes in one request, all or none by default."""

from __future__ import annotations


def names(served, client) -> set[str]:
    return {r["name"] for r in client.get(served.url("CaseFile"), params={"limit": 1000}).json()["records"]}


def batch(served, client, items, **options):
    return client.post(served.url("CaseFile") + ":batch", json={"items": items, **options})


def test_a_batch_creates_updates_and_deletes_in_order_with_a_result_per_item(served):
    ana = served.client("ana")
    keep, drop = (ana.post(served.url("CaseFile"), json={"name": n}).json() for n in ("Keep", "Drop"))
    response = batch(
        served,
        ana,
        [
            {"op": "create", "values": {"name": "New 1"}},
            {"op": "create", "values": {"name": "New 2", "status": "Waiting"}},
            {"op": "update", "id": keep["id"], "version": 1, "values": {"status": "Closed"}},
            {"op": "delete", "id": drop["id"]},
        ],
    )
    assert response.status_code == 200
    results = response.json()["results"]
    assert [(r["index"], r["status"]) for r in results] == [(0, 201), (1, 201), (2, 200), (3, 204)]
    assert results[2]["record"]["status"] == "Closed" and results[0]["id"].startswith("csf_")
    assert names(served, ana) == {"Keep", "New 1", "New 2"}


def test_all_or_none_rolls_back_everything_on_one_failure_naming_its_index(served):
    ana = served.client("ana")
    keep = ana.post(served.url("CaseFile"), json={"name": "Keep", "code": "K"}).json()
    body = served.problem(
        batch(
            served,
            ana,
            [
                {"op": "create", "values": {"name": "A"}},
                {"op": "update", "id": keep["id"], "values": {"status": "Closed"}},
                {"op": "create", "values": {"name": "B"}},
                {"op": "create", "values": {"name": "C", "code": "K"}},
            ],
        ),
        409,
        "item 3",
        "already exists",
    )
    assert body["errors"][0]["index"] == 3 and body["errors"][0]["field"] == "code"
    assert names(served, ana) == {"Keep"}
    assert ana.get(served.url("CaseFile", keep["id"])).json()["status"] == "Open"
    stale = batch(
        served, ana, [{"op": "update", "id": keep["id"], "version": 7, "values": {"status": "Closed"}}]
    )
    served.problem(stale, 412, "item 0")
    ben_case = served.client("ben").post(served.url("CaseFile"), json={"name": "Ben's"}).json()
    hidden = batch(
        served, ana, [{"op": "create", "values": {"name": "X"}}, {"op": "delete", "id": ben_case["id"]}]
    )
    assert served.problem(hidden, 404, "item 1")["errors"][0]["index"] == 1
    assert names(served, ana) == {"Keep"}


def test_without_all_or_none_each_item_succeeds_or_fails_alone(served):
    ana = served.client("ana")
    response = batch(
        served,
        ana,
        [
            {"op": "create", "values": {"name": "Good"}},
            {"op": "create", "values": {"status": "Open"}},
            {"op": "create", "values": {"name": "Also good"}},
        ],
        all_or_none=False,
    )
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["status"] for r in results] == [201, 422, 201]
    assert results[1]["error"] == {"field": "name", "code": "invalid", "message": "is required", "index": 1}
    assert names(served, ana) == {"Good", "Also good"}


def test_bad_batches_are_refused_before_anything_is_written(served):
    ana = served.client("ana")
    too_many = [{"op": "create", "values": {"name": f"N{i}"}} for i in range(201)]
    served.problem(batch(served, ana, too_many), 422, "at most 200 items")
    served.problem(batch(served, ana, []), 422, "non-empty list")
    served.problem(batch(served, ana, [{"op": "upsert"}]), 422, "item 0", "op must be one of")
    served.problem(
        batch(served, ana, [{"op": "create", "values": {"name": "A"}}, {"op": "delete"}]), 422, "item 1"
    )
    served.problem(batch(served, ana, [{"op": "create", "values": {"name": "A"}}], all_or_none="yes"), 422)
    served.problem(
        batch(served, served.client("ana", scope="read"), [{"op": "create", "values": {"name": "A"}}]), 403
    )
    served.problem(batch(served, ana, [{"op": "create", "values": {"name": "A", "health_notes": "x"}}]), 403)
    assert names(served, ana) == set()
