"""Every SQLModel table module, imported so that SQLModel.metadata (and Alembic) sees it."""

from engine import outbox_tables  # noqa: F401
from engine import leases  # noqa: F401
from engine.audit import tables as audit_tables  # noqa: F401
from engine.approvals import tables as approvals_tables  # noqa: F401
