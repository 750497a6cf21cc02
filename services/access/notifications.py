"""The mail the access service sends: access codes, referrals, request decisions.

Mail goes out after the transaction that decided it has committed; a mail server that is
away is logged and reported to the caller (`sent` False), never undoes the decision.
"""
import logging

log = logging.getLogger(__name__)


def send(mailer, to, subject, body):
    """True when the mail went out (or was written to the mail directory)."""
    try:
        mailer.send(to, subject, body)
        return True
    except Exception:  # SMTP down, refused recipient, full disk: the caller reports it
        log.exception("could not send %r to %s", subject, to)
        return False


def send_access_code(mailer, to, issued, portal_url):
    """The organization's access code for a year; `issued` as issue_access_code returns.
    The link opens the portal's get-access page (`portal_url`: PUBLIC_URL)."""
    return send(mailer, to, "Your CLEP access code for {}".format(issued["academic_year"]), (
        "The access code of {name} for the {year} academic year is {code}.\n\n"
        "It is valid from July 1 to June 30. Sign in to the CLEP professional portal and "
        "enter it with your organization's zip code and name to get access:\n"
        "{portal}/get-access\n").format(
            name=issued["organization"]["name"], year=issued["academic_year"],
            code=issued["access_code"], portal=portal_url))


def send_referral(mailer, to, organization_name, requester, message, portal_url):
    """Someone who is not a coordinator asked for the code: the coordinator decides (the
    link opens the portal's sign-in page)."""
    return send(mailer, to, "Access to {} in the CLEP portal was requested".format(
        organization_name), (
        "{name} <{email}> asked for the CLEP access code of {org}, as someone who is "
        "neither its coordinator nor an alternate coordinator. You are the coordinator on "
        "file, so the request was referred to you; the program did not send them the code.\n"
        "\nTheir message:\n{message}\n\nIf they should have access, give them the code "
        "yourself; otherwise no action is needed.\n\nThe CLEP professional portal:\n"
        "{portal}/sign-in\n").format(
            name=requester["name"], email=requester["email"], org=organization_name,
            message=message, portal=portal_url))


def send_request_declined(mailer, to, organization_name, reason):
    return send(mailer, to, "Your CLEP access code request for {}".format(organization_name), (
        "Your request for the CLEP access code of {org} was declined by the CLEP program.\n\n"
        "Reason: {reason}\n").format(org=organization_name, reason=reason))
