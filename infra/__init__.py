"""The CDK app of Lectern (see docs/decisions/0003-infra.md)."""
