"""The local runtime (`make dev`): every route group's real handler behind the real authorizer,
on embedded AWS emulation. Never deployed."""
