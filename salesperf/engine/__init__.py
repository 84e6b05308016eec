"""The numbers: rows -> actuals cube (metrics, aggregate) -> targets -> pacing -> attainment."""
