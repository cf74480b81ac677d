"""English: a short date with the month as a word (2 Mar 2027), as the notices write dates
(2 March 2027), where Django's 03/02/2027 reads as 3 February to half its readers."""

SHORT_DATE_FORMAT = "j M Y"
SHORT_DATETIME_FORMAT = "j M Y P"
