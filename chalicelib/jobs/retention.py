"""The retention job (issue 19, part RETENTION): per program with a `retention` setting, erase (through
usecases/erasure.erase) the members inactive for the months it says, and delete message records older
than the months it says, reading only what is due (day-keyed index queries from a cursor, never a scan)."""
