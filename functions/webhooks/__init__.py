"""Third-party webhooks, each a Lambda function URL (no API Gateway, no authorizer: the
function verifies the provider's signature itself)."""
