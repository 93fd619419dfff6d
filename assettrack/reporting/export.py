"""The figures as files for the funder: CSV (a zip of one file per table) or XLSX.

Made by a background job: a year of events is more than a request should wait
for. Both formats are written from the same tables, so they hold the same
numbers as the JSON.
"""

import csv
import io
import zipfile
from datetime import date

from openpyxl import Workbook

from assettrack import jobs
from assettrack.models import BackgroundJob
from assettrack.models import User
from assettrack.reporting.figures import STATES
from assettrack.reporting.figures import WORKSHOP
from assettrack.reporting.figures import Figures
from assettrack.reporting.figures import figures
from assettrack.reporting.period import Period

JOB = "figures_export"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ZIP = "application/zip"

Table = tuple[str, list[str], list[list]]


def request_export(data: dict, user: User) -> BackgroundJob:
    params = {
        "from": data["from_"].isoformat(),
        "to": data["to"].isoformat(),
        "format": data["format"],
    }
    return jobs.submit(JOB, params, user, total=len(_TABLES) + 1)


def tables(found: Figures) -> list[Table]:
    """The figures as named tables of plain values, in the order they are read."""
    return [table(found) for table in _TABLES]


def _summary(found: Figures) -> Table:
    period, wait = found.period, found.intake_to_ready
    rows = [
        ["period_from", "", found.period.start.isoformat()],
        ["period_to", "", period.end.isoformat()],
        ["timezone", "", period.timezone],
    ]
    rows += [[row["what"], row["times"], row["devices"]] for row in found.totals]
    rows += [
        ["intake_to_ready_devices", "", wait["devices"]],
        ["intake_to_ready_average_days", "", _blank(wait["average_days"])],
        ["intake_to_ready_median_days", "", _blank(wait["median_days"])],
    ]
    return "summary", ["figure", "times", "devices"], rows


def _batches(found: Figures) -> Table:
    header = ["donation", "donor", "received_on", "received", *STATES]
    rows = [
        [
            _blank(row["donation"]),
            row["donor"],
            _blank(row["received_on"]),
            row["received"],
            *(row["states"][state] for state in STATES),
        ]
        for row in found.donations
    ]
    return "batches", header, rows


def _partners(found: Figures) -> Table:
    header = ["organisation", "name", "kind", *WORKSHOP]
    rows = [
        [row["organisation"], row["name"], row["kind"], *(row[w] for w in WORKSHOP)]
        for row in found.repair_partners
    ]
    return "repair_partners", header, rows


def _reasons(found: Figures) -> Table:
    rows = [
        [row["organisation"], row["name"], reason["reason"], reason["count"]]
        for row in found.repair_partners
        for reason in row["failure_reasons"]
    ]
    return "failure_reasons", ["organisation", "name", "reason", "count"], rows


def _lending(found: Figures) -> Table:
    header = ["target_group", "municipality", "lent", "returned", "lost"]
    rows = [[row[key] for key in header] for row in found.lending]
    return "lending", header, rows


_STAYS = (
    "state",
    "stays",
    "median_days",
    "mean_days",
    "p90_days",
    "open",
    "open_median_days",
)


def _time_in_state(found: Figures) -> Table:
    rows = [[_blank(row[key]) for key in _STAYS] for row in found.time_in_state]
    return "time_in_state", list(_STAYS), rows


_TABLES = (_summary, _batches, _partners, _reasons, _lending, _time_in_state)


def _blank(value):
    if value is None:
        return ""
    return value.isoformat() if isinstance(value, date) else value


def as_csv(named: list[Table]) -> bytes:
    """One CSV file per table, zipped: a spreadsheet opens each as it is."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, header, rows in named:
            text = io.StringIO(newline="")
            writer = csv.writer(text)
            writer.writerow(header)
            writer.writerows(rows)
            archive.writestr(f"{name}.csv", text.getvalue().encode("utf-8-sig"))
    return out.getvalue()


def as_xlsx(named: list[Table]) -> bytes:
    """One sheet per table, in a workbook written as it goes (constant memory)."""
    workbook = Workbook(write_only=True)
    for name, header, rows in named:
        sheet = workbook.create_sheet(name)
        sheet.append(header)
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def run_job(params: dict, progress) -> tuple[bytes, str]:
    period = Period(
        date.fromisoformat(params["from"]), date.fromisoformat(params["to"])
    )
    total = len(_TABLES) + 1
    found = figures(period)
    progress(1, total)
    named = []
    for done, table in enumerate(_TABLES, start=2):
        named.append(table(found))
        progress(done, total)
    if params["format"] == "xlsx":
        return as_xlsx(named), XLSX
    return as_csv(named), ZIP


jobs.KINDS[JOB] = run_job
