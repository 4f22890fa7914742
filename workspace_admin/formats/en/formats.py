"""English dates as the dashboard writes them: "1 Dec 2026, 13:05", a 24-hour clock.

Django's own English formats ("Dec. 1, 2026, 1:05 p.m.") read badly in tables of job times.
Simplified Chinese uses Django's own formats ("2026年12月1日 13:05"), so it has no module here.
"""

DATE_FORMAT = "j M Y"
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "j M Y, H:i"
SHORT_DATE_FORMAT = "Y-m-d"
SHORT_DATETIME_FORMAT = "Y-m-d H:i"
MONTH_DAY_FORMAT = "j M"
YEAR_MONTH_FORMAT = "M Y"
