"""What a run shows: its summary, figures, HTML report and live view, and the bench table."""
