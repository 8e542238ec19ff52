# This file is part of sale_chain.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""One exception class per rule family, so that a caller (or a scenario)
knows which rule refused: the message says why."""
from trytond.exceptions import UserError, UserWarning
from trytond.model.exceptions import AccessError, ValidationError


class HistoryLocked(AccessError):
    "A stored record of what happened: nobody may change or delete it"


class ControlBlocked(UserError):
    "The order control refuses to confirm a sale"


class ControlOutdated(UserError):
    "The control acted upon no longer matches the sale"


class ControlError(UserError):
    "An action of the order control which cannot be done on the sale"


class ControlOverrideError(AccessError):
    "An override without the right group or without its reason"


class ControlWarning(UserWarning):
    "The order control found warnings to acknowledge before confirming"


class SolvencyError(ValidationError):
    "An invalid solvency assessment"


class ReminderError(UserError):
    "A reminder which cannot be sent"


class ReceptionError(ValidationError):
    "Order reception data which cannot be true"


class AcknowledgmentError(UserError):
    "An order acknowledgment asked for a sale which is no order"


class ReferenceWarning(UserWarning):
    "A customer purchase order reference already used"


class MentionMissing(ValidationError):
    "A French invoice lacks a mandatory mention"


class CreditNoteError(UserError):
    pass


class InvoiceIntegrityError(UserError):
    pass


class UninvoicedSaleError(UserError):
    pass


class RetentionError(HistoryLocked):
    "An issued invoice, kept unchanged for ten years"


class InvoiceCopyError(UserError):
    "An invoice copy which cannot be delivered as such"


class CustomerConditionError(ValidationError):
    "Customer conditions which break a rule"


class OtherCompanyError(AccessError):
    "A record of another company than the user's"


class WorkflowError(AccessError):
    "A field only the workflow sets, or read-only in the record's state"


class PriceError(ValidationError):
    "A price or a discount which cannot be true"


class PreparationDateError(AccessError):
    "The preparation date of a delivery note already done"


class FollowUpPrintError(UserError):
    "A printed follow-up of more rows than a server should lay out"


class EinvoiceInvalid(ValidationError):
    "The electronic invoice (CII) breaks the EN 16931 or French rules"


class EinvoiceWarning(UserWarning):
    "The electronic invoice breaks the rules, before the obligation date"


class RegistryError(UserError):
    "A look-up of the public registries which cannot be made"


class PlatformError(UserError):
    "The e-invoicing platform cannot be reached or refuses the account"


class WebhookError(UserError):
    "A subscription to the notifications of the platform not made"


class EinvoiceSendError(UserError):
    "An electronic invoice which cannot be sent, or a status kept as is"


class DirectoryError(UserError):
    "A look-up of the Directory Service which cannot be made"


class DirectoryReadonly(AccessError):
    "The answer of the Directory Service, which only the look-up writes"


class DirectoryWarning(UserWarning):
    "A business customer the Directory Service does not know"
