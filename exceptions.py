# This file is part of sale_chain.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.exceptions import UserError, UserWarning
from trytond.model.exceptions import AccessError, ValidationError


class ReferenceWarning(UserWarning):
    pass


class ControlWarning(UserWarning):
    pass


class ControlBlockedError(UserError):
    pass


class MentionMissing(ValidationError):
    "A French invoice lacks a mandatory mention"


# The former name
MentionError = MentionMissing


class CreditNoteError(UserError):
    pass


class InvoiceIntegrityError(UserError):
    pass


class UninvoicedSaleError(UserError):
    pass


class HistoryLocked(AccessError):
    "A stored record of what happened, which nobody may change"


class RetentionError(HistoryLocked):
    "An issued invoice, kept unchanged for ten years"


class InvoiceCopyError(UserError):
    "An invoice copy which cannot be delivered as such"


class CustomerConditionError(ValidationError):
    "Customer conditions which break a rule"


class OtherCompanyError(AccessError):
    "A record of another company than the user's"
