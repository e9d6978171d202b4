"""A verify report for people (rich), for CI (JUnit XML) and for programs (JSON)."""

from provisioner.verify.reports.human import print_report
from provisioner.verify.reports.json_report import write_json
from provisioner.verify.reports.junit import write_junit

__all__ = ["print_report", "write_json", "write_junit"]
