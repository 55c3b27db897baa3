"""
C{python -m openocpp.pki FOLDER [--host H]... [--charge-point ID]...
[--cpo-name NAME]}: make test certificates (see L{openocpp.pki}).
"""

import argparse
import sys

from openocpp.pki import DEFAULT_ORGANIZATION, make_ca, make_charge_point, make_server


def main(arguments: list[str] | None = None, out=None, err=None) -> int:
    """
    Make the CA (or reuse it), the server certificate and the charge point
    certificates asked for, and print what was written.

    @param out: where to print what was written (standard output).
    @param err: where to print an error (standard error).
    @return: the exit status.
    """
    out = sys.stdout if out is None else out
    err = sys.stderr if err is None else err
    parser = argparse.ArgumentParser(
        prog="python -m openocpp.pki",
        description="Make a test CA, a central system certificate and charge point certificates.",
    )
    parser.add_argument("folder", help="where the PEM files go (the CA there is reused)")
    parser.add_argument("--host", action="append", default=[],
                        help="a host name or IP address of the central system (repeatable); default localhost and 127.0.0.1")
    parser.add_argument("--charge-point", action="append", default=[], metavar="IDENTITY",
                        help="make a certificate for this charge point identity (repeatable)")
    parser.add_argument("--cpo-name", default=DEFAULT_ORGANIZATION,
                        help="the organization (subject O) of every certificate: the CpoName")
    options = parser.parse_args(arguments)
    try:
        ca = make_ca(options.folder, options.cpo_name)
        made = [("CA", ca), ("central system", make_server(ca, options.host or ["localhost", "127.0.0.1"], options.cpo_name))]
        for identity in options.charge_point:
            made.append((f"charge point {identity}", make_charge_point(ca, identity, options.cpo_name)))
    except (OSError, ValueError) as error:
        print(f"python -m openocpp.pki: {error}", file=err)
        return 2
    for what, issued in made:
        print(f"{what}: {issued.certificate} {issued.key}", file=out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
