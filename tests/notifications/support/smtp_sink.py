"""A real SMTP server on loopback for the notification tests (aiosmtpd).

Each message it accepts is written to OUT_DIR as NNNNNN.eml (the bytes received) with
NNNNNN.json beside it ({"mail_from": ..., "rcpt_tos": [...]}). Prints "READY <port>" on
stdout once it listens. Options:
  --port N            listen on N (default 0: a free port)
  --reject-rcpt TEXT  answer 550 to RCPT TO addresses containing TEXT
  --tempfail N        answer 451 to the first N DATA commands
  --auth USER:PASS    require AUTH PLAIN/LOGIN with these credentials (over plain loopback)
  --delay-ms N        wait N ms after keeping a message before answering 250 (a slow relay)
"""
import argparse
import asyncio
import json
import os
import sys

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


class Sink:
    def __init__(self, out_dir, reject_rcpt, tempfail, delay_ms=0):
        self.delay_ms = delay_ms
        self.out_dir = out_dir
        self.reject_rcpt = reject_rcpt
        self.tempfail = tempfail
        self.count = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.reject_rcpt and self.reject_rcpt in address:
            return "550 5.1.1 Recipient address rejected: no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.tempfail > 0:
            self.tempfail -= 1
            return "451 4.3.0 Temporary failure, try again later"
        self.count += 1
        base = os.path.join(self.out_dir, "%06d" % self.count)
        with open(base + ".eml.partial", "wb") as f:
            f.write(envelope.original_content)
        with open(base + ".json", "w") as f:
            json.dump({"mail_from": envelope.mail_from, "rcpt_tos": envelope.rcpt_tos}, f)
        os.rename(base + ".eml.partial", base + ".eml")
        if self.delay_ms:
            await asyncio.sleep(self.delay_ms / 1000)
        return "250 Message accepted for delivery"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out_dir")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--reject-rcpt", default="")
    parser.add_argument("--tempfail", type=int, default=0)
    parser.add_argument("--auth", default="")
    parser.add_argument("--delay-ms", type=int, default=0)
    args = parser.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)
    handler = Sink(args.out_dir, args.reject_rcpt, args.tempfail, args.delay_ms)

    kwargs = {}
    if args.auth:
        user, password = args.auth.split(":", 1)

        def authenticator(server, session, envelope, mechanism, auth_data):
            ok = (
                isinstance(auth_data, LoginPassword)
                and auth_data.login.decode() == user
                and auth_data.password.decode() == password
            )
            return AuthResult(success=ok, handled=False)

        kwargs = dict(authenticator=authenticator, auth_required=True, auth_require_tls=False)

    async def serve():
        loop = asyncio.get_running_loop()
        server = await loop.create_server(
            lambda: SMTP(handler, hostname="sink.test", **kwargs), "127.0.0.1", args.port
        )
        port = server.sockets[0].getsockname()[1]
        print("READY %d" % port, flush=True)
        async with server:
            await server.serve_forever()

    try:
        asyncio.run(serve())
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
