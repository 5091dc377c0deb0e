"""Reads one .eml file with Python's standard email parser and prints what the tests check as
JSON: the decoded From name and address, To, Subject, Message-ID, the raw (encoded) From header,
the top content type, and each text part decoded."""
import json
import sys
from email import policy
from email.parser import BytesParser


def main(path):
    with open(path, "rb") as f:
        raw = f.read()
    msg = BytesParser(policy=policy.default).parsebytes(raw)
    raw_msg = BytesParser(policy=policy.compat32).parsebytes(raw)
    frm = msg["From"].addresses[0]
    parts = []
    for part in msg.walk():
        if part.get_content_maintype() == "text":
            parts.append({"content_type": part.get_content_type(), "text": part.get_content()})
    print(json.dumps({
        "from_name": frm.display_name,
        "from_addr": frm.addr_spec,
        "from_raw": str(raw_msg["From"]),
        "to": [a.addr_spec for a in msg["To"].addresses],
        "subject": str(msg["Subject"]),
        "message_id": str(msg["Message-ID"]),
        "content_type": msg.get_content_type(),
        "parts": parts,
    }))


if __name__ == "__main__":
    main(sys.argv[1])
