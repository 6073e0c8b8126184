"""One construct per concern: data, secrets, events, layer, functions, api, monitoring."""
