"""One error hierarchy; the CLI turns every one of these into a line on stderr and exit 2."""

from patchscope.printable import printable

EXIT_CLEAN = 0
EXIT_FINDINGS = 1
EXIT_BAD_INPUT = 2


class PatchscopeError(Exception):
    """Input or usage the command cannot work with; the message is the whole story."""

    exit_code = EXIT_BAD_INPUT

    def __str__(self) -> str:
        """One printable line, whatever a mail put into it (a CR in a path, a LF in a C-quoted
        name, an escape sequence): such characters are written as Python literals."""
        return printable(super().__str__())


class SourceError(PatchscopeError):
    """The SOURCE argument names nothing we can read (path, range, message-id, manifest)."""


class MailError(PatchscopeError):
    """A mail or mbox that cannot be decoded at all."""


class NoPatchError(PatchscopeError):
    """The source holds mail, but none of it carries a patch."""


class LimitError(PatchscopeError):
    """Input larger, deeper or slower than a limit allows (patchscope.limits)."""
