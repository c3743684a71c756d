"""Every SQLModel table module, imported so that SQLModel.metadata (and Alembic) sees it."""

from engine.core import outbox_tables  # noqa: F401 - registers its tables with SQLModel.metadata
from engine.core import leases  # noqa: F401 - registers its tables with SQLModel.metadata
from engine.audit import tables as audit_tables  # noqa: F401 - registers its tables with SQLModel.metadata
from engine.approvals import tables as approvals_tables  # noqa: F401 - registers its tables with SQLModel.metadata
from engine.models import tables as models_tables  # noqa: F401 - registers its tables with SQLModel.metadata
from engine.drift import tables as drift_tables  # noqa: F401 - registers its tables with SQLModel.metadata
from engine.alerts import tables as alerts_tables  # noqa: F401 - registers its tables with SQLModel.metadata
from engine.alerts import correction_tables  # noqa: F401 - registers its tables with SQLModel.metadata
from engine.rca import tables as rca_tables  # noqa: F401 - registers its tables with SQLModel.metadata
from engine.anomaly.watches import tables as anomaly_tables  # noqa: F401 - registers its tables with SQLModel.metadata
from engine.core import replays  # noqa: F401 - registers its tables with SQLModel.metadata
from engine.warroom import tables as warroom_tables  # noqa: F401 - registers its tables with SQLModel.metadata
from engine.home import tables as home_tables  # noqa: F401 - registers its tables with SQLModel.metadata
from engine.auto import tables as auto_tables  # noqa: F401 - registers its tables with SQLModel.metadata
