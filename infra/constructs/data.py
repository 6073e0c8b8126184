"""Data: the single DynamoDB table (built from the model's own definition) and the files bucket."""

from __future__ import annotations

from typing import Any

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_s3 as s3
from constructs import Construct
from lectern.data.base import table_schema

from infra.nag import acknowledge

_ATTRIBUTE_TYPES = {
    "S": dynamodb.AttributeType.STRING,
    "N": dynamodb.AttributeType.NUMBER,
    "B": dynamodb.AttributeType.BINARY,
}
_PROJECTIONS = {
    "ALL": dynamodb.ProjectionType.ALL,
    "KEYS_ONLY": dynamodb.ProjectionType.KEYS_ONLY,
    "INCLUDE": dynamodb.ProjectionType.INCLUDE,
}

# Object key prefixes with a lifetime (lectern.integrations.storage builds every key).
EXPIRING_PREFIXES = {"exports/": 7, "tmp/": 1}  # days


def _keys(
    key_schema: list[dict[str, str]], types: dict[str, str]
) -> tuple[dynamodb.Attribute, dynamodb.Attribute | None]:
    """(partition key, sort key) of a KeySchema."""
    by_role = {
        element["KeyType"]: dynamodb.Attribute(
            name=element["AttributeName"], type=_ATTRIBUTE_TYPES[types[element["AttributeName"]]]
        )
        for element in key_schema
    }
    return by_role["HASH"], by_role.get("RANGE")


def build_table(scope: Construct, id: str, schema: dict[str, Any]) -> dynamodb.Table:
    types = {a["AttributeName"]: a["AttributeType"] for a in schema["attribute_definitions"]}
    partition_key, sort_key = _keys(schema["key_schema"], types)
    table = dynamodb.Table(
        scope,
        id,
        partition_key=partition_key,
        sort_key=sort_key,
        billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
        point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
            point_in_time_recovery_enabled=True
        ),
        time_to_live_attribute=schema["ttl_attribute"],
        deletion_protection=True,
        removal_policy=RemovalPolicy.RETAIN,
        encryption=dynamodb.TableEncryption.AWS_MANAGED,
    )
    for index in schema["global_secondary_indexes"]:
        projection = index["projection"]
        index_partition, index_sort = _keys(index["key_schema"], types)
        table.add_global_secondary_index(
            index_name=index["index_name"],
            partition_key=index_partition,
            sort_key=index_sort,
            projection_type=_PROJECTIONS[projection["ProjectionType"]],
            non_key_attributes=projection.get("NonKeyAttributes"),
        )
    return table


class Data(Construct):
    """The table every entity lives in, and the private bucket behind every presigned URL."""

    def __init__(self, scope: Construct, id: str, *, stage: str, cors_origins: tuple[str, ...]) -> None:
        super().__init__(scope, id)
        self.schema = table_schema()
        self.table = build_table(self, "Table", self.schema)
        self.index_names = [g["index_name"] for g in self.schema["global_secondary_indexes"]]

        self.access_logs = s3.Bucket(
            self,
            "AccessLogs",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            encryption=s3.BucketEncryption.S3_MANAGED,  # the only encryption S3 server access logging accepts
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            removal_policy=RemovalPolicy.RETAIN,
            lifecycle_rules=[s3.LifecycleRule(id="expire-access-logs", expiration=Duration.days(365))],
        )
        acknowledge(
            self.access_logs,
            "AwsSolutions-S1",
            "This is the server access log bucket of the files bucket; logging it into itself would loop.",
        )

        cors = (
            [
                s3.CorsRule(
                    # presigned POST (browser uploads) and presigned GET fetched by the SPA
                    allowed_methods=[s3.HttpMethods.POST, s3.HttpMethods.GET, s3.HttpMethods.HEAD],
                    allowed_origins=list(cors_origins),
                    allowed_headers=["Content-Type", "Content-Length", "Content-MD5", "x-amz-*"],
                    exposed_headers=["ETag"],
                    max_age=600,
                )
            ]
            if cors_origins
            else None
        )
        self.files = s3.Bucket(
            self,
            "Files",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            encryption=s3.BucketEncryption.S3_MANAGED,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            versioned=True,
            removal_policy=RemovalPolicy.RETAIN,
            cors=cors,
            server_access_logs_bucket=self.access_logs,
            server_access_logs_prefix=f"files-{stage}/",
            lifecycle_rules=[
                *(
                    s3.LifecycleRule(
                        id=f"expire-{prefix.rstrip('/')}",
                        prefix=prefix,
                        expiration=Duration.days(days),
                        noncurrent_version_expiration=Duration.days(1),
                    )
                    for prefix, days in EXPIRING_PREFIXES.items()
                ),
                s3.LifecycleRule(
                    id="housekeeping",
                    abort_incomplete_multipart_upload_after=Duration.days(1),
                    noncurrent_version_expiration=Duration.days(30),
                ),
            ],
        )
