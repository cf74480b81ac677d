from django.db import models


class DataCategory(models.TextChoices):
    NAME = "name", "Name"
    EMAIL = "email", "Email address"
    PHONE = "phone", "Phone number"
    ADDRESS = "address", "Postal address"
    PAYMENT = "payment", "Payment data"
    NATIONAL_ID = "national_id", "National ID number"
    PASSWORD_HASH = "password_hash", "Password hash"
    ORDER_HISTORY = "order_history", "Order history"
    STORED_VALUE = "stored_value", "Stored-value card or voucher"


class Severity(models.IntegerChoices):
    """A four-step scale, after the ENISA personal-data-breach severity method: the kind of
    data, how easily a person is identified, and the circumstances of the breach."""

    LOW = 1, "1 - Low: inconvenience, easily overcome"
    MEDIUM = 2, "2 - Medium: significant inconvenience, overcome with some difficulty"
    HIGH = 3, "3 - High: significant consequences, overcome with serious difficulty"
    VERY_HIGH = 4, "4 - Very high: significant or irreversible consequences"


class AwardKind(models.TextChoices):
    VOUCHER = "voucher", "Single-use voucher"
    CREDIT = "credit", "Account credit"
    CASH = "cash", "Cash reimbursement"
    REPLACEMENT = "replacement", "Replacement"
    GOODWILL = "goodwill", "Goodwill gesture"


class RedemptionMode(models.TextChoices):
    SINGLE = "single", "Single use, no change (the unused part is forfeited)"
    PARTIAL = "partial", "Partial: keeps the balance left until spent"


class Language(models.TextChoices):
    KO = "ko", "한국어"
    EN = "en", "English"
    ZH = "zh-hans", "中文"


class AccountStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    DORMANT = "dormant", "Dormant"
    CLOSED = "closed", "Closed"
