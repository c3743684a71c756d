"""Postmortem drafts: what Opsbot knows about an incident, as Markdown people finish by hand."""
