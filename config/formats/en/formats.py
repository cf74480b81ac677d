"""English: dates with the day first and the month as a word, as the set-based notices write
them in SQL (notifications.audiences.DATE_FORMATS: 15 January 2026), so a date reads the same
in every notice and page; the short date 2 Mar 2027, where Django's 03/02/2027 reads as
3 February to half its readers."""

DATE_FORMAT = "j F Y"
DATETIME_FORMAT = "j F Y, P"
SHORT_DATE_FORMAT = "j M Y"
SHORT_DATETIME_FORMAT = "j M Y P"
