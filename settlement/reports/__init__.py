"""Reports of a business date, from the database: report.html (inline CSS and SVG), CSV
files, summary.json, uploaded to S3 under reports/<date>/.

The database is reached only through the report read model, `settlement.adapters.report_reads`
(opened by the entry point): `gather` turns its reads into plain values (`model`), `csv_files`
writes its streamed detail rows, `summary` and `html` render, `write` puts it together,
`upload` ships it.
"""

from settlement.reports.gather import ReportError
from settlement.reports.upload import upload_reports
from settlement.reports.write import WrittenReports, write_reports

__all__ = ["ReportError", "WrittenReports", "upload_reports", "write_reports"]
