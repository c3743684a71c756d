"""Lab: simulators, evaluators, benchmark helpers and demo data; never imported by the product path."""

# How long a demo seed waits for the message it caused. The outbox paces posts at Slack's one per
# second per channel behind every other seed's messages, and `make demo` may start on a busy
# laptop: a seed that gives up early leaves a hole in the shop window.
SEED_WAIT_S = 90
