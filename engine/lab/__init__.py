"""Lab: simulators, evaluators, benchmark helpers and demo data; never imported by the product path."""
