# This file is part of sale_chain.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.exceptions import UserError, UserWarning


class ReferenceWarning(UserWarning):
    pass


class ControlWarning(UserWarning):
    pass


class ControlBlockedError(UserError):
    pass


class MentionError(UserError):
    pass


class CreditNoteError(UserError):
    pass


class InvoiceIntegrityError(UserError):
    pass


class UninvoicedSaleError(UserError):
    pass
