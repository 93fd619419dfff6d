"""The data model. Import models from here."""

from assettrack.models.agent import AgentToken
from assettrack.models.agent import EnrollmentCode
from assettrack.models.agent import HealthReport
from assettrack.models.agent import RepairRank
from assettrack.models.audit import AuditEntry
from assettrack.models.certificate import Certificate
from assettrack.models.certificate import CertificateCounter
from assettrack.models.device import Device
from assettrack.models.device import Disk
from assettrack.models.device import Donation
from assettrack.models.device import TagCounter
from assettrack.models.device import TagReservation
from assettrack.models.event import WorkflowEvent
from assettrack.models.job import BackgroundJob
from assettrack.models.loan import Borrower
from assettrack.models.loan import BorrowerIdentity
from assettrack.models.loan import Loan
from assettrack.models.loan import LoanAgreement
from assettrack.models.loan import LoanPolicy
from assettrack.models.loan import Reminder
from assettrack.models.org import ApiToken
from assettrack.models.org import Location
from assettrack.models.org import LocationKind
from assettrack.models.org import Organisation
from assettrack.models.org import OrganisationKind
from assettrack.models.org import Role
from assettrack.models.org import User
from assettrack.models.records import ErasureLog
from assettrack.models.records import ErasureRecord
from assettrack.models.records import QcRecord
from assettrack.models.stocktake import StockTake
from assettrack.models.stocktake import StockTakeScan

__all__ = [
    "AgentToken",
    "AuditEntry",
    "ApiToken",
    "BackgroundJob",
    "Borrower",
    "BorrowerIdentity",
    "Certificate",
    "CertificateCounter",
    "Device",
    "Disk",
    "Donation",
    "EnrollmentCode",
    "ErasureLog",
    "ErasureRecord",
    "HealthReport",
    "Location",
    "LocationKind",
    "Loan",
    "LoanAgreement",
    "LoanPolicy",
    "Organisation",
    "OrganisationKind",
    "QcRecord",
    "Reminder",
    "RepairRank",
    "Role",
    "StockTake",
    "StockTakeScan",
    "TagCounter",
    "TagReservation",
    "User",
    "WorkflowEvent",
]
