"""Authentication primitives: password hashing, access tokens, the authorizer's decision."""
