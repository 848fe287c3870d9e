"""Email addresses in the one spelling accounts store, and every spelling an older account may
have."""

from email_validator import EmailNotValidError, ValidatedEmail, validate_email


def _validated_email(address: str) -> ValidatedEmail | None:
    try:
        return validate_email(address.strip(), check_deliverability=False)
    except EmailNotValidError:
        return None


def normalize_email(address: str) -> str:
    """The one spelling of an email address that accounts store and look-ups compare.

    Lower-case and normalised by email-validator, with the domain in its ASCII (``xn--``) form
    whether it was typed so or in Unicode: every mail server accepts that spelling. A Unicode
    local part keeps the Unicode form; text that is not an address is only trimmed.
    """
    valid = _validated_email(address)
    if valid is None:
        return address.strip().lower()
    return (valid.ascii_email or valid.normalized).lower()


def email_spellings(address: str) -> set[str]:
    """Every spelling an account with ``address`` may have in the database: the normal one, and
    for accounts made before addresses were normalised, the Unicode form and the address as
    typed (lower-cased)."""
    typed = address.strip().lower()
    valid = _validated_email(address)
    if valid is None:
        return {typed}
    return {typed, (valid.ascii_email or valid.normalized).lower(), valid.normalized.lower()}
