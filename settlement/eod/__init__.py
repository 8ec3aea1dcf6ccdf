"""The end-of-day run of one business date: claim it, run the domain's rules through an
`EodStore` in one transaction, check the books, commit, write the payout file (`run`).
Reporting on a completed run is `settlement.reports`' job, not this package's."""
