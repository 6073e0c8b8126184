"""The single DynamoDB table: base item, keys, indexes, pagination and transactions.

See docs/data-model.md for the entity chart and the access-pattern table.
"""
