"""What a run leaves behind: its folder, summary and report."""

from eureka.report.run_folder import RunFolder, RunNotFound

__all__ = ["RunFolder", "RunNotFound"]
