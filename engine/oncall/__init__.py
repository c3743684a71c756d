"""On-call schedules: who is on call for a team now, from an iCalendar feed or a rotation in opsbot.yaml."""
