"""Reports of a business date, from the database: report.html (inline CSS and SVG), CSV
files, summary.json, uploaded to S3 under reports/<date>/.

`gather` reads the end-of-day tables into plain values (`model`), `csv_files` streams the
detail rows, `summary` and `html` render, `write` puts it together, `upload` ships it.
"""

from settlement.reports.gather import ReportError
from settlement.reports.upload import upload_reports
from settlement.reports.write import WrittenReports, write_reports

__all__ = ["ReportError", "WrittenReports", "upload_reports", "write_reports"]
