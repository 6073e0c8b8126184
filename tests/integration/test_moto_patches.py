"""The emulator's moto patches (`local.emulator.speed_up_moto`), each tested differentially
against moto's own implementation:

* `query_one_partition` narrows Query candidates (the partition for a table query, every item
  unsorted for an index query) — same items, same order, same pages;
* `_snapshot_only_touched_items` restores only the items a cancelled transaction names instead
  of a copy of the whole table — same table afterwards, same errors."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.dynamodb.models.table import Table

from local.emulator import query_one_partition

QUERIES: list[dict[str, Any]] = [
    {"KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "P#1"}}},
    {"KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "P#missing"}}},
    {
        "KeyConditionExpression": "pk = :p AND begins_with(sk, :s)",
        "ExpressionAttributeValues": {":p": {"S": "P#2"}, ":s": {"S": "B#"}},
    },
    {
        "KeyConditionExpression": "pk = :p AND sk BETWEEN :a AND :b",
        "ExpressionAttributeValues": {":p": {"S": "P#0"}, ":a": {"S": "A#03"}, ":b": {"S": "B#05"}},
        "ScanIndexForward": False,
    },
    {
        "KeyConditionExpression": "pk = :p",
        "ExpressionAttributeValues": {":p": {"S": "P#1"}, ":n": {"N": "4"}},
        "FilterExpression": "n > :n",
        "Limit": 3,
    },
    {
        "IndexName": "gsi1",
        "KeyConditionExpression": "gpk = :g",
        "ExpressionAttributeValues": {":g": {"S": "G#even"}},
        "Limit": 4,
    },
    {
        "IndexName": "gsi1",
        "KeyConditionExpression": "gpk = :g AND gsk < :s",
        "ExpressionAttributeValues": {":g": {"S": "G#odd"}, ":s": {"S": "07"}},
        "ScanIndexForward": False,
        "Limit": 2,
    },
    {
        "IndexName": "gsi1",
        "KeyConditionExpression": "gpk = :g",
        "ExpressionAttributeValues": {":g": {"S": "G#odd"}},
        "Select": "COUNT",
    },
]


def _all_pages(client: Any, query: dict[str, Any]) -> list[dict[str, Any]]:
    pages, start = [], None
    while True:
        args = {"TableName": "t", **query, **({"ExclusiveStartKey": start} if start else {})}
        page = client.query(**args)
        pages.append({k: page.get(k) for k in ("Items", "Count", "ScannedCount", "LastEvaluatedKey")})
        start = page.get("LastEvaluatedKey")
        if not start:
            return pages


@pytest.fixture
def table_client() -> Any:
    with mock_aws():
        yield _table()


def _table() -> Any:
    if True:
        client = boto3.client("dynamodb", region_name="eu-west-1")
        client.create_table(
            TableName="t",
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[
                {"AttributeName": n, "AttributeType": "S"} for n in ("pk", "sk", "gpk", "gsk")
            ],
            KeySchema=[
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            GlobalSecondaryIndexes=[
                {
                    "IndexName": "gsi1",
                    "KeySchema": [
                        {"AttributeName": "gpk", "KeyType": "HASH"},
                        {"AttributeName": "gsk", "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "ALL"},
                }
            ],
        )
        # inserted out of order, several partitions, some items outside the index
        for i in reversed(range(30)):
            item = {"pk": {"S": f"P#{i % 3}"}, "sk": {"S": f"{'AB'[i % 2]}#{i:02d}"}, "n": {"N": str(i % 7)}}
            if i % 5:
                item |= {"gpk": {"S": "G#even" if i % 2 == 0 else "G#odd"}, "gsk": {"S": f"{i % 10:02d}"}}
            client.put_item(TableName="t", Item=item)
        return client


def test_narrowed_queries_answer_exactly_what_moto_answers(table_client, monkeypatch):
    query_one_partition()
    narrowed = [_all_pages(table_client, q) for q in QUERIES]
    original_query, original_all_items = Table.query._lectern_originals
    monkeypatch.setattr(Table, "query", original_query)
    monkeypatch.setattr(Table, "all_items", original_all_items)
    assert narrowed == [_all_pages(table_client, q) for q in QUERIES]
    assert sum(p["Count"] for p in narrowed[0]) == 10  # the test reads real data


def test_a_scan_still_sees_the_whole_table(table_client):
    query_one_partition()
    assert table_client.scan(TableName="t")["Count"] == 30


def _k(pk: str, sk: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


TRANSACTIONS: list[list[dict[str, Any]]] = [
    # succeeds: a new item, an update, a delete
    [
        {"Put": {"TableName": "t", "Item": {**_k("P#9", "NEW"), "n": {"N": "1"}}}},
        {
            "Update": {
                "TableName": "t",
                "Key": _k("P#1", "B#01"),
                "UpdateExpression": "SET n = n + :one",
                "ExpressionAttributeValues": {":one": {"N": "1"}},
            }
        },
        {"Delete": {"TableName": "t", "Key": _k("P#0", "A#00")}},
    ],
    # cancelled by its last condition: the new item, the update and the delete are undone
    [
        {"Put": {"TableName": "t", "Item": {**_k("P#8", "NEW"), "n": {"N": "1"}}}},
        {
            "Update": {
                "TableName": "t",
                "Key": _k("P#2", "A#02"),
                "UpdateExpression": "SET n = :z REMOVE gpk",
                "ExpressionAttributeValues": {":z": {"N": "0"}},
            }
        },
        {"Delete": {"TableName": "t", "Key": _k("P#0", "B#03")}},
        {
            "ConditionCheck": {
                "TableName": "t",
                "Key": _k("P#1", "A#04"),
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        },
    ],
    # cancelled: a put over an existing item guarded by attribute_not_exists, after an update
    [
        {
            "Update": {
                "TableName": "t",
                "Key": _k("P#0", "A#06"),
                "UpdateExpression": "SET extra = :x",
                "ExpressionAttributeValues": {":x": {"S": "x"}},
            }
        },
        {
            "Put": {
                "TableName": "t",
                "Item": {**_k("P#0", "A#12"), "n": {"N": "99"}},
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        },
    ],
    # rejected: two operations on one item
    [
        {"Put": {"TableName": "t", "Item": {**_k("P#7", "NEW")}}},
        {"Delete": {"TableName": "t", "Key": _k("P#7", "NEW")}},
    ],
]


def _play() -> tuple[list[str], list[dict[str, Any]]]:
    client = _table()
    outcomes = []
    for items in TRANSACTIONS:
        try:
            client.transact_write_items(TransactItems=items)
            outcomes.append("ok")
        except client.exceptions.ClientError as exc:
            reasons = [r.get("Code") for r in exc.response.get("CancellationReasons", [])]
            outcomes.append(f"{exc.response['Error']['Code']} {reasons}")
    rows = client.scan(TableName="t")["Items"]
    return outcomes, sorted(rows, key=lambda r: (r["pk"]["S"], r["sk"]["S"]))


def test_cancelled_transactions_leave_the_table_exactly_as_moto_does(monkeypatch):
    from moto.dynamodb import models

    from local.emulator import speed_up_moto

    speed_up_moto()
    with mock_aws():
        patched = _play()
    monkeypatch.setattr(
        models.DynamoDBBackend,
        "transact_write_items",
        models.DynamoDBBackend.transact_write_items._lectern_original,
    )
    with mock_aws():
        original = _play()
    assert patched == original
    assert patched[0][0] == "ok" and all(o != "ok" for o in patched[0][1:])  # both kinds exercised
