"""Bus consumers (EventBridge → SQS → Lambda): see functions/consumers.py."""
